"""The customer list and the customer page, as branch staff use them."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from crm.audit.models import PersonalDataAccess
from crm.tenancy.context import platform_wide
from crm.tenancy.models import Tenant
from crm.tenancy.roles import Role
from customers import panels, selectors, services
from customers.models import Customer, to_fen
from tests.factories import (
    RESIDENT_IDS,
    BalanceSnapshotFactory,
    CustomerFactory,
    HoldingFactory,
    ProductFactory,
    StaffFactory,
)
from tests.panels import customer_page

LIST = reverse("customers:list")
ROW = re.compile(r'<tr data-customer="([^"]+)"')


def listed(response) -> list[str]:
    """Customer numbers in the list's rows, in order."""
    assert response.status_code == 200, response.content.decode()[:2000]
    return ROW.findall(response.content.decode())


def zh(message: str) -> str:
    with translation.override("zh-hans"):
        return gettext(message)


@pytest.fixture
def wang(bank_a) -> Customer:
    """A wealthy customer of the branch itself (not the sub-branch), in the pool."""
    return CustomerFactory(
        home_branch=bank_a.branch,
        number="AAA0003",
        name="AAA王五",
        tier=Customer.Tier.MVC,
        risk_grade=Customer.RiskGrade.MEDIUM,
        aum_fen=to_fen(Decimal("1234567.89")),
        id_number=RESIDENT_IDS[1],
        phone="13900001111",
    )


# --- the list: scope --------------------------------------------------------------------


def test_head_office_sees_the_whole_bank_and_nothing_of_another(bank_a, bank_b, wang, client_for):
    response = client_for(bank_a[Role.MARKETING_MANAGER]).get(LIST)
    assert sorted(listed(response)) == ["AAA0001", "AAA0002", "AAA0003"]
    assert "ZZZ" not in response.content.decode()


def test_branch_staff_see_their_branch_subtree_only(bank_a, wang, client_for):
    assert sorted(listed(client_for(bank_a[Role.BRANCH_MANAGER]).get(LIST))) == [
        "AAA0001",
        "AAA0003",
    ]
    assert listed(client_for(bank_a[Role.TELLER]).get(LIST)) == ["AAA0001"]


def test_relationship_managers_limited_to_their_book_see_only_their_customers(
    bank_a, wang, client_for
):
    rm = bank_a[Role.RELATIONSHIP_MANAGER]
    CustomerFactory(home_branch=bank_a.sub_branch, number="AAA0004")  # in the pool
    assert sorted(listed(client_for(rm).get(LIST))) == ["AAA0001", "AAA0004"]
    with platform_wide():
        Tenant.objects.filter(pk=bank_a.tenant.pk).update(rm_scope=Tenant.RmScope.OWN_BOOK)
    assert listed(client_for(rm).get(LIST)) == ["AAA0001"]
    # Their branch manager still sees the whole subtree.
    assert "AAA0004" in listed(client_for(bank_a[Role.BRANCH_MANAGER]).get(LIST))


# --- the list: one search box -------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    ["13812345678", "+86 138 1234 5678", RESIDENT_IDS[0], RESIDENT_IDS[0].lower(), "AAA0001"],
)
def test_exact_searches_find_the_customer_and_nothing_of_the_other_bank(
    typed, bank_a, bank_b, wang, client_for
):
    # Bank B's customer has the very same phone and ID number.
    response = client_for(bank_a[Role.AUDITOR]).get(LIST, {"q": typed})
    assert listed(response) == ["AAA0001"]
    assert "ZZZ" not in response.content.decode()


def test_search_tells_what_it_searched_by(bank_a, client_for):
    page = client_for(bank_a[Role.AUDITOR]).get(LIST, {"q": "13812345678"}).content.decode()
    assert str(selectors.SearchKind.DESCRIPTIONS[selectors.SearchKind.PHONE]) in page


def test_name_search_matches_the_beginning_of_the_name(bank_a, wang, client_for):
    client = client_for(bank_a[Role.AUDITOR])
    assert listed(client.get(LIST, {"q": "AAA王"})) == ["AAA0003"]
    assert sorted(listed(client.get(LIST, {"q": "AAA"}))) == ["AAA0001", "AAA0002", "AAA0003"]
    assert listed(client.get(LIST, {"q": "王五"})) == []  # not a prefix


