"""Whether the bank may contact a customer, now, this way, for this purpose: the one rule.

One rule for everyone, written twice over the same precedence: for one customer
(``contact_preferences`` / ``contact_allowed``: the customer page's "Contact preferences"
panel, a touch about to be made) and for a set (``contactable_customers``: one SQL filter on
any customer queryset, for a million customers at once). A test holds the two to the same
answer on every combination of the cases below.

Purposes (``ContactPurpose``):

- Marketing needs the customer's marketing consent for the channel: the answer for the
  channel wins over their "any channel" answer, and no answer is no. Channel kinds with no
  consent channel of their own (mobile or online banking messages...) follow the "any
  channel" answer alone.
- Personalised offers (PIPL Art. 24: offers chosen by automated decisions from the customer's
  personal characteristics) are marketing too, so they need the marketing consent for the
  channel and, besides, the separate personalised-offers consent for it, read the same way.
- For both: do-not-contact wins over everything; a contact hold (``ContactHold``: another
  app's temporary "do not market", e.g. while a complaint is open) in force at the time stops
  them; and the customer's contact hours must hold.
- Service contact (a request's progress, a complaint's decision, a security alert) needs no
  marketing consent and ignores do-not-contact and holds, which are about marketing; it keeps
  to the customer's contact hours unless it is urgent.

Contact hours are times of day in the bank's time zone, from (inclusive) until (exclusive);
either end may be open, and no hours at all means any time.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import datetime, time

from django.contrib.postgres.expressions import ArraySubquery
from django.db import models
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.db.models.functions import JSONObject
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from channels.models import Channel, ChannelPreference, ContactHold
from crm.tenancy.context import require_tenant
from customers.models import Consent, Customer

ANY_CHANNEL = Consent.Channel.ANY
# The channels a customer answers consent for one by one, in the order staff read them.
CONSENT_CHANNELS = [channel for channel in Consent.Channel.values if channel != ANY_CHANNEL]


class ContactPurpose(models.TextChoices):
    """Why the bank contacts a customer; the rule differs by purpose (see above)."""

    MARKETING = Consent.Purpose.MARKETING.value, _("Marketing")
    PERSONALISED_OFFERS = Consent.Purpose.PERSONALISED_OFFERS.value, _("Personalised offers")
    SERVICE = "service", _("Service")


# The consents a purpose needs, each of them for the channel of the contact.
CONSENTS_NEEDED: dict[str, tuple[str, ...]] = {
    ContactPurpose.MARKETING: (Consent.Purpose.MARKETING,),
    ContactPurpose.PERSONALISED_OFFERS: (
        Consent.Purpose.MARKETING,
        Consent.Purpose.PERSONALISED_OFFERS,
    ),
    ContactPurpose.SERVICE: (),
}


def consents_needed(purpose: str, *, urgent: bool = False) -> tuple[str, ...]:
    """The consent purposes contact for ``purpose`` needs; refuses what is no contact purpose
    (data sharing is a consent, not a reason to call) and urgency outside service."""
    try:
        needed = CONSENTS_NEEDED[purpose]
    except KeyError:
        raise ValueError(f"Not a contact purpose: {purpose!r}") from None
    if urgent and needed:
        raise ValueError("Only service contact can be urgent.")
    return needed


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
class HoldInForce:
    """A contact hold standing at the time read: why, and until when."""

    reason: str
    until: datetime


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
    # By (consent purpose, consent channel), "any channel" included, for every purpose.
    answers: dict[tuple[str, str], ConsentAnswer] | None = None
    holds: tuple[HoldInForce, ...] = ()  # the contact holds standing at the time read

    @property
    def on_hold(self) -> bool:
        return bool(self.holds)

    def answer(
        self, consent_channel: str, consent_purpose: str = Consent.Purpose.MARKETING
    ) -> ConsentAnswer | None:
        return (self.answers or {}).get((consent_purpose, consent_channel))

    def consent_for(
        self, channel_kind: str, consent_purpose: str = Consent.Purpose.MARKETING
    ) -> bool:
        """Whether the customer consents to ``consent_purpose`` through ``channel_kind``."""
        specific = consent_channel_for(channel_kind)
        answer = self.answer(specific, consent_purpose) if specific else None
        if answer is None:
            answer = self.answer(ANY_CHANNEL, consent_purpose)
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

    def allows(
        self, channel_kind: str, at: datetime | None = None, *, urgent: bool = False
    ) -> bool:
        """Whether the bank may contact the customer for the purpose, this way, at ``at``."""
        needed = consents_needed(self.purpose, urgent=urgent)
        consent_channel_for(channel_kind)  # an unknown channel kind is refused for every purpose
        if not needed:  # service
            return urgent or self.within_contact_hours(at)
        if self.do_not_contact or self.on_hold:
            return False
        if not self.within_contact_hours(at):
            return False
        return all(self.consent_for(channel_kind, consent) for consent in needed)


def contact_preferences(
    customer: Customer, *, purpose: str = ContactPurpose.MARKETING, at: datetime | None = None
) -> ContactPreferences:
    """Read the customer's channel preference, consents (every purpose's) and whether a
    contact hold stands at ``at`` (default: now), in one query; ``purpose`` is the contact
    purpose ``allows`` answers for.

    The customer page is held to a query budget, so the optional preference row comes
    through a left join and the consents as an array of the same row.
    """
    consents_needed(purpose)
    consents = (
        Consent.objects.filter(customer_id=OuterRef("pk"))
        .order_by()
        .values(
            answer=JSONObject(
                purpose="purpose", channel="channel", granted="granted", at="recorded_at"
            )
        )
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
            holds=ArraySubquery(
                holds_in_force(at or timezone.now())
                .order_by("ends_at")
                .values(hold=JSONObject(reason="reason", until="ends_at"))
            ),
        )
        .get()
    )
    answers = {
        (answer["purpose"], answer["channel"]): ConsentAnswer(
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
        holds=tuple(
            HoldInForce(reason=hold["reason"], until=datetime.fromisoformat(hold["until"]))
            for hold in row["holds"]
        ),
    )


def contact_allowed(
    customer: Customer,
    *,
    channel_kind: str,
    purpose: str = ContactPurpose.MARKETING,
    at: datetime | None = None,
    urgent: bool = False,
) -> bool:
    """Whether the bank may contact ``customer`` for ``purpose`` through ``channel_kind`` at ``at``.

    ``at`` defaults to now; ``channel_kind`` is a ``Channel.Kind`` or a consent channel
    (e-mail); ``urgent`` (service contact only: a security alert) lifts the contact hours.
    One query.
    """
    preferences = contact_preferences(customer, purpose=purpose, at=at)
    return preferences.allows(channel_kind, at, urgent=urgent)


def holds_in_force(at: datetime) -> QuerySet[ContactHold]:
    """The holds standing at ``at`` of the customer of the outer query."""
    return ContactHold.objects.filter(customer_id=OuterRef("pk"), starts_at__lte=at, ends_at__gt=at)


@dataclass(frozen=True)
class FrequencyCap:
    """At most ``limit`` marketing touches per customer among ``touches``.

    ``touches`` is any queryset with a ``customer_id`` column, already narrowed to the last N
    days (campaigns supply sends, campaign follow-ups and marketing contacts); a customer
    with ``limit`` of them or more is left out of the contactable.
    """

    limit: int
    touches: QuerySet


def contactable_customers(
    customers: QuerySet[Customer],
    *,
    channel_kind: str,
    purpose: str = ContactPurpose.MARKETING,
    at: datetime | None = None,
    urgent: bool = False,
    cap: FrequencyCap | None = None,
) -> QuerySet[Customer]:
    """Those of ``customers`` the bank may contact for ``purpose`` through ``channel_kind`` at
    ``at`` (default now): ``contact_allowed`` for a set, as one filter.

    Every condition is a correlated EXISTS on the customer's id, so PostgreSQL answers it
    with the per-customer indexes of preferences, holds and consents (semi- and anti-joins),
    whatever else the queryset filters on.
    """
    needed = consents_needed(purpose, urgent=urgent)
    specific = consent_channel_for(channel_kind)
    at = at or timezone.now()
    local = timezone.localtime(at, zoneinfo.ZoneInfo(require_tenant().time_zone))
    now = local.time().replace(tzinfo=None)
    outside_hours = Q(contact_from__gt=now) | Q(contact_until__lte=now)
    preference = ChannelPreference.objects.filter(customer_id=OuterRef("pk"))
    if not needed:  # service: the contact hours alone, and not even those when urgent
        allowed = (
            customers.all()
            if urgent
            else customers.filter(~Exists(preference.filter(outside_hours)))
        )
    else:
        # A preference row keeps the customer out when it says "do not contact", or when
        # the time of day lies outside the hours it gives (either end open).
        barred = preference.filter(Q(do_not_contact=True) | outside_hours)
        allowed = customers.filter(
            ~Exists(barred),
            ~Exists(holds_in_force(at)),
            *(_consented(consent, specific) for consent in needed),
        )
    if cap is not None:
        over_cap = (
            cap.touches.filter(customer_id=OuterRef("pk"))
            .order_by()
            .values("customer_id")
            .annotate(touches=Count("*"))
            .filter(touches__gte=cap.limit)
        )
        allowed = allowed.filter(~Exists(over_cap))
    return allowed


def _consented(consent_purpose: str, specific: str | None) -> Exists:
    """The customer of the outer query consents to ``consent_purpose`` through the channel
    whose consent channel is ``specific`` (None: only "any channel" speaks for it).

    One EXISTS over the granted answers that decide: the channel's own, or "any channel"
    where the channel has no answer of its own. PostgreSQL makes it one semi-join (a hash
    of the bank's granted answers), where an OR of EXISTS would probe every customer.
    """
    answers = Consent.objects.filter(purpose=consent_purpose)
    granted = answers.filter(customer_id=OuterRef("pk"), granted=True)
    if specific is None:
        return Exists(granted.filter(channel=ANY_CHANNEL))
    # The answer for the channel wins; without one, the "any channel" answer speaks.
    own_answer = answers.filter(customer_id=OuterRef("customer_id"), channel=specific)
    return Exists(
        granted.filter(Q(channel=specific) | Q(channel=ANY_CHANNEL) & ~Exists(own_answer))
    )
