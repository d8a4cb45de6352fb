"""The channel analytics page: KPIs, tables, scope, filters, export, and what it costs."""

import csv
import io
from datetime import date
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import translation

from channels import rollup
from channels.analytics import report, selectors
from channels.analytics.figures import Grouping
from channels.models import DailyChannelRollup
from crm.tenancy.models import Branch
from crm.tenancy.roles import Role
from tests.channels.analytics_data import DAY, TRANSACTION, at, make_contacts

pytestmark = pytest.mark.django_db

PAGE = reverse("channels:analytics")
EXPORT = reverse("channels:analytics_export")
# Session, staff, permissions, roles and two savepoints; the page's own: the branches in
# scope, the channels and six reads of the roll-up.
MAX_QUERIES = 15
THE_DAY = {"date_from": DAY.isoformat(), "date_to": DAY.isoformat()}


class Tables(HTMLParser):
    """Text of the KPIs and of every table cell, by data-testid."""

    def __init__(self, html: str):
        super().__init__()
        self.kpis: dict[str, str] = {}
        self.tables: dict[str, list[list[str]]] = {}
        self._kpi = None
        self._table = None
        self._row = None
        self._cell = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        testid = dict(attrs).get("data-testid") or ""
        if testid.startswith("kpi-"):
            self._kpi = testid.removeprefix("kpi-")
            self.kpis[self._kpi] = ""
        elif tag == "table" and testid.startswith("table-"):
            self._table = self.tables.setdefault(testid.removeprefix("table-"), [])
        elif tag == "tr" and self._table is not None:
            self._row = []
            self._table.append(self._row)
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag == "div" and self._kpi:
            self._kpi = None
        elif tag == "table":
            self._table = None
        elif tag in ("td", "th") and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data):
        if self._kpi:
            self.kpis[self._kpi] += data.strip()
        if self._cell is not None:
            self._cell.append(data)


def page_of(response) -> Tables:
    assert response.status_code == 200, response.content.decode()[:3000]
    return Tables(response.content.decode())


@pytest.fixture
def rolled_up(bank_a, bank_b):
    """The hand-made day at both banks, rolled up; bank B has more (to tell them apart)."""
    contacts = make_contacts(bank_a)
    contacts_b = make_contacts(bank_b)
    contacts_b.log(contacts_b.wang, "POS", TRANSACTION, at(18), "88.00")
    for bank in (bank_a, bank_b):
        with bank.scope():
            rollup.rollup_day_once(day=DAY)
    return contacts


# --- KPI math ---------------------------------------------------------------------------


def test_whole_bank_kpis_match_the_hand_computed_figures(bank_a, rolled_up, client_for):
    page = page_of(client_for(bank_a[Role.MARKETING_MANAGER]).get(PAGE, THE_DAY))

    assert page.kpis == {
        "interactions": "9",
        "transactions": "7",
        "amount": "13,505.67",
        # mobile 3 + ATM 2 electronic out of 7 transactions
        "substitution": "71.4%",
        # counter 2 × 12.00 + mobile 3 × 0.30 + ATM 2 × 2.50
        "cost": "29.90",
        # over the 5 active customers (the closed one is not served)
        "cost_per_customer": "5.98",
    }


def test_cost_to_serve_per_tier_divides_by_the_tiers_population(bank_a, rolled_up, client_for):
    page = page_of(client_for(bank_a[Role.MARKETING_MANAGER]).get(PAGE, THE_DAY))

    rows = page.tables["cost_by_tier"][1:]
    figures = {row[0]: row[1:] for row in rows}
    with translation.override("zh-hans"):
        tiers = [report.tier_label(tier) for tier in ("mvc", "ordinary", "")]
    assert [row[0] for row in rows[:-1]] == tiers
    # tier: transactions, cost, average active customers, cost per customer
    assert figures[tiers[0]] == ["3", "14.80", "1", "14.80"]
    assert figures[tiers[1]] == ["1", "2.50", "1", "2.50"]
    assert figures[tiers[2]] == ["3", "12.60", "3", "4.20"]
    assert rows[-1][1:] == ["7", "29.90", "5", "5.98"]
    by_channel = {row[0]: row[1:] for row in page.tables["cost_by_channel"][1:]}
    counter = rolled_up.channels["COUNTER"].name
    assert by_channel[counter] == ["2", "12.00", "24.00"]


