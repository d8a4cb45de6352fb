"""Put changes of marketing's settings in the auditors' trail."""

from crm.audit.selectors import register_audited_model
from marketing.models import ServicePrivilege, SuggestedChannel, TierServicePolicy


def register() -> None:
    """Put marketing's audited tables in the trail (MarketingConfig.ready() calls this)."""
    register_audited_model(
        TierServicePolicy,
        ["tier", "contact_cadence_days", "requires_relationship_manager", "max_book_size"],
    )
    register_audited_model(ServicePrivilege, ["policy", "name", "position"], subject="policy")
    register_audited_model(SuggestedChannel, ["policy", "channel"], subject="policy")