def test_a_search_does_not_reach_beyond_the_staff_members_scope(bank_a, wang, client_for):
    teller = client_for(bank_a[Role.TELLER])
    assert listed(teller.get(LIST, {"q": "13900001111"})) == []
    assert listed(teller.get(LIST, {"q": "AAA0002"})) == []


def test_phone_and_id_searches_use_the_blind_index_not_clear_text(bank_a, client_for):
    with CaptureQueriesContext(connection) as queries:
        client_for(bank_a[Role.AUDITOR]).get(LIST, {"q": "13812345678"})
    sql = " ".join(query["sql"] for query in queries.captured_queries)
    assert "phone_index" in sql
    assert "13812345678" not in sql.replace("'13812345678'", "")  # only as a customer number


# --- the list: filters ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"kind": "corporate"}, ["AAA0002"]),
        ({"kind": "individual"}, ["AAA0001", "AAA0003"]),
        ({"tier": "mvc"}, ["AAA0003"]),
        ({"risk_grade": "medium"}, ["AAA0003"]),
        ({"relationship_manager": "pool"}, ["AAA0002", "AAA0003"]),
        ({"aum_min": "1000000"}, ["AAA0003"]),
        ({"aum_min": "1234567.89", "aum_max": "1234567.89"}, ["AAA0003"]),
        ({"aum_max": "1234567.88"}, ["AAA0001", "AAA0002"]),
        ({"status": "dormant"}, []),
    ],
)
def test_filters_narrow_the_list(filters, expected, bank_a, bank_b, wang, client_for):
    response = client_for(bank_a[Role.TENANT_ADMIN]).get(LIST, filters)
    assert sorted(listed(response)) == expected


def test_branch_filter_takes_the_whole_subtree(bank_a, wang, client_for):
    client = client_for(bank_a[Role.TENANT_ADMIN])
    assert sorted(listed(client.get(LIST, {"branch": bank_a.branch.pk}))) == [
        "AAA0001",  # at the sub-branch under it
        "AAA0003",
    ]
    assert listed(client.get(LIST, {"branch": bank_a.other_branch.pk})) == ["AAA0002"]


def test_relationship_manager_filter(bank_a, wang, client_for):
    rm = bank_a[Role.RELATIONSHIP_MANAGER]
    response = client_for(bank_a[Role.TENANT_ADMIN]).get(LIST, {"relationship_manager": rm.pk})
    assert listed(response) == ["AAA0001"]


def test_a_departed_managers_book_can_still_be_found_but_not_given_to_them(bank_a, client_for):
    departed = StaffFactory(
        branch=bank_a.sub_branch,
        name="AAA已离职",
        is_active=False,
        roles=[Role.RELATIONSHIP_MANAGER],
    )
    CustomerFactory(home_branch=bank_a.sub_branch, relationship_manager=departed, number="AAA0099")
    client = client_for(bank_a[Role.BRANCH_MANAGER])
    assert listed(client.get(LIST, {"relationship_manager": departed.pk})) == ["AAA0099"]
    managers = reverse("customers:managers")
    to_find = client.get(managers, {"q": "AAA", "purpose": "filter"}).content.decode()
    assert "AAA已离职" in to_find
    to_give = client.get(managers, {"q": "AAA", "purpose": "handover"}).content.decode()
    assert "AAA已离职" not in to_give
    assert bank_a[Role.RELATIONSHIP_MANAGER].name in to_give
    handover = client.post(
        reverse("customers:handover_selected"),
        {"customer": [bank_a.customer.pk], "relationship_manager": departed.pk, "reason": "x"},
    )
    assert handover.status_code == 404


@pytest.mark.parametrize(
    "query",
    [
        {"kind": "alien"},
        {"aum_min": "-5"},
        {"aum_min": "abc"},
        {"aum_min": "10", "aum_max": "5"},
        {"sort": "salary"},
        {"after": "not-a-cursor"},
        {"sort": "name", "after": selectors.encode_cursor("newest", [5])},
    ],
)
def test_a_bad_query_string_is_refused_with_a_message(query, bank_a, client_for):
    response = client_for(bank_a[Role.TENANT_ADMIN]).get(LIST, query)
    assert response.status_code == 400
    assert 'data-testid="filter-errors"' in response.content.decode()
    assert ROW.findall(response.content.decode()) == []