def test_substitution_ratio_and_channel_mix_per_branch(bank_a, rolled_up, client_for):
    page = page_of(client_for(bank_a[Role.MARKETING_MANAGER]).get(PAGE, THE_DAY))

    # The head office compares its branches (the sub-branch counts with its branch).
    ratios = {row[0]: row[1:] for row in page.tables["substitution_by_branch"][1:]}
    assert ratios == {"AAA分行": ["3", "5", "60.0%"], "AAA二分行": ["2", "2", "100.0%"]}
    over_time = page.tables["substitution_over_time"]
    assert over_time[1] == ["2026-03-10", "5", "7", "71.4%"]
    mix = page.tables["mix_by_branch"]
    channels = rolled_up.channels
    header = mix[0]
    branch = dict(zip(header, mix[1], strict=True))
    assert branch[channels["COUNTER"].name] == "42.9%"  # 3 of 7 interactions
    assert branch[channels["MOBILE"].name] == "57.1%"
    assert branch[channels["ATM"].name] == "0.0%"
    tiers = {
        row[0]: dict(zip(header[1:], row[1:], strict=True))
        for row in page.tables["mix_by_tier"][1:]
    }
    with translation.override("zh-hans"):
        mvc = report.tier_label("mvc")
    assert tiers[mvc][channels["MOBILE"].name] == "33.3%"


def test_selectors_give_decimal_money_and_one_decimal_percentages(bank_a, rolled_up):
    staff = bank_a[Role.MARKETING_MANAGER]
    with bank_a.scope():
        branches = Branch.objects.in_scope(staff).tree_order()
        analytics = selectors.channel_analytics(
            staff=staff,
            branches=list(branches),
            selected_branch=None,
            date_from=DAY,
            date_to=DAY,
            grouping=Grouping.DAY,
        )
    kpis = {kpi.key: kpi.value for kpi in analytics.kpis}
    assert kpis["amount"] == Decimal("13505.67")
    assert kpis["substitution"] == Decimal("71.4")
    assert kpis["cost"] == Decimal("29.90")
    assert kpis["cost_per_customer"] == Decimal("5.98")


# --- scope and isolation ----------------------------------------------------------------


def test_branch_manager_sees_only_the_branch_subtree(bank_a, rolled_up, client_for):
    response = client_for(bank_a[Role.BRANCH_MANAGER]).get(PAGE, THE_DAY)
    page = page_of(response)

    assert page.kpis == {
        "interactions": "7",
        "transactions": "5",
        "amount": "12,705.67",
        "substitution": "60.0%",
        "cost": "24.90",
        "cost_per_customer": "8.30",  # 24.90 over the subtree's 3 active customers
    }
    body = response.content.decode()
    assert "AAA二分行" not in body  # the other branch: neither its figures nor its ATM
    assert "ATM" not in {row[1] for row in page.tables["outlet_ranking"][1:]}
    assert [row[1] for row in page.tables["outlet_ranking"][1:]] == ["AAA分行营业厅"]
    # A branch manager compares the branch's own outlets with its sub-branches.
    assert [row[0] for row in page.tables["substitution_by_branch"][1:]] == [
        "AAA分行",
        "AAA第一支行",
    ]


def test_choosing_a_branch_narrows_the_page_to_its_subtree(bank_a, rolled_up, client_for):
    client = client_for(bank_a[Role.MARKETING_MANAGER])

    page = page_of(client.get(PAGE, {**THE_DAY, "branch": bank_a.other_branch.pk}))

    assert page.kpis["interactions"] == "2"
    assert page.kpis["substitution"] == "100.0%"
    assert [row[1] for row in page.tables["outlet_ranking"][1:]] == ["AAA二分行ATM"]


