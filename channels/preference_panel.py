"""The customer page's "Contact preferences" panel: whether and how staff may contact them.

It shows the customer's preferred channel,
contact hours and do-not-contact next to their marketing consents per channel, read the
way ``channels.contact_policy`` applies them, in one query; the consents for other purposes
(personalised offers) follow in a second. It replaces the customers app's plain list of
consents, which staff otherwise read twice on the same page.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import datetime

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from channels import contact_policy
from crm.tenancy.context import require_tenant
from customers.models import Consent, Customer
from customers.panels import Panel

CONSENT_CHANNEL_LABELS = dict(Consent.Channel.choices)
# Recording an answer may create the consent or change it.
CONSENT_PERMISSIONS = ("customers.add_consent", "customers.change_consent")


@dataclass(frozen=True)
class ConsentRow:
    """One consent channel as staff read it: the customer's answer and what it amounts to."""

    channel: str
    label: str
    allowed: bool
    answered: bool  # False: the "any channel" answer (or its absence) decides
    recorded_at: datetime | None
    preferred: bool


def consent_rows(preferences: contact_policy.ContactPreferences) -> list[ConsentRow]:
    """Every consent channel, then "any channel", with the answer that applies to each."""
    preferred = None
    if preferences.preferred_channel_kind:
        preferred = contact_policy.consent_channel_for(preferences.preferred_channel_kind)
    rows = []
    for channel in [*contact_policy.CONSENT_CHANNELS, contact_policy.ANY_CHANNEL]:
        answer = preferences.answer(channel)
        if channel == contact_policy.ANY_CHANNEL:
            allowed = answer is not None and answer.granted
        else:
            allowed = preferences.consent_for(channel)
        rows.append(
            ConsentRow(
                channel=channel,
                label=CONSENT_CHANNEL_LABELS[channel],
                allowed=allowed,
                answered=answer is not None,
                recorded_at=answer.recorded_at if answer else None,
                preferred=channel == preferred,
            )
        )
    return rows


def preference_context(request: HttpRequest, customer: Customer) -> dict:
    """What the panel's template needs, for the page and for the htmx swaps alike."""
    preferences = contact_policy.contact_preferences(customer)
    rows = consent_rows(preferences)
    other_consents = (
        Consent.objects.filter(customer=customer)
        .exclude(purpose=Consent.Purpose.MARKETING)
        .select_related("recorded_by")
        .order_by("purpose", "channel")
    )
    return {
        "other_consents": list(other_consents),
        "preferences": preferences,
        "consent_rows": rows,
        "marketing_by": [
            row.label for row in rows if row.allowed and row.channel != contact_policy.ANY_CHANNEL
        ],
        "within_hours_now": preferences.within_contact_hours(),
        "can_edit": request.user.has_perm("channels.change_channelpreference"),
        "can_record": request.user.has_perms(CONSENT_PERMISSIONS),
        # The bank's today, for the one-click "Withdraw" (the form refuses a later date).
        "today": timezone.now().astimezone(zoneinfo.ZoneInfo(require_tenant().time_zone)).date(),
    }


PREFERENCE_PANEL = Panel(
    key="contact_preferences",
    title=_("Contact preferences"),
    template="channels/panels/preferences.html",
    context=preference_context,
    order=45,
    # The width of the consents panel it replaces: beside the relationships, a full row.
    width="col-lg-6 col-xl-8",
    permission="channels.view_channelpreference",
    lazy=True,
    replaces=frozenset({"consents"}),
)
