"""The tier reports: the tier distribution of a scored month and the tier migration matrix,
on a handful of customers whose figures are worked out by hand below."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from crm.tenancy.roles import Role
from marketing.models import tier_label
from tests.factories import BalanceSnapshotFactory, CustomerFactory
from tests.factories.marketing import customer_value, scored_month
from tests.translation import zh

DISTRIBUTION = reverse("marketing:tier_distribution")
DISTRIBUTION_CSV = reverse("marketing:tier_distribution_export")
MIGRATION = reverse("marketing:tier_migration")
MIGRATION_CSV = reverse("marketing:tier_migration_export")

MARCH, APRIL, MAY = date(2026, 3, 1), date(2026, 4, 1), date(2026, 5, 1)


@pytest.fixture
def scored(bank_a, bank_b):
    """Seven customers of bank A scored for April and May (one of them for March too):

    ===  ==============  ========  ========  ===================  ============
    who  home branch     April     May       May contribution     May AUM
    ===  ==============  ========  ========  ===================  ============
    up   sub-branch      ordinary  MVC       1000.50              500000.00
    kept sub-branch      MVC       MVC       800.25 (estimated)   300000.00
    down branch          MGC       ordinary  20.00                (none)
    bz   other branch    BZ        BZ        -15.75 (estimated)   1000.00
    new  other branch    —         new       0.00                 2500.00
    gone other branch    ordinary  —
    grew sub-branch      new       ordinary  5.00                 100.00
    ===  ==============  ========  ========  ===================  ============

    The sub-branch is under the branch: the branch manager sees up, kept, down and grew.
    Bank B has May values too, three MVC customers, never counted on bank A's pages.
    """
    runs = {month: scored_month(bank_a.tenant, month) for month in (MARCH, APRIL, MAY)}
    people = {
        "up": bank_a.sub_branch,
        "kept": bank_a.sub_branch,
        "down": bank_a.branch,
        "bz": bank_a.other_branch,
        "new": bank_a.other_branch,
        "gone": bank_a.other_branch,
        "grew": bank_a.sub_branch,
    }
    made = {who: CustomerFactory(home_branch=branch) for who, branch in people.items()}
    april = {"up": "ordinary", "kept": "mvc", "down": "mgc", "bz": "bz", "gone": "ordinary"}
    april["grew"] = "new"
    for who, tier in april.items():
        customer_value(made[who], runs[APRIL], tier=tier, contribution="1.00")
    may = {
        "up": ("mvc", "1000.50", False, "500000.00"),
        "kept": ("mvc", "800.25", True, "300000.00"),
        "down": ("ordinary", "20.00", False, None),
        "bz": ("bz", "-15.75", True, "1000.00"),
        "new": ("new", "0.00", False, "2500.00"),
        "grew": ("ordinary", "5.00", False, "100.00"),
    }
    for who, (tier, contribution, estimated, aum) in may.items():
        customer_value(
            made[who], runs[MAY], tier=tier, contribution=contribution, estimated=estimated
        )
        if aum is not None:
            BalanceSnapshotFactory(customer=made[who], month=MAY, aum=Decimal(aum))
    # April's balance must not count for May.
    BalanceSnapshotFactory(customer=made["down"], month=APRIL, aum=Decimal("777777.00"))
    customer_value(made["up"], runs[MARCH], tier="bz")

    foreign_run = scored_month(bank_b.tenant, MAY)
    for _ in range(3):
        customer = CustomerFactory(home_branch=bank_b.sub_branch)
        customer_value(customer, foreign_run, tier="mvc", contribution="99999.00")
        BalanceSnapshotFactory(customer=customer, month=MAY, aum=Decimal("9999999.00"))
    return made


def label(tier: str) -> str:
    """The tier's name as a zh-hans page shows it."""
    with translation.override("zh-hans"):
        return tier_label(tier)


def figures(response):
    assert response.status_code == 200, response.content.decode()[:3000]
    return response.context["figures"]


def by_tier(distribution) -> dict[str, tuple]:
    return {
        tier.tier: (tier.customers, tier.aum, tier.contribution, tier.share, tier.estimated_share)
        for tier in distribution.tiers
    }


def csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


# --- the distribution ---------------------------------------------------------------------------


