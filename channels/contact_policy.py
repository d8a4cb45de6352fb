"""Whether the bank may contact a customer: do-not-contact, contact hours and consents.

One rule for everyone: the customer page's "Contact preferences" panel shows what
``contact_preferences`` reads, and marketing asks ``contact_allowed`` before each touch.

- Do-not-contact wins over everything.
- Contact hours are times of day in the bank's time zone, from (inclusive) until
  (exclusive); either end may be open, and no hours at all means any time.
- Consent: the customer's answer for the channel wins over their "any channel" answer,
  and no answer is no. Channel kinds with no
  consent channel of their own (mobile or online banking messages...) follow the "any
  channel" answer alone.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import datetime, time

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import F, OuterRef
from django.db.models.functions import JSONObject
from django.utils import timezone

from channels.models import Channel
from crm.tenancy.context import require_tenant
from customers.models import Consent, Customer

ANY_CHANNEL = Consent.Channel.ANY
# The channels a customer answers consent for one by one, in the order staff read them.
CONSENT_CHANNELS = [channel for channel in Consent.Channel.values if channel != ANY_CHANNEL]


def consent_channel_for(channel_kind: str) -> str | None:
    """The consent channel that speaks for ``channel_kind``; None: only "any channel" does.

    Takes a ``Channel.Kind`` (sms, phone, wechat, mobile...) or a consent channel that is no
    channel of the bank's catalog (e-mail).
    """
    if channel_kind in CONSENT_CHANNELS:
        return channel_kind
    if channel_kind in Channel.Kind.values:
        return None
    raise ValueError(f"Unknown channel kind: {channel_kind!r}")


@dataclass(frozen=True)
class ConsentAnswer:
    """The customer's own answer for one consent channel."""

    granted: bool
    recorded_at: datetime


@dataclass(frozen=True)
class ContactPreferences:
    """How a customer wants to be contacted, and their consents for one purpose."""

    purpose: str
    time_zone: str
    has_preference: bool  # the customer has told the bank something (a row exists)
    do_not_contact: bool = False
    contact_from: time | None = None
    contact_until: time | None = None
    preferred_channel_name: str = ""
    preferred_channel_kind: str = ""
    preferred_channel_active: bool = False
    updated_at: datetime | None = None
    answers: dict[str, ConsentAnswer] | None = None  # by consent channel, "any" included

    def answer(self, consent_channel: str) -> ConsentAnswer | None:
        return (self.answers or {}).get(consent_channel)

    def consent_for(self, channel_kind: str) -> bool:
        """Whether the customer consents to this purpose through ``channel_kind``."""
        specific = consent_channel_for(channel_kind)
        answer = self.answer(specific) if specific else None
        if answer is None:
            answer = self.answer(ANY_CHANNEL)
        return answer is not None and answer.granted

    def local_time(self, at: datetime | None = None) -> time:
        """The time of day at ``at`` (default: now) in the bank's time zone."""
        moment = timezone.localtime(at or timezone.now(), zoneinfo.ZoneInfo(self.time_zone))
        return moment.time().replace(tzinfo=None)

    @property
    def has_contact_hours(self) -> bool:
        return self.contact_from is not None or self.contact_until is not None

    def within_contact_hours(self, at: datetime | None = None) -> bool:
        now = self.local_time(at)
        if self.contact_from is not None and now < self.contact_from:
            return False
        return self.contact_until is None or now < self.contact_until

    def allows(self, channel_kind: str, at: datetime | None = None) -> bool:
        """Whether the bank may contact the customer for the purpose, this way, at ``at``."""
        if self.do_not_contact:
            return False
        if not self.within_contact_hours(at):
            return False
        return self.consent_for(channel_kind)


def contact_preferences(
    customer: Customer, *, purpose: str = Consent.Purpose.MARKETING
) -> ContactPreferences:
    """Read the customer's channel preference and consents for ``purpose`` in one query.

    The customer page is held to a query budget, so the optional preference row comes
    through a left join and the consents as an array of the same row.
    """
    consents = (
        Consent.objects.filter(customer_id=OuterRef("pk"), purpose=purpose)
        .order_by()
        .values(answer=JSONObject(channel="channel", granted="granted", at="recorded_at"))
    )
    row = (
        Customer.objects.filter(pk=customer.pk)
        .values(
            preference_id=F("channel_preference__id"),
            preference_do_not_contact=F("channel_preference__do_not_contact"),
            preference_contact_from=F("channel_preference__contact_from"),
            preference_contact_until=F("channel_preference__contact_until"),
            preference_updated_at=F("channel_preference__updated_at"),
            preference_channel_name=F("channel_preference__preferred_channel__name"),
            preference_channel_kind=F("channel_preference__preferred_channel__kind"),
            preference_channel_active=F("channel_preference__preferred_channel__is_active"),
            consent_answers=ArraySubquery(consents),
        )
        .get()
    )
    answers = {
        answer["channel"]: ConsentAnswer(
            granted=answer["granted"], recorded_at=datetime.fromisoformat(answer["at"])
        )
        for answer in row["consent_answers"]
    }
    return ContactPreferences(
        purpose=purpose,
        # The customer is the current bank's: row-level security saw to it.
        time_zone=require_tenant().time_zone,
        has_preference=row["preference_id"] is not None,
        do_not_contact=bool(row["preference_do_not_contact"]),
        contact_from=row["preference_contact_from"],
        contact_until=row["preference_contact_until"],
        preferred_channel_name=row["preference_channel_name"] or "",
        preferred_channel_kind=row["preference_channel_kind"] or "",
        preferred_channel_active=bool(row["preference_channel_active"]),
        updated_at=row["preference_updated_at"],
        answers=answers,
    )


def contact_allowed(
    customer: Customer,
    *,
    channel_kind: str,
    purpose: str = Consent.Purpose.MARKETING,
    at: datetime | None = None,
) -> bool:
    """Whether the bank may contact ``customer`` for ``purpose`` through ``channel_kind`` at ``at``.

    ``at`` defaults to now; ``channel_kind`` is a ``Channel.Kind`` or a consent channel
    (e-mail). One query.
    """
    return contact_preferences(customer, purpose=purpose).allows(channel_kind, at)
