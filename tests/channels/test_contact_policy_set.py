"""The contact policy for a set of customers answers as it does for each one, and holds."""

import itertools
import zoneinfo
from dataclasses import replace
from datetime import datetime, time, timedelta

import pytest

from channels.contact_policy import (
    ContactPurpose,
    FrequencyCap,
    contact_allowed,
    contact_preferences,
    contactable_customers,
)
from channels.models import ChannelPreference, ContactHold, Interaction
from channels.services import contact_hold_place, contact_holds_lift
from crm.domain import DomainError
from customers.models import Consent, Customer
from tests.factories.channels import standard_catalog

HOURS = {
    "none": None,
    "within": (time(9), time(17)),
    "starts_at_ten": (time(10), None),  # from is inclusive
    "starts_later": (time(11), None),
    "ended_at_ten": (None, time(10)),  # until is exclusive
}
HOLDS = ["none", "in_force", "ended", "not_yet"]
ANSWERS = [None, True, False]
PREFERENCES = ["none", "contact", "do_not_contact"]
# The personalised-offers consent: none, "yes" for any channel, or "no" for SMS alone.
PERSONALISED = ["none", "any_yes", "sms_no"]
CASES = list(itertools.product(PREFERENCES, HOURS, HOLDS, ANSWERS, ANSWERS, PERSONALISED))
PURPOSES = [
    (ContactPurpose.MARKETING, False),
    (ContactPurpose.PERSONALISED_OFFERS, False),
    (ContactPurpose.SERVICE, False),
    (ContactPurpose.SERVICE, True),  # urgent
]


def at_ten(bank) -> datetime:
    """10:00 of a fixed day in the bank's time zone."""
    return datetime(2026, 12, 7, 10, 0, tzinfo=zoneinfo.ZoneInfo(bank.tenant.time_zone))


def new_customers(bank, prefix: str, count: int) -> list[Customer]:
    """``count`` bare customers numbered ``prefix``0, 1...: only the policy's rows matter."""
    with bank.scope():
        return Customer.objects.bulk_create(
            Customer(
                tenant=bank.tenant,
                home_branch=bank.branch,
                number=f"{prefix}{index:05d}",
                name=f"客户{index}",
                kind=Customer.Kind.INDIVIDUAL,
                status=Customer.Status.ACTIVE,
            )
            for index in range(count)
        )


def consent(bank, customer, purpose, channel, granted) -> Consent:
    return Consent(
        tenant=bank.tenant,
        customer=customer,
        purpose=purpose,
        channel=channel,
        granted=granted,
        source=Consent.Source.COUNTER,
    )


@pytest.fixture
def matrix(bank_a):
    """One customer for each combination of preference, hours, hold and consent answers."""
    at = at_ten(bank_a)
    customers = new_customers(bank_a, "M", len(CASES))
    with bank_a.scope():
        preferences, holds, consents = [], [], []
        for customer, (preference, hours, hold, sms, any_channel, personalised) in zip(
            customers, CASES, strict=True
        ):
            if preference != "none" or HOURS[hours]:
                start, end = HOURS[hours] or (None, None)
                preferences.append(
                    ChannelPreference(
                        tenant=bank_a.tenant,
                        customer=customer,
                        do_not_contact=preference == "do_not_contact",
                        contact_from=start,
                        contact_until=end,
                    )
                )
            window = {
                "in_force": (at - timedelta(days=1), at + timedelta(seconds=1)),
                "ended": (at - timedelta(days=2), at),  # until is exclusive
                "not_yet": (at + timedelta(seconds=1), at + timedelta(days=2)),
            }.get(hold)
            if window:
                holds.append(
                    ContactHold(
                        tenant=bank_a.tenant,
                        customer=customer,
                        reason="投诉处理中",
                        source="tests",
                        starts_at=window[0],
                        ends_at=window[1],
                    )
                )
            for channel, granted in [("sms", sms), ("any", any_channel)]:
                if granted is not None:
                    consents.append(consent(bank_a, customer, "marketing", channel, granted))
            if personalised == "any_yes":
                consents.append(consent(bank_a, customer, "personalised_offers", "any", True))
            elif personalised == "sms_no":
                consents.append(consent(bank_a, customer, "personalised_offers", "sms", False))
        ChannelPreference.objects.bulk_create(preferences)
        ContactHold.objects.bulk_create(holds)
        Consent.objects.bulk_create(consents)
    return customers