def test_the_distribution_counts_the_latest_month_s_customers_per_tier(bank_a, client_for, scored):
    report = figures(client_for(bank_a[Role.MARKETING_MANAGER]).get(DISTRIBUTION))
    assert report.month == MAY
    assert by_tier(report) == {
        "mvc": (2, Decimal("800000.00"), Decimal("1800.75"), Decimal("33.3"), Decimal("50.0")),
        "mgc": (0, Decimal("0.00"), Decimal("0.00"), Decimal("0.0"), None),
        "ordinary": (2, Decimal("100.00"), Decimal("25.00"), Decimal("33.3"), Decimal("0.0")),
        "bz": (1, Decimal("1000.00"), Decimal("-15.75"), Decimal("16.7"), Decimal("100.0")),
        "new": (1, Decimal("2500.00"), Decimal("0.00"), Decimal("16.7"), Decimal("0.0")),
    }
    assert (report.total.customers, report.total.aum, report.total.contribution) == (
        6,
        Decimal("803600.00"),
        Decimal("1810.00"),
    )
    assert report.total.estimated_share == Decimal("33.3")


def test_the_distribution_lists_the_tiers_in_the_customers_order(bank_a, client_for, scored):
    report = figures(client_for(bank_a[Role.MARKETING_MANAGER]).get(DISTRIBUTION))
    assert [tier.tier for tier in report.tiers] == ["mvc", "mgc", "ordinary", "bz", "new"]


def test_the_distribution_shows_the_numbers_and_the_chart(bank_a, client_for, scored):
    response = client_for(bank_a[Role.MARKETING_MANAGER]).get(DISTRIBUTION)
    page = response.content.decode()
    assert 'data-testid="tier-distribution-chart"' in page
    assert 'id="tier-distribution-figures"' in page
    assert "800,000.00" in page
    assert "1,800.75" in page
    assert "ZZZ" not in page
    chart = response.context["chart"]
    assert chart["series"][0]["values"] == [2, 0, 2, 1, 1]


def test_a_chosen_month_shows_that_month(bank_a, client_for, scored):
    client = client_for(bank_a[Role.MARKETING_MANAGER])
    report = figures(client.get(DISTRIBUTION, {"month": "2026-04"}))
    assert report.month == APRIL
    assert {tier: row[0] for tier, row in by_tier(report).items()} == {
        "mvc": 1,
        "mgc": 1,
        "ordinary": 2,
        "bz": 1,
        "new": 1,
    }
    assert report.total.aum == Decimal("777777.00")  # April's own balance, only


def test_the_month_choice_offers_the_bank_s_scored_months_newest_first(bank_a, client_for, scored):
    response = client_for(bank_a[Role.MARKETING_MANAGER]).get(DISTRIBUTION)
    choices = [value for value, _label in response.context["form"].fields["month"].choices]
    assert choices == ["2026-05", "2026-04", "2026-03"]


@pytest.mark.parametrize("month", ["2026-13", "2025-01", "abc", "2026-05'--"])
def test_a_month_not_scored_is_refused_with_a_message(bank_a, client_for, scored, month):
    response = client_for(bank_a[Role.MARKETING_MANAGER]).get(DISTRIBUTION, {"month": month})
    assert response.status_code == 400
    message = zh("%(value)s is not a scored month: choose one from the list.", value=month)
    assert 'data-testid="filter-errors"' in response.content.decode()
    assert response.context["errors"] == [message]
    for url in (DISTRIBUTION_CSV, MIGRATION, MIGRATION_CSV):
        refused = client_for(bank_a[Role.MARKETING_MANAGER]).get(url, {"month": month})
        assert refused.status_code == 400, url
        assert not refused.get("Content-Disposition")


def test_a_bank_without_a_scored_month_is_told_so(bank_a, client_for):
    client = client_for(bank_a[Role.MARKETING_MANAGER])
    for url in (DISTRIBUTION, MIGRATION):
        response = client.get(url)
        assert response.status_code == 200
        assert 'data-testid="no-scored-month"' in response.content.decode()
        assert response.context["figures"] is None


def test_a_branch_manager_sees_only_the_subtree(bank_a, client_for, scored):
    report = figures(client_for(bank_a[Role.BRANCH_MANAGER]).get(DISTRIBUTION))
    assert {tier: row[0] for tier, row in by_tier(report).items()} == {
        "mvc": 2,
        "mgc": 0,
        "ordinary": 2,
        "bz": 0,
        "new": 0,
    }
    assert report.total.aum == Decimal("800100.00")
    # Their branch choice holds their subtree only.
    response = client_for(bank_a[Role.BRANCH_MANAGER]).get(DISTRIBUTION)
    choices = {value for value, _label in response.context["form"].fields["branch"].choices}
    assert choices == {"", bank_a.branch.pk, bank_a.sub_branch.pk}
    outside = client_for(bank_a[Role.BRANCH_MANAGER]).get(
        DISTRIBUTION, {"branch": bank_a.other_branch.pk}
    )
    assert outside.status_code == 400


