"""``manage.py benchmark``: the figures of the customer pages and searches, per persona."""

import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from crm.tenancy.context import platform_wide
from crm.tenancy.models import Tenant

# generate_bank logs in as the owner, which needs a connection outside any transaction.
pytestmark = pytest.mark.django_db(transaction=True)

PAGES = (
    "list, unfiltered",
    "name prefix search",
    "surname search",
    "given-name search",
    "phone tail + surname",
    "phone tail + birth year",
    "phone search (exact)",
    "branch subtree + tier",
    "customer page",
)
FIGURE = re.compile(
    r"^  (?P<page>.+?)\s+(?P<p50>\d+\.\d)\s+(?P<p95>\d+\.\d)\s+(?P<queries>\d+) \((?P<all>\d+)\)"
    r"\s+p95 <= (?P<target>\d+) ms, <= (?P<max>\d+) queries: (?P<verdict>ok|MISSED)$"
)


@pytest.fixture
def small_bank(db):
    call_command(
        "generate_bank",
        code="benchbank",
        customers=150,
        months=2,
        branches=2,
        sub_branches=2,
        managers_per_sub_branch=2,
        stdout=StringIO(),
    )
    with platform_wide():
        return Tenant.objects.get(code="benchbank")


def benchmark(*args: str) -> str:
    out = StringIO()
    call_command(
        "benchmark", "--code", "benchbank", "--runs", "3", "--warmup", "1", *args, stdout=out
    )
    return out.getvalue()


def figures(output: str) -> dict[str, dict[str, dict[str, str]]]:
    """{persona line: {page: figures}} from the command's tables."""
    tables: dict[str, dict[str, dict[str, str]]] = {}
    persona = None
    for line in output.splitlines():
        if line.startswith("as "):
            persona = line
            tables[persona] = {}
        elif line and not line.startswith(" "):
            persona = None  # another section's heading: its figures are its own
        elif persona and (match := FIGURE.match(line)):
            tables[persona][match["page"]] = match.groupdict()
    return tables


def test_prints_every_figure_as_head_office_and_as_a_branch_relationship_manager(small_bank):
    output = benchmark()

    tables = figures(output)
    assert list(tables) == [
        "as head office (benchbank_marketing, 百川银行总行)",
        "as branch RM (benchbank_b01_rm1, 北京分行)",
    ]
    for pages in tables.values():
        assert tuple(pages) == PAGES
        for page, figure in pages.items():
            assert 0 < float(figure["p50"]) <= float(figure["p95"])
            assert 0 < int(figure["queries"]) < int(figure["all"])
            assert (figure["target"], figure["max"]) == (
                ("80", "20") if page == "customer page" else ("60", "10")
            )
    assert "benchbank): 150 customers" in output


def test_explain_shows_plans_as_the_application_role_with_the_tenant_set(small_bank):
    output = benchmark("--explain")

    roles = [line for line in output.splitlines() if line.startswith("--- as ")]
    assert roles and set(roles) == {f"--- as crm_app, claimed tenant {small_bank.pk}"}
    assert "=== name prefix search, as branch RM" in output
    assert re.search(r'FROM "customers_customer".*\^@', output)  # the index-friendly prefix
    assert "Execution Time" in output


def test_an_unknown_bank_is_refused(db):
    with pytest.raises(CommandError, match="No tenant with code 'benchbank'"):
        benchmark()


def test_every_missed_figure_counts_not_every_section(small_bank, monkeypatch):
    """A section with three figures over their targets adds three, not one."""
    from devtools import registry

    monkeypatch.setattr(
        registry,
        "_sections",
        {
            "a section": registry.Part("a section", lambda tenant, **kwargs: 3, title="A"),
            "another": registry.Part("another", lambda tenant, **kwargs: 0, title="B"),
        },
    )
    assert "3 figures missed their target" in benchmark()