def test_the_set_answers_as_the_one_on_every_case(bank_a, matrix):
    """For every purpose (urgent service too) and channel kind, the SQL filter keeps exactly
    the customers ``contact_allowed`` allows one by one."""
    at = at_ten(bank_a)
    with bank_a.scope():
        # contact_allowed is contact_preferences(...).allows(...): read each customer once.
        read = {customer.pk: contact_preferences(customer, at=at) for customer in matrix}
        for (purpose, urgent), channel_kind in itertools.product(
            PURPOSES, ["sms", "mobile", "email"]
        ):
            one_by_one = {
                pk
                for pk, preferences in read.items()
                if replace(preferences, purpose=purpose).allows(channel_kind, at, urgent=urgent)
            }
            as_a_set = set(
                contactable_customers(
                    Customer.objects.filter(number__startswith="M"),
                    channel_kind=channel_kind,
                    purpose=purpose,
                    at=at,
                    urgent=urgent,
                ).values_list("pk", flat=True)
            )
            assert as_a_set == one_by_one, (purpose, urgent, channel_kind)
            if urgent:
                assert len(as_a_set) == len(matrix)
            else:
                # Not an empty agreement: some, not all, may be contacted.
                assert 0 < len(as_a_set) < len(matrix), (purpose, channel_kind)
        assert contact_allowed(matrix[0], channel_kind="sms", at=at) is read[matrix[0].pk].allows(
            "sms", at
        )


def allowed_by_case(bank, purpose, at, urgent=False) -> dict[tuple, bool]:
    with bank.scope():
        allowed = set(
            contactable_customers(
                Customer.objects.filter(number__startswith="M"),
                channel_kind="sms",
                purpose=purpose,
                at=at,
                urgent=urgent,
            ).values_list("pk", flat=True)
        )
    numbers = [f"M{index:05d}" for index in range(len(CASES))]
    with bank.scope():
        pks = dict(Customer.objects.filter(number__in=numbers).values_list("number", "pk"))
    return {case: pks[number] in allowed for number, case in zip(numbers, CASES, strict=True)}


def test_the_precedence_the_matrix_encodes(bank_a, matrix):
    """Spot checks, so that the two could not agree on a wrong rule."""
    at = at_ten(bank_a)
    answer = allowed_by_case(bank_a, ContactPurpose.MARKETING, at)
    assert answer[("contact", "none", "none", True, None, "none")]
    assert answer[("none", "starts_at_ten", "ended", None, True, "none")]  # "any", hold over
    assert not answer[("contact", "none", "none", False, True, "none")]  # the channel's no wins
    assert not answer[("do_not_contact", "none", "none", True, True, "none")]
    assert not answer[("contact", "none", "in_force", True, True, "none")]
    assert answer[("contact", "none", "not_yet", True, True, "none")]
    assert not answer[("contact", "starts_later", "none", True, True, "none")]
    assert not answer[("contact", "ended_at_ten", "none", True, True, "none")]
    assert not answer[("none", "none", "none", None, None, "none")]  # no answer is no

    offers = allowed_by_case(bank_a, ContactPurpose.PERSONALISED_OFFERS, at)
    assert offers[("contact", "none", "none", True, None, "any_yes")]
    assert not offers[("contact", "none", "none", True, None, "none")]  # no answer is no
    assert not offers[("contact", "none", "none", True, None, "sms_no")]  # the channel's no
    assert not offers[("contact", "none", "none", False, True, "any_yes")]  # marketing's no
    assert not offers[("contact", "none", "in_force", True, True, "any_yes")]

    service = allowed_by_case(bank_a, ContactPurpose.SERVICE, at)
    assert service[("do_not_contact", "none", "in_force", False, False, "sms_no")]
    assert service[("none", "none", "none", None, None, "none")]
    assert not service[("contact", "starts_later", "none", True, True, "any_yes")]
    assert not service[("none", "ended_at_ten", "none", True, True, "any_yes")]
    urgent = allowed_by_case(bank_a, ContactPurpose.SERVICE, at, urgent=True)
    assert urgent[("do_not_contact", "starts_later", "in_force", False, False, "none")]