def test_filters_out_of_scope_are_not_offered_and_refused(bank_a, bank_b, client_for):
    teller = client_for(bank_a[Role.TELLER])
    page = teller.get(LIST).content.decode()
    assert (
        f'value="{bank_a.other_branch.pk}"'
        not in page.split('name="branch"')[1].split("</select>")[0]
    )
    assert teller.get(LIST, {"branch": bank_a.other_branch.pk}).status_code == 400
    assert teller.get(LIST, {"branch": bank_b.branch.pk}).status_code == 400
    other_rm = bank_b[Role.RELATIONSHIP_MANAGER].pk
    assert teller.get(LIST, {"relationship_manager": other_rm}).status_code == 400


# --- the list: sorting and keyset pages -----------------------------------------------------


@pytest.fixture
def many(bank_a):
    """Seven customers at the sub-branch with ties in AUM, created in number order."""
    amounts = [500, 100, 100, 900, 100, 700, 300]
    return [
        CustomerFactory(
            home_branch=bank_a.sub_branch,
            number=f"P{index:03d}",
            name=f"AAA排序{'丁丙乙甲戊己庚'[index]}",
            aum_fen=to_fen(Decimal(amount)),
        )
        for index, amount in enumerate(amounts)
    ]


def walk_pages(client, query, *, direction="after"):
    """Follow the next links to the end; return the numbers of each page."""
    pages = []
    response = client.get(LIST, query)
    while True:
        pages.append(listed(response))
        link = re.search(r'rel="next" href="\?([^"]+)"', response.content.decode())
        if not link:
            return pages, response
        response = client.get(LIST + "?" + link.group(1).replace("&amp;", "&"))


@pytest.mark.parametrize("sort", ["newest", "name", "aum_desc", "aum_asc"])
def test_keyset_pages_cover_every_customer_once_in_order(
    sort, bank_a, many, client_for, monkeypatch
):
    monkeypatch.setattr(selectors, "PAGE_SIZE", 3)
    client = client_for(bank_a[Role.BRANCH_MANAGER])
    pages, _last = walk_pages(client, {"sort": sort, "q": "AAA排序"})
    numbers = [number for page in pages for number in page]
    by_number = {customer.number: customer for customer in many}
    keys = {
        "newest": lambda c: -c.pk,
        "name": lambda c: (c.name.encode(), c.pk),  # COLLATE "C" is byte order
        "aum_desc": lambda c: (-c.aum_fen, -c.pk),
        "aum_asc": lambda c: (c.aum_fen, c.pk),
    }
    assert numbers == [c.number for c in sorted(by_number.values(), key=keys[sort])]
    assert [len(page) for page in pages] == [3, 3, 1]


def test_a_name_search_comes_in_name_order_unless_another_is_chosen(bank_a, many, client_for):
    client = client_for(bank_a[Role.BRANCH_MANAGER])
    by_name = [c.number for c in sorted(many, key=lambda c: c.name.encode())]
    assert listed(client.get(LIST, {"q": "AAA排序"})) == by_name
    newest = listed(client.get(LIST, {"q": "AAA排序", "sort": "newest"}))
    assert newest == [c.number for c in reversed(many)]


def test_previous_links_lead_back_to_the_same_pages(bank_a, many, client_for, monkeypatch):
    monkeypatch.setattr(selectors, "PAGE_SIZE", 3)
    client = client_for(bank_a[Role.BRANCH_MANAGER])
    pages, response = walk_pages(client, {"sort": "aum_desc", "q": "AAA排序"})
    back = []
    while True:
        link = re.search(r'rel="prev" href="\?([^"]+)"', response.content.decode())
        if not link:
            break
        response = client.get(LIST + "?" + link.group(1).replace("&amp;", "&"))
        back.append(listed(response))
    assert back == list(reversed(pages[:-1]))


def test_a_single_page_says_how_many_and_a_longer_list_does_not_count(
    bank_a, many, client_for, monkeypatch
):
    client = client_for(bank_a[Role.BRANCH_MANAGER])
    with translation.override("zh-hans"):
        summary = client.get(LIST, {"q": "AAA排序"}).content.decode()
    assert "7" in summary.split('data-testid="results-summary"')[1].split("</p>")[0]
    monkeypatch.setattr(selectors, "PAGE_SIZE", 3)
    with CaptureQueriesContext(connection) as queries:
        client.get(LIST)
    assert not any("COUNT(" in query["sql"].upper() for query in queries.captured_queries)