def test_a_bank_never_sees_another_banks_figures(bank_a, bank_b, rolled_up, client_for):
    response_b = client_for(bank_b[Role.MARKETING_MANAGER]).get(PAGE, THE_DAY)
    response_a = client_for(bank_a[Role.MARKETING_MANAGER]).get(PAGE, THE_DAY)

    assert page_of(response_b).kpis["interactions"] == "10"  # B's own 9 and its POS sale
    assert page_of(response_a).kpis["interactions"] == "9"
    assert "ZZZ" not in response_a.content.decode()
    assert "AAA" not in response_b.content.decode()


def test_another_banks_branch_is_refused_without_a_trace(bank_a, bank_b, rolled_up, client_for):
    client = client_for(bank_a[Role.MARKETING_MANAGER])

    for url in (PAGE, EXPORT):
        response = client.get(url, {**THE_DAY, "branch": bank_b.branch.pk})
        assert response.status_code == 400
        assert "ZZZ" not in response.content.decode()
        assert "13,505.67" not in response.content.decode()


def test_a_branch_manager_cannot_pick_a_branch_outside_the_subtree(bank_a, rolled_up, client_for):
    response = client_for(bank_a[Role.BRANCH_MANAGER]).get(
        PAGE, {**THE_DAY, "branch": bank_a.other_branch.pk}
    )
    assert response.status_code == 400
    assert "AAA二分行" not in response.content.decode()


def test_tellers_get_403_and_platform_admins_404(bank_a, platform_admin, client_for):
    teller = client_for(bank_a[Role.TELLER])
    assert teller.get(PAGE).status_code == 403
    assert teller.get(EXPORT).status_code == 403
    assert client_for(platform_admin).get(PAGE).status_code == 404
    assert client_for(bank_a[Role.RISK_OFFICER]).get(PAGE).status_code == 403


def test_every_analytics_role_opens_the_page(bank_a, client_for):
    for role in (Role.BRANCH_MANAGER, Role.MARKETING_MANAGER, Role.AUDITOR, Role.TENANT_ADMIN):
        assert client_for(bank_a[role]).get(PAGE).status_code == 200, role


# --- filters ----------------------------------------------------------------------------


def test_default_is_the_last_30_days_up_to_yesterday(bank_a, client_for):
    response = client_for(bank_a[Role.MARKETING_MANAGER]).get(PAGE)
    form = response.context["form"]

    last = rollup.yesterday(bank_a.tenant)
    assert form.cleaned_data["date_to"] == last
    assert (last - form.cleaned_data["date_from"]).days == 29
    assert form.cleaned_data["grouping"] == "day"
    assert 'data-testid="no-figures"' in response.content.decode()


def test_monthly_grouping_sums_the_days_of_each_month(bank_a, rolled_up, client_for):
    with bank_a.scope():
        rollup.rollup_day_once(day=date(2026, 3, 11))  # the next midnight's sale
    page = page_of(
        client_for(bank_a[Role.MARKETING_MANAGER]).get(
            PAGE, {"date_from": "2026-02-20", "date_to": "2026-04-05", "grouping": "month"}
        )
    )

    rows = page.tables["interactions_by_channel"]
    assert [row[0] for row in rows[1:-1]] == ["2026-02", "2026-03", "2026-04"]
    assert rows[1][-1] == "0"
    assert rows[2][-1] == "10"  # 9 on the day and 1 just after midnight
    assert rows[3][-1] == "0"


def test_weekly_grouping_starts_weeks_on_monday(bank_a, rolled_up, client_for):
    page = page_of(
        client_for(bank_a[Role.MARKETING_MANAGER]).get(
            PAGE, {"date_from": "2026-03-04", "date_to": "2026-03-20", "grouping": "week"}
        )
    )
    labels = [row[0] for row in page.tables["substitution_over_time"][1:-1]]
    assert labels == ["2026-03-02", "2026-03-09", "2026-03-16"]
    assert page.tables["substitution_over_time"][2][1:] == ["5", "7", "71.4%"]


