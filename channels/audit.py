"""Put changes of channel data in the auditors' trail."""

from channels.models import ChannelPreference
from crm.audit.selectors import register_audited_model


def register() -> None:
    """Put channel preferences in the trail (ChannelsConfig.ready() calls this)."""
    register_audited_model(
        ChannelPreference,
        ["customer", "preferred_channel", "contact_from", "contact_until", "do_not_contact"],
    )