# --- the list: htmx, masking, query counts --------------------------------------------------


def test_htmx_gets_only_the_results_and_a_full_load_gets_the_page(bank_a, client_for):
    client = client_for(bank_a[Role.BRANCH_MANAGER])
    fragment = client.get(LIST, {"q": "AAA"}, headers={"HX-Request": "true"})
    body = fragment.content.decode()
    assert fragment.status_code == 200
    assert body.lstrip().startswith('<div id="customer-results"')
    assert "<html" not in body and 'data-testid="customer-filter"' not in body
    assert listed(fragment) == ["AAA0001"]
    assert "HX-Request" in fragment["Vary"]
    restore = client.get(LIST, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in restore.content.decode()
    page = client.get(LIST).content.decode()
    assert "<html" in page and 'hx-target="#customer-results"' in page


@pytest.mark.parametrize("field", ["aum_min", "branch", "relationship_manager"])
def test_htmx_shows_filter_errors_in_the_results(field, bank_a, bank_b, client_for):
    foreign = {
        "aum_min": "x",
        "branch": bank_b.branch.pk,
        "relationship_manager": bank_b[Role.RELATIONSHIP_MANAGER].pk,
    }
    response = client_for(bank_a[Role.BRANCH_MANAGER]).get(
        LIST, {field: foreign[field]}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200  # htmx swaps only successful responses
    assert 'data-testid="filter-errors"' in response.content.decode()
    assert ROW.findall(response.content.decode()) == []


def test_htmx_filters_by_branch_and_manager_within_scope(bank_a, wang, client_for):
    client = client_for(bank_a[Role.BRANCH_MANAGER])
    headers = {"HX-Request": "true"}
    assert listed(client.get(LIST, {"branch": bank_a.branch.pk}, headers=headers)) == [
        "AAA0003",
        "AAA0001",
    ]
    rm = bank_a[Role.RELATIONSHIP_MANAGER].pk
    assert listed(client.get(LIST, {"relationship_manager": rm}, headers=headers)) == ["AAA0001"]


def test_identity_columns_are_masked(bank_a, client_for):
    page = client_for(bank_a[Role.BRANCH_MANAGER]).get(LIST).content.decode()
    assert "110***********002X" in page and "138****5678" in page
    assert RESIDENT_IDS[0] not in page and "13812345678" not in page


def test_amounts_are_shown_with_grouped_digits(bank_a, wang, client_for):
    page = client_for(bank_a[Role.BRANCH_MANAGER]).get(LIST).content.decode()
    assert "1,234,567.89" in page


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"q": "13812345678"},
        {"q": RESIDENT_IDS[0]},
        {"q": "AAA0001"},
        {"q": "AAA张"},
        {"branch": "BRANCH", "tier": "mvc", "sort": "aum_desc"},
        {"relationship_manager": "pool", "aum_min": "100", "sort": "name"},
        {"relationship_manager": "RM", "branch": "BRANCH", "q": "AAA"},
    ],
)
@pytest.mark.parametrize("role", [Role.BRANCH_MANAGER, Role.RELATIONSHIP_MANAGER, Role.AUDITOR])
def test_list_and_searches_take_at_most_ten_queries(
    query, role, bank_a, many, client_for, django_assert_max_num_queries
):
    placeholders = {
        "BRANCH": bank_a[role].branch.pk,
        "RM": bank_a[Role.RELATIONSHIP_MANAGER].pk,
    }
    query = {k: placeholders.get(v, v) for k, v in query.items()}
    client = client_for(bank_a[role])
    with django_assert_max_num_queries(10):
        response = client.get(LIST, query)
    assert response.status_code == 200
    with django_assert_max_num_queries(10):
        client.get(LIST, query, headers={"HX-Request": "true"})


def test_list_query_count_does_not_grow_with_the_page(
    bank_a, client_for, django_assert_max_num_queries
):
    rms = [
        StaffFactory(branch=bank_a.sub_branch, roles=[Role.RELATIONSHIP_MANAGER]) for _ in range(3)
    ]
    for index in range(60):
        CustomerFactory(home_branch=bank_a.sub_branch, relationship_manager=rms[index % 3])
    client = client_for(bank_a[Role.BRANCH_MANAGER])
    with django_assert_max_num_queries(10):
        response = client.get(LIST)
    assert len(listed(response)) == selectors.PAGE_SIZE