def test_what_is_no_contact_purpose_is_refused(bank_a):
    with bank_a.scope():
        for purpose, urgent in [("data_sharing", False), ("marketing", True)]:
            with pytest.raises(ValueError):
                contactable_customers(
                    Customer.objects.all(), channel_kind="sms", purpose=purpose, urgent=urgent
                )
            with pytest.raises(ValueError):
                contact_allowed(bank_a.customer, channel_kind="sms", purpose=purpose, urgent=urgent)
        with pytest.raises(ValueError):
            contact_allowed(bank_a.customer, channel_kind="pigeon", purpose="service")


def test_a_frequency_cap_leaves_out_customers_touched_often_enough(bank_a):
    catalog = standard_catalog(bank_a.tenant)
    at = at_ten(bank_a)
    customers = new_customers(bank_a, "F", 3)
    with bank_a.scope():
        Consent.objects.bulk_create(
            Consent(
                tenant=bank_a.tenant,
                customer=customer,
                purpose="marketing",
                channel="any",
                granted=True,
                source="counter",
            )
            for customer in customers
        )
        for customer, touches in zip(customers, [0, 1, 2], strict=True):
            for _ in range(touches):
                Interaction.objects.create(
                    tenant=bank_a.tenant,
                    customer=customer,
                    channel=catalog["channels"]["SMS"],
                    kind=Interaction.Kind.MARKETING,
                    occurred_at=at - timedelta(days=1),
                )
        recent = Interaction.objects.filter(
            kind=Interaction.Kind.MARKETING, occurred_at__gte=at - timedelta(days=7)
        )
        capped = contactable_customers(
            Customer.objects.filter(number__startswith="F"),
            channel_kind="sms",
            at=at,
            cap=FrequencyCap(limit=2, touches=recent),
        )
        assert sorted(capped.values_list("number", flat=True)) == ["F00000", "F00001"]


def test_a_hold_stops_marketing_until_it_ends_or_is_lifted(bank_a):
    customer = bank_a.customer
    now = at_ten(bank_a)
    with bank_a.scope():
        Consent.objects.create(
            tenant=bank_a.tenant,
            customer=customer,
            purpose="marketing",
            channel="any",
            granted=True,
            source="counter",
        )
        assert contact_allowed(customer, channel_kind="sms", at=now)
        contact_hold_place(
            customer=customer,
            reason="投诉处理中",
            source="risk.complaint",
            starts_at=now - timedelta(hours=1),
            until=now + timedelta(days=30),
        )
        assert not contact_allowed(customer, channel_kind="sms", at=now)
        assert contact_allowed(customer, channel_kind="sms", at=now + timedelta(days=30))

        assert contact_holds_lift(customer=customer, source="someone.else", at=now) == 0
        assert not contact_allowed(customer, channel_kind="sms", at=now)
        assert contact_holds_lift(customer=customer, source="risk.complaint", at=now) == 1
        assert contact_allowed(customer, channel_kind="sms", at=now)
        [hold] = ContactHold.objects.filter(customer=customer)
        assert hold.ends_at == now  # the history says how long it stood

        with pytest.raises(DomainError):
            contact_hold_place(
                customer=customer, reason="", source="risk.complaint", until=now + timedelta(1)
            )
        with pytest.raises(DomainError):
            contact_hold_place(
                customer=customer, reason="x", source="risk.complaint", starts_at=now, until=now
            )


def test_another_banks_holds_are_out_of_sight(bank_a, bank_b):
    with bank_a.scope():
        contact_hold_place(
            customer=bank_a.customer,
            reason="投诉处理中",
            source="risk.complaint",
            until=at_ten(bank_a) + timedelta(days=3650),
        )
    with bank_b.scope():
        assert not ContactHold.objects.exists()