@pytest.mark.parametrize(
    "query",
    [
        {"date_from": "2026-03-11", "date_to": "2026-03-10"},
        {"date_from": "2020-01-01", "date_to": "2026-03-10"},
        {"date_from": "yesterday"},
        {"grouping": "hour"},
        {"branch": "not-a-number"},
    ],
)
def test_bad_filters_answer_400_with_the_reason(query, bank_a, client_for):
    client = client_for(bank_a[Role.MARKETING_MANAGER])
    response = client.get(PAGE, query)
    assert response.status_code == 400
    assert 'data-testid="filter-errors"' in response.content.decode()
    assert 'data-testid="kpis"' not in response.content.decode()


# --- reading the roll-up only, in few queries ------------------------------------------


def test_page_reads_the_rollup_in_a_bounded_number_of_queries(
    bank_a, rolled_up, client_for, django_assert_max_num_queries
):
    client = client_for(bank_a[Role.BRANCH_MANAGER])
    with django_assert_max_num_queries(MAX_QUERIES) as captured:
        page_of(client.get(PAGE, {**THE_DAY, "grouping": "week"}))
    sql = " ".join(query["sql"] for query in captured.captured_queries)
    assert "channels_interaction" not in sql  # never the raw interactions
    with django_assert_max_num_queries(MAX_QUERIES):
        client.get(PAGE, {**THE_DAY, "branch": bank_a.sub_branch.pk})
    with django_assert_max_num_queries(MAX_QUERIES):
        client.get(EXPORT, THE_DAY)


def test_query_count_does_not_grow_with_days_and_branches(
    bank_a, rolled_up, client_for, django_assert_max_num_queries
):
    with bank_a.scope():
        for offset in range(1, 40):
            contacts_day = date(2026, 1, 1).toordinal() + offset
            rollup.rollup_day_once(day=date.fromordinal(contacts_day))
        assert DailyChannelRollup.objects.count() == 7
    client = client_for(bank_a[Role.MARKETING_MANAGER])
    with django_assert_max_num_queries(MAX_QUERIES):
        client.get(PAGE, {"date_from": "2026-01-01", "date_to": "2026-03-31"})


# --- CSV export ---------------------------------------------------------------------------


def test_csv_export_holds_the_kpis_and_every_table(bank_a, rolled_up, client_for):
    response = client_for(bank_a[Role.BRANCH_MANAGER]).get(EXPORT, THE_DAY)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        'attachment; filename="channel-analytics-20260310-20260310.csv"'
    )
    content = response.content.decode("utf-8")
    assert content.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(content.removeprefix("\ufeff"))))
    assert rows[0][0] == bank_a.tenant.short_name
    assert rows[0][2] == "2026-03-10 – 2026-03-10"
    kpis = dict(zip(rows[1], rows[2], strict=True))
    assert list(kpis.values()) == ["7", "5", "12705.67", "60.0", "24.90", "8.30"]
    # Each table: a blank line, its title, its header, its rows and total.
    titles = [rows[i + 1][0] for i, row in enumerate(rows[:-1]) if row == []]
    page = page_of(client_for(bank_a[Role.BRANCH_MANAGER]).get(PAGE, THE_DAY))
    assert len(titles) == len(page.tables) == 9
    header, *by_branch = rows[rows.index([titles[5]]) + 1 :][:3]
    assert header == page.tables["substitution_by_branch"][0]
    # The branch's own outlets and customers, then its sub-branch.
    assert by_branch == [["AAA分行", "1", "3", "33.3"], ["AAA第一支行", "2", "2", "100.0"]]
    ranking = rows[-1]  # the outlet ranking comes last
    assert ranking == ["1", "AAA分行营业厅", ranking[2], "AAA分行", "2", "3", "12395.67"]
    assert "AAA二分行" not in content


def test_csv_export_keeps_names_from_running_as_formulas(bank_a, rolled_up, client_for):
    with bank_a.scope():
        rolled_up.counter.name = "=HYPERLINK(1)"
        rolled_up.counter.save(update_fields=["name"])

    content = client_for(bank_a[Role.BRANCH_MANAGER]).get(EXPORT, THE_DAY).content.decode()

    assert "'=HYPERLINK(1)" in content
