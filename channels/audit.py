"""Put changes of channel data in the auditors' trail."""

from channels.models import (
    ChannelPreference,
    ContactHold,
    FollowUp,
    Interaction,
    ServiceRequest,
    ServiceRequestStep,
)
from crm.audit.selectors import register_audited_model


def register() -> None:
    """Put channels' audited tables in the trail (ChannelsConfig.ready() calls this)."""
    register_audited_model(
        ChannelPreference,
        ["customer", "preferred_channel", "contact_from", "contact_until", "do_not_contact"],
        customer=["customer"],
    )
    # A request's status, owner and team as they change; each step adds its channel and note.
    register_audited_model(
        ServiceRequest,
        ["number", "request_type", "customer", "status", "owner", "team", "due_at"],
        customer=["customer"],
    )
    register_audited_model(
        ServiceRequestStep,
        ["request", "from_status", "to_status", "channel", "staff", "note"],
        customer=["request__customer"],
        subject="request",
    )
    # Contacts staff log in the CRM (the model's triggers leave partner feeds' rows out).
    register_audited_model(
        Interaction,
        ["customer", "channel", "kind", "direction", "occurred_at", "staff", "summary", "outcome"],
        customer=["customer"],
        subject="customer",
    )
    # Holds other apps place and lift: when marketing stopped and started again, and why.
    register_audited_model(
        ContactHold,
        ["customer", "reason", "source", "starts_at", "ends_at"],
        customer=["customer"],
        subject="customer",
    )
    # Planned contacts: who owns them, when they are due, how they ended.
    register_audited_model(
        FollowUp,
        ["customer", "owner", "due_at", "purpose", "status", "outcome", "cancel_reason"],
        customer=["customer"],
        subject="customer",
    )