def test_a_chosen_branch_narrows_the_figures_to_its_subtree(bank_a, client_for, scored):
    client = client_for(bank_a[Role.MARKETING_MANAGER])
    report = figures(client.get(DISTRIBUTION, {"branch": bank_a.other_branch.pk}))
    assert {tier: row[0] for tier, row in by_tier(report).items() if row[0]} == {"bz": 1, "new": 1}
    report = figures(client.get(DISTRIBUTION, {"branch": bank_a.branch.pk}))
    assert report.total.customers == 4


def test_the_branch_table_counts_each_home_branch(bank_a, client_for, scored):
    report = figures(client_for(bank_a[Role.MARKETING_MANAGER]).get(DISTRIBUTION))
    rows = {row.name: (row.tier_counts, row.total.customers) for row in report.branches}
    assert rows == {
        bank_a.branch.name: ([0, 0, 1, 0, 0], 1),
        bank_a.sub_branch.name: ([2, 0, 1, 0, 0], 3),
        bank_a.other_branch.name: ([0, 0, 0, 1, 1], 2),
    }


def test_the_distribution_export_has_the_page_s_numbers(bank_a, client_for, scored):
    rows = csv_rows(client_for(bank_a[Role.MARKETING_MANAGER]).get(DISTRIBUTION_CSV))
    assert rows[0][1:3] == [zh("Tier distribution"), "2026-05"]
    tiers = {row[0]: row[1:] for row in rows[3:9]}
    assert tiers[label("mvc")] == ["2", "33.3", "800000.00", "1800.75", "50.0"]
    assert tiers[label("bz")] == ["1", "16.7", "1000.00", "-15.75", "100.0"]
    assert tiers[zh("Total")] == ["6", "100.0", "803600.00", "1810.00", "33.3"]
    branches = {row[0]: row[1:] for row in rows[10:]}
    assert branches[bank_a.sub_branch.name] == [
        "2",
        "0",
        "1",
        "0",
        "0",
        "3",
        "800100.00",
        "1805.75",
    ]


def test_the_export_follows_the_chosen_month_and_branch(bank_a, client_for, scored):
    client = client_for(bank_a[Role.MARKETING_MANAGER])
    response = client.get(DISTRIBUTION_CSV, {"month": "2026-04", "branch": bank_a.branch.pk})
    rows = csv_rows(response)
    assert rows[0][2:] == ["2026-04", bank_a.branch.name]
    assert "tier-distribution-202604.csv" in response["Content-Disposition"]
    total = next(row for row in rows if row and row[0] == zh("Total"))
    assert total[1] == "4"  # up, kept, down and grew


# --- the migration matrix -----------------------------------------------------------------------


def matrix(report) -> dict[tuple[str | None, str], int]:
    return {
        (row.tier, to_tier): count for row in report.rows for to_tier, count in row.cells if count
    }


def test_the_matrix_counts_customers_from_each_tier_to_each_tier(bank_a, client_for, scored):
    report = figures(client_for(bank_a[Role.MARKETING_MANAGER]).get(MIGRATION))
    assert (report.month, report.previous) == (MAY, APRIL)
    assert matrix(report) == {
        ("ordinary", "mvc"): 1,
        ("mvc", "mvc"): 1,
        ("mgc", "ordinary"): 1,
        ("bz", "bz"): 1,
        ("new", "ordinary"): 1,
        (None, "new"): 1,
    }
    assert [row.tier for row in report.rows] == ["mvc", "mgc", "ordinary", "bz", "new", None]
    assert report.column_totals == [2, 0, 2, 1, 1]
    assert report.total == 6
    assert report.not_scored_now == 1  # "gone"


def test_the_matrix_gives_the_shares_of_upgrades_and_downgrades(bank_a, client_for, scored):
    report = figures(client_for(bank_a[Role.MARKETING_MANAGER]).get(MIGRATION))
    assert report.both_months == 5
    assert (report.upgraded, report.upgraded_share) == (1, Decimal("20.0"))
    assert (report.downgraded, report.downgraded_share) == (1, Decimal("20.0"))
    assert (report.unchanged, report.unchanged_share) == (2, Decimal("40.0"))
    assert (report.other_moves, report.other_moves_share) == (1, Decimal("20.0"))


def test_the_matrix_page_shows_the_cells_and_the_heatmap(bank_a, client_for, scored):
    response = client_for(bank_a[Role.MARKETING_MANAGER]).get(MIGRATION)
    page = response.content.decode()
    assert 'data-testid="cell-ordinary-mvc">1</td>' in page
    assert 'data-testid="cell-none-new">1</td>' in page
    assert 'data-testid="cell-mvc-bz">0</td>' in page
    assert 'data-testid="matrix-total">6</td>' in page
    assert 'data-testid="tier-migration-chart"' in page
    chart = response.context["chart"]
    assert chart["type"] == "heatmap"
    assert [0, 2, 1] in chart["cells"]  # ordinary (row 2) to MVC (column 0): one
    assert chart["rows"][-1] == zh("Not scored the month before")