def test_staff_without_customer_access_and_platform_admins_get_no_list(
    bank_a, platform_admin, client_for
):
    assert client_for(platform_admin).get(LIST).status_code == 404


# --- the customer page ------------------------------------------------------------------------


@pytest.fixture
def rich_customer(bank_a):
    """Bank A's customer with holdings, balances, relationships, consent and history."""
    customer = bank_a.customer
    loan = ProductFactory(tenant=bank_a.tenant, name="AAA住房贷款", category="loan")
    HoldingFactory(customer=customer, product=loan, balance=Decimal("300000.00"))
    for month in range(1, 13):
        BalanceSnapshotFactory(
            customer=customer, month=date(2025, month, 1), aum=Decimal(10000 * month)
        )
    spouse = CustomerFactory(home_branch=bank_a.sub_branch, number="AAA0010", name="AAA配偶")
    child = CustomerFactory(home_branch=bank_a.other_branch, number="AAA0011", name="AAA子女")
    with bank_a.scope():
        services.relationship_add(from_customer=spouse, to_customer=customer, kind="spouse")
        services.relationship_add(from_customer=customer, to_customer=child, kind="parent")
        services.consent_record(
            customer=customer,
            purpose="marketing",
            channel="sms",
            granted=True,
            source="counter",
            actor=bank_a[Role.TELLER],
        )
        colleague = StaffFactory(
            branch=bank_a.sub_branch, name="AAA新客户经理", roles=[Role.RELATIONSHIP_MANAGER]
        )
        services.customers_assign(
            customer_ids=[customer.pk],
            relationship_manager=colleague,
            actor=bank_a[Role.BRANCH_MANAGER],
            reason="AAA调岗交接",
        )
    return customer


def detail_url(customer) -> str:
    return reverse("customers:detail", args=[customer.pk])


def test_customer_page_shows_header_key_figures_and_every_panel(
    bank_a, bank_b, rich_customer, client_for
):
    page = customer_page(client_for(bank_a[Role.BRANCH_MANAGER]), detail_url(rich_customer))
    assert "AAA张三" in page and "AAA0001" in page and "AAA第一支行" in page
    assert "110***********002X" in page and "138****5678" in page
    assert RESIDENT_IDS[0] not in page
    assert 'data-testid="figure-deposits">50,000.00<' in page
    assert 'data-testid="figure-loans">300,000.00<' in page
    assert 'data-testid="figure-products">2<' in page
    # (the consents are read in the channels app's contact preferences, which replace them)
    for key in ("holdings", "aum_trend", "relationships", "contact_preferences", "rm_history"):
        assert f'data-testid="panel-{key}"' in page
    assert 'data-testid="panel-audit"' not in page  # auditors only
    assert "AAA住房贷款" in page
    assert "AAA调岗交接" in page and "AAA新客户经理" in page
    assert "ZZZ" not in page


def test_relationships_read_both_ways(bank_a, rich_customer, client_for):
    client = client_for(bank_a[Role.TENANT_ADMIN])
    with translation.override("zh-hans"):
        page = customer_page(client, detail_url(rich_customer))
        relationships = page.split('data-testid="relationships"')[1].split("</ul>")[0]
        assert gettext("Spouse") in relationships and "AAA配偶" in relationships
        assert gettext("Child") in relationships and "AAA子女" in relationships
        with bank_a.scope():
            child_customer = Customer.objects.get(number="AAA0011")
        child_page = customer_page(client, detail_url(child_customer))
        assert gettext("Parent") in child_page.split('data-testid="relationships"')[1]
        assert "AAA张三" in child_page.split('data-testid="relationships"')[1]


def test_related_customers_out_of_scope_are_named_but_not_linked(bank_a, rich_customer, client_for):
    page = customer_page(client_for(bank_a[Role.TELLER]), detail_url(rich_customer))
    relationships = page.split('data-testid="relationships"')[1].split("</ul>")[0]
    with bank_a.scope():
        spouse = Customer.objects.get(number="AAA0010")
        child = Customer.objects.get(number="AAA0011")  # at the other branch
    assert detail_url(spouse) in relationships
    assert "AAA子女" in relationships and detail_url(child) not in relationships


