"""``generate_bank`` gives customers preferences and holds; ``benchmark`` counts the
contactable per purpose and channel, as the contact policy does."""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from channels.contact_policy import ContactPurpose, contactable_customers
from channels.models import ChannelPreference, ContactHold
from crm.tenancy.context import platform_wide, tenant_context
from crm.tenancy.models import Tenant
from customers.models import Customer

# generate_bank logs in as the owner, which needs a connection outside any transaction.
pytestmark = pytest.mark.django_db(transaction=True)

CUSTOMERS = 1000
LINE = re.compile(
    r"^  (?P<case>.+?, [a-z]+)\s+(?P<count>[\d,]+)\s+(?P<seconds>\d+\.\d\d)\s+<= 2 s: (ok|MISSED)$"
)


@pytest.fixture
def policy_bank(db):
    call_command(
        "generate_bank",
        code="policybank",
        customers=CUSTOMERS,
        months=1,
        branches=1,
        sub_branches=1,
        managers_per_sub_branch=1,
        stdout=StringIO(),
    )
    with platform_wide():
        return Tenant.objects.get(code="policybank")


def test_generated_preferences_and_holds_come_in_their_shares(policy_bank):
    with tenant_context(policy_bank):
        preferences = ChannelPreference.objects.all()
        assert 60 <= preferences.count() <= 140  # 10 %
        assert 5 <= preferences.filter(do_not_contact=True).count() <= 40  # 2 %
        assert preferences.filter(contact_from__isnull=False).count() > 20  # 6 %
        now = timezone.now()
        holds = ContactHold.objects.all()
        assert 1 <= holds.count() <= 15  # 0.5 %, of which 0.3 % standing
        assert holds.filter(ends_at__gt=now).exists() or holds.filter(ends_at__lte=now).exists()


def test_the_benchmark_counts_what_the_policy_counts(policy_bank):
    out = StringIO()
    call_command(
        "benchmark", "--code", "policybank", "--runs", "1", "--warmup", "0",
        "--ingest-batches", "0", stdout=out,
    )  # fmt: skip
    output = out.getvalue()
    section = output.split("contact policy: the contactable among every customer, counted")[1]
    counted = {
        match["case"]: int(match["count"].replace(",", ""))
        for line in section.splitlines()
        if (match := LINE.match(line))
    }
    with tenant_context(policy_bank):
        expected = {
            f"{purpose.label}, {kind}": contactable_customers(
                Customer.objects.all(), channel_kind=kind, purpose=purpose
            ).count()
            for purpose, kind in [
                (ContactPurpose.MARKETING, "sms"),
                (ContactPurpose.MARKETING, "mobile"),
                (ContactPurpose.PERSONALISED_OFFERS, "sms"),
                (ContactPurpose.SERVICE, "sms"),
            ]
        }
    assert counted == expected
    # The generated consents leave some, not all, reachable for marketing; service reaches
    # nearly everyone (only contact hours stop it).
    marketing, offers, service = (
        counted[f"{purpose.label}, sms"]
        for purpose in (
            ContactPurpose.MARKETING,
            ContactPurpose.PERSONALISED_OFFERS,
            ContactPurpose.SERVICE,
        )
    )
    assert 0 < marketing < CUSTOMERS
    assert offers < marketing
    assert service > CUSTOMERS * 0.85
