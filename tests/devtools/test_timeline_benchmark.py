"""``manage.py benchmark``'s timeline section: a customer with 10,000 contacts, as their RM."""

import re
from io import StringIO

import pytest
from django.core.management import call_command

from channels.models import Interaction
from crm.tenancy.context import platform_wide, tenant_context
from crm.tenancy.models import Tenant
from devtools.channels import timeline_benchmark
from tests.devtools.test_benchmark import FIGURE

# generate_bank logs in as the owner, which needs a connection outside any transaction.
pytestmark = pytest.mark.django_db(transaction=True)

SECTION = "timeline of a customer with 10,000 contacts"


@pytest.fixture
def small_bank(db):
    call_command(
        "generate_bank",
        code="benchbank",
        customers=60,
        months=1,
        branches=1,
        sub_branches=1,
        managers_per_sub_branch=1,
        stdout=StringIO(),
    )
    with platform_wide():
        return Tenant.objects.get(code="benchbank")


def section_of(output: str) -> list[str]:
    lines = output.splitlines()
    start = lines.index(SECTION)
    end = next(
        (n for n in range(start + 1, len(lines)) if lines[n] and not lines[n].startswith(" ")),
        len(lines),
    )
    return lines[start + 1 : end]


def benchmark() -> str:
    out = StringIO()
    call_command(
        "benchmark",
        "--code",
        "benchbank",
        "--runs",
        "3",
        "--warmup",
        "1",
        "--ingest-batches",
        "0",
        stdout=out,
    )
    return out.getvalue()


def test_gives_one_customer_their_contacts_once_and_times_page_and_timeline(
    small_bank, monkeypatch
):
    # Fewer contacts than in a real run keep the test quick; three pages deep is enough.
    monkeypatch.setattr(timeline_benchmark, "CONTACTS", 90)
    staff, customer = timeline_benchmark.busy_customer(small_bank)
    assert customer.relationship_manager_id == staff.pk

    first = section_of(benchmark())

    with tenant_context(small_bank):
        contacts = Interaction.objects.filter(customer=customer)
        assert contacts.count() == 90
        assert contacts.values("channel").distinct().count() > 3
        assert contacts.filter(amount__isnull=False).exists()
    assert re.search(rf"customer {customer.number} with 90 contacts \(90 added now\)", first[0])
    figures = {m["page"]: m for line in first if (m := FIGURE.match(line))}
    assert list(figures) == [
        "customer page",
        "timeline by channel",
        "timeline by kind",
        "timeline, load more",
    ]
    for page, figure in figures.items():
        assert 0 < float(figure["p50"]) <= float(figure["p95"])
        assert int(figure["queries"]) > 0
        assert (figure["target"], figure["max"]) == (
            ("80", "20") if page == "customer page" else ("60", "10")
        )

    again = section_of(benchmark())
    assert "(0 added now)" in again[0]
    with tenant_context(small_bank):
        assert Interaction.objects.filter(customer=customer).count() == 90