def test_aum_trend_passes_its_figures_as_json_with_a_table_fallback(
    bank_a, rich_customer, client_for
):
    page = client_for(bank_a[Role.TELLER]).get(detail_url(rich_customer)).content.decode()
    chart = re.search(
        r'<script id="aum-chart-\d+" type="application/json">(.*?)</script>', page, re.S
    )
    assert chart is not None
    assert '"2025-01"' in chart.group(1) and '"120000.00"' in chart.group(1)
    assert 'data-testid="aum-table"' in page
    assert "/static/customers/aum_chart.js" in page and "echarts.min.js" in page
    assert "<script>" not in page  # no inline scripts under the content security policy


def test_auditors_see_the_customers_audit_history(bank_a, rich_customer, client_for):
    with bank_a.scope():
        services.pii_reveal(
            customer=rich_customer, field="phone", reason="AAA核实来电", actor=bank_a[Role.TELLER]
        )
    page = customer_page(client_for(bank_a[Role.AUDITOR]), detail_url(rich_customer))
    assert 'data-testid="panel-audit"' in page
    audit = page.split('data-testid="panel-audit"')[1]
    assert "AAA新客户经理" in audit  # the relationship manager change, with the new name
    assert "AAA核实来电" in audit and bank_a[Role.TELLER].username in audit


def test_registered_panels_of_other_apps_are_rendered_with_their_context(bank_a, client_for):
    calls = []

    def context(request, customer):
        calls.append((request.user.pk, customer.pk))
        return {"related": []}

    panel = panels.register_panel(
        panels.Panel(
            key="test_timeline",
            title="AAA时间线",
            template="customers/panels/relationships.html",
            context=context,
            roles=frozenset({Role.TELLER}),
        )
    )
    try:
        teller_page = client_for(bank_a[Role.TELLER]).get(detail_url(bank_a.customer))
        manager_page = client_for(bank_a[Role.BRANCH_MANAGER]).get(detail_url(bank_a.customer))
    finally:
        panels._panels.pop(panel.key)
    assert 'data-testid="panel-test_timeline"' in teller_page.content.decode()
    assert "AAA时间线" in teller_page.content.decode()
    assert 'data-testid="panel-test_timeline"' not in manager_page.content.decode()
    assert calls == [(bank_a[Role.TELLER].pk, bank_a.customer.pk)]


def test_customer_page_out_of_scope_or_of_another_bank_is_not_found(bank_a, bank_b, client_for):
    teller = client_for(bank_a[Role.TELLER])
    assert teller.get(detail_url(bank_a.other_customer)).status_code == 404
    assert teller.get(detail_url(bank_b.customer)).status_code == 404
    head_office = client_for(bank_a[Role.TENANT_ADMIN])
    response = head_office.get(detail_url(bank_b.customer))
    assert response.status_code == 404 and "ZZZ" not in response.content.decode()


def test_customer_page_query_count_does_not_grow_with_the_data(
    bank_a, rich_customer, client_for, django_assert_max_num_queries
):
    for _ in range(60):
        HoldingFactory(customer=rich_customer)
    for month in range(1, 13):
        BalanceSnapshotFactory(customer=rich_customer, month=date(2024, month, 1))
    others = [CustomerFactory(home_branch=bank_a.sub_branch) for _ in range(8)]
    with bank_a.scope():
        for other in others:
            services.relationship_add(
                from_customer=rich_customer, to_customer=other, kind="guarantor"
            )
        rm = bank_a[Role.RELATIONSHIP_MANAGER]
        for index in range(12):
            services.customers_assign(
                customer_ids=[rich_customer.pk],
                relationship_manager=None if index % 2 else rm,
                actor=bank_a[Role.BRANCH_MANAGER],
                reason=f"第{index}次",
                kind="assign",
            )
            services.customer_update(customer=rich_customer, actor=None, occupation=f"职业{index}")
            services.pii_reveal(customer=rich_customer, field="phone", reason="核实", actor=rm)
    for role in (Role.AUDITOR, Role.BRANCH_MANAGER, Role.RELATIONSHIP_MANAGER):
        client = client_for(bank_a[role])
        with django_assert_max_num_queries(20):
            response = client.get(detail_url(rich_customer))
        assert response.status_code == 200
    page = response.content.decode()
    assert page.count("<tr") >= 60  # the data is really there