def test_the_matrix_of_a_chosen_month_compares_it_with_the_month_before(bank_a, client_for, scored):
    report = figures(
        client_for(bank_a[Role.MARKETING_MANAGER]).get(MIGRATION, {"month": "2026-04"})
    )
    assert (report.month, report.previous) == (APRIL, MARCH)
    assert matrix(report) == {
        ("bz", "ordinary"): 1,
        (None, "mvc"): 1,
        (None, "mgc"): 1,
        (None, "bz"): 1,
        (None, "ordinary"): 1,
        (None, "new"): 1,
    }
    assert (report.upgraded, report.both_months) == (1, 1)


def test_a_branch_manager_s_matrix_holds_the_subtree_only(bank_a, client_for, scored):
    report = figures(client_for(bank_a[Role.BRANCH_MANAGER]).get(MIGRATION))
    assert matrix(report) == {
        ("ordinary", "mvc"): 1,
        ("mvc", "mvc"): 1,
        ("mgc", "ordinary"): 1,
        ("new", "ordinary"): 1,
    }
    assert report.not_scored_now == 0


def test_the_matrix_export_has_the_page_s_numbers(bank_a, client_for, scored):
    rows = csv_rows(
        client_for(bank_a[Role.MARKETING_MANAGER]).get(
            MIGRATION_CSV, {"branch": bank_a.other_branch.pk}
        )
    )
    assert rows[0][1:] == [zh("Tier migration"), "2026-05", bank_a.other_branch.name]
    header, *body = rows[2:10]
    assert header[1:] == [
        *(label(tier) for tier in ("mvc", "mgc", "ordinary", "bz", "new")),
        zh("Total"),
    ]
    cells = {row[0]: row[1:] for row in body}
    assert cells[label("bz")] == ["0", "0", "0", "1", "0", "1"]
    assert cells[zh("Not scored the month before")] == ["0", "0", "0", "0", "1", "1"]
    assert cells[zh("Total")] == ["0", "0", "0", "1", "1", "2"]
    moves = {row[0]: row[1:] for row in rows[11:]}
    assert moves[zh("Customers scored in both months")][0] == "1"
    assert moves[zh("Same tier")] == ["1", "100.0"]
    assert moves[zh("Scored the month before, not this month")][0] == "1"


# --- who may, and what it costs -----------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.RELATIONSHIP_MANAGER, Role.TELLER, Role.TENANT_ADMIN])
def test_roles_without_the_permission_get_no_report(bank_a, client_for, role):
    client = client_for(bank_a[role])
    for url in (DISTRIBUTION, DISTRIBUTION_CSV, MIGRATION, MIGRATION_CSV):
        assert client.get(url).status_code == 403, url


def test_another_bank_s_values_are_never_counted(bank_a, bank_b, client_for, scored):
    client = client_for(bank_a[Role.MARKETING_MANAGER])
    assert figures(client.get(DISTRIBUTION)).total.customers == 6
    assert figures(client.get(MIGRATION)).total == 6
    # And bank B's own manager sees its three, none of bank A's.
    foreign = client_for(bank_b[Role.MARKETING_MANAGER])
    report = figures(foreign.get(DISTRIBUTION))
    assert report.total.customers == 3
    assert report.total.aum == Decimal("29999997.00")
    assert figures(foreign.get(MIGRATION)).total == 3
    choices = [
        value for value, _label in foreign.get(DISTRIBUTION).context["form"].fields["month"].choices
    ]
    assert choices == ["2026-05"]


@pytest.mark.parametrize("url", [DISTRIBUTION, MIGRATION, DISTRIBUTION_CSV, MIGRATION_CSV])
def test_the_reports_queries_do_not_grow_with_their_rows(
    bank_a, client_for, scored, django_assert_max_num_queries, url
):
    client = client_for(bank_a[Role.MARKETING_MANAGER])
    client.get(url)  # warm the session's permission cache
    with django_assert_max_num_queries(10) as few:
        assert client.get(url).status_code == 200
    run = scored_month(bank_a.tenant, date(2026, 6, 1))
    for branch in (bank_a.branch, bank_a.sub_branch, bank_a.other_branch):
        for tier in ("mvc", "bz"):
            customer_value(CustomerFactory(home_branch=branch), run, tier=tier)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200