# --- revealing identity -----------------------------------------------------------------------


def reveal_url(customer) -> str:
    return reverse("customers:reveal", args=[customer.pk])


def test_reveal_button_only_for_staff_allowed_to_reveal(bank_a, client_for):
    teller_page = client_for(bank_a[Role.TELLER]).get(detail_url(bank_a.customer))
    assert 'data-testid="reveal-button-phone"' in teller_page.content.decode()
    marketing_page = client_for(bank_a[Role.MARKETING_MANAGER]).get(detail_url(bank_a.customer))
    assert 'data-testid="reveal-button-phone"' not in marketing_page.content.decode()


def test_reveal_with_a_reason_shows_the_number_and_logs_the_access(bank_a, client_for):
    teller = bank_a[Role.TELLER]
    response = client_for(teller).post(
        reveal_url(bank_a.customer),
        {"field": "id_number", "reason": "AAA客户到柜台办理业务"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<span id="reveal-id_number"')
    assert RESIDENT_IDS[0] in body
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    with bank_a.scope():
        access = PersonalDataAccess.objects.get()
    assert access.staff_id == teller.pk
    assert access.subject_id == bank_a.customer.pk and access.field == "id_number"
    assert access.reason == "AAA客户到柜台办理业务"


def test_reveal_without_a_reason_shows_an_error_and_logs_nothing(bank_a, client_for):
    response = client_for(bank_a[Role.TELLER]).post(
        reveal_url(bank_a.customer),
        {"field": "phone", "reason": "  "},
        headers={"HX-Request": "true"},
    )
    body = response.content.decode()
    assert zh("Give the reason for viewing this value.") in body
    assert 'data-testid="reveal-error"' in body
    assert "13812345678" not in body
    with bank_a.scope():
        assert not PersonalDataAccess.objects.exists()


def test_reveal_needs_the_permission(bank_a, client_for):
    response = client_for(bank_a[Role.MARKETING_MANAGER]).post(
        reveal_url(bank_a.customer), {"field": "phone", "reason": "好奇"}
    )
    assert response.status_code == 403
    assert "13812345678" not in response.content.decode()
    with bank_a.scope():
        assert not PersonalDataAccess.objects.exists()


def test_reveal_of_an_unknown_field_is_refused(bank_a, client_for):
    response = client_for(bank_a[Role.TELLER]).post(
        reveal_url(bank_a.customer), {"field": "id_number_encrypted", "reason": "x"}
    )
    assert response.status_code == 400


def test_reveal_out_of_scope_or_of_another_bank_is_not_found_and_not_logged(
    bank_a, bank_b, client_for
):
    teller = client_for(bank_a[Role.TELLER])
    data = {"field": "phone", "reason": "查看"}
    assert teller.post(reveal_url(bank_b.customer), data).status_code == 404
    assert teller.post(reveal_url(bank_a.other_customer), data).status_code == 404
    with platform_wide():
        assert not PersonalDataAccess.objects.exists()


def test_reveal_without_htmx_renders_a_page(bank_a, client_for):
    response = client_for(bank_a[Role.TELLER]).post(
        reveal_url(bank_a.customer), {"field": "phone", "reason": "来电核实"}
    )
    assert response.status_code == 200
    assert "<html" in response.content.decode() and "13812345678" in response.content.decode()


def test_export_links_carry_the_lists_filters_for_staff_who_may_export(bank_a, client_for):
    marketing = client_for(bank_a[Role.MARKETING_MANAGER])
    fragment = marketing.get(
        LIST, {"tier": "mvc", "sort": "name"}, headers={"HX-Request": "true"}
    ).content.decode()
    links = fragment.split('data-testid="export-links"')[1].split("</div>")[0]
    export = reverse("customers:export")
    assert f'href="{export}?tier=mvc&amp;sort=name&amp;format=xlsx"' in links
    assert f'href="{export}?tier=mvc&amp;sort=name&amp;format=csv"' in links
    teller_page = client_for(bank_a[Role.TELLER]).get(LIST).content.decode()
    assert 'data-testid="export-links"' not in teller_page
