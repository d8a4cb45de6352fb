"""How the list and the customer page ask the database, so that they stay fast at a bank's size.

The figures at a million customers are in docs/benchmarks.md; these tests keep the shapes of
the queries that gave them.
"""

import re
from decimal import Decimal

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from crm.tenancy.context import platform_wide
from crm.tenancy.models import Staff, Tenant
from crm.tenancy.roles import Role
from customers import selectors
from customers.models import Customer, Holding
from tests.factories import CustomerFactory, HoldingFactory, ProductFactory

LIST = reverse("customers:list")


def customer_queries(queries) -> list[str]:
    return [
        query["sql"]
        for query in queries.captured_queries
        if 'FROM "customers_customer"' in query["sql"]
    ]


# --- the list: a branch filter --------------------------------------------------------------


def test_a_branch_filter_names_the_home_branches_once(bank_a, client_for):
    """The chosen subtree narrows the scope's condition instead of adding a second one.

    Two ``home_branch_id IN (...)`` lists make PostgreSQL multiply their selectivities, expect
    a few hundred customers where there are thousands and read them through the wrong index.
    """
    at_branch = CustomerFactory(home_branch=bank_a.branch, number="AAA0301")
    client = client_for(bank_a[Role.BRANCH_MANAGER])  # scope: the branch and its sub-branch
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST, {"branch": bank_a.sub_branch.pk, "tier": ""})
    assert re.findall(r'<tr data-customer="([^"]+)"', response.content.decode()) == ["AAA0001"]
    (sql,) = customer_queries(queries)
    assert sql.count('"home_branch_id" IN (') == 1
    whole = client.get(LIST, {"branch": bank_a.branch.pk}).content.decode()
    assert at_branch.number in whole and "AAA0001" in whole


def test_narrowing_to_branches_never_widens_the_scope(bank_a):
    teller = bank_a[Role.TELLER]  # the sub-branch only
    with bank_a.scope():
        outside = Customer.objects.in_scope(teller, branch_ids=[bank_a.other_branch.pk])
        assert list(outside) == []
        head_office = bank_a[Role.TENANT_ADMIN]
        other = Customer.objects.in_scope(head_office, branch_ids=[bank_a.other_branch.pk])
        assert list(other) == [bank_a.other_customer]
        assert list(Customer.objects.in_scope(head_office, branch_ids=[])) == []


def test_narrowing_to_branches_keeps_a_relationship_managers_own_book(bank_a):
    CustomerFactory(home_branch=bank_a.sub_branch, number="AAA0302")  # in the pool
    with platform_wide():
        Tenant.objects.filter(pk=bank_a.tenant.pk).update(rm_scope=Tenant.RmScope.OWN_BOOK)
    with bank_a.scope():
        rm = Staff.objects.get(pk=bank_a[Role.RELATIONSHIP_MANAGER].pk)  # with the new setting
        mine = Customer.objects.in_scope(rm, branch_ids=[bank_a.sub_branch.pk])
        assert [customer.number for customer in mine] == ["AAA0001"]


# --- the customer page: key figures and the holdings panel ---------------------------------


def test_key_figures_count_every_holding_though_the_panel_shows_fifty(bank_a, client_for):
    customer = bank_a.customer  # holds a 50,000.00 deposit already
    deposit = ProductFactory(tenant=bank_a.tenant, category="deposit")
    fund = ProductFactory(tenant=bank_a.tenant, category="fund")
    loan = ProductFactory(tenant=bank_a.tenant, category="loan")
    for _ in range(selectors.HOLDINGS_SHOWN + 10):
        HoldingFactory(customer=customer, product=deposit, balance=Decimal("1000.50"))
    HoldingFactory(customer=customer, product=fund, balance=Decimal("20000.00"))
    HoldingFactory(customer=customer, product=loan, balance=Decimal("300000.00"))
    HoldingFactory(
        customer=customer, product=fund, balance=Decimal("99999.00"), status=Holding.Status.CLOSED
    )
    with CaptureQueriesContext(connection) as queries:
        response = client_for(bank_a[Role.BRANCH_MANAGER]).get(
            reverse("customers:detail", args=[customer.pk])
        )
    page = response.content.decode()
    assert 'data-testid="figure-deposits">110,030.00<' in page  # 50,000 + 60 x 1,000.50
    assert 'data-testid="figure-aum">130,030.00<' in page  # with the fund, not the loan
    assert 'data-testid="figure-loans">300,000.00<' in page
    assert 'data-testid="figure-products">63<' in page  # the closed fund is not held
    holdings = page.split('data-testid="holdings"')[1].split("</table>")[0]
    assert holdings.count("<tr") == selectors.HOLDINGS_SHOWN + 1  # with the header
    assert 'data-testid="more-holdings"' in page
    reads = [q["sql"] for q in queries.captured_queries if 'FROM "customers_holding"' in q["sql"]]
    assert len(reads) == 1  # the panel and the key figures share it


def test_key_figures_of_a_customer_holding_nothing_are_zero(bank_a, client_for):
    page = (
        client_for(bank_a[Role.TENANT_ADMIN])
        .get(reverse("customers:detail", args=[bank_a.other_customer.pk]))
        .content.decode()
    )
    assert 'data-testid="figure-aum">0.00<' in page
    assert 'data-testid="figure-loans">0.00<' in page
    assert 'data-testid="figure-products">0<' in page


def test_newest_first_starts_at_the_banks_own_newest_customer(bank_a, bank_b, client_for):
    """Another bank's customers loaded later hold the higher ids (bank B's here).

    Walking the primary key backwards from the top, as PostgreSQL chooses to (it takes every
    bank's ids to be spread evenly), would read all of them first: 440 ms at a million
    customers of another bank. The list starts at its own bank's newest customer instead.
    """
    CustomerFactory(home_branch=bank_a.sub_branch, number="AAA0303")
    with CaptureQueriesContext(connection) as queries:
        response = client_for(bank_a[Role.BRANCH_MANAGER]).get(LIST)
    assert re.findall(r'<tr data-customer="([^"]+)"', response.content.decode()) == [
        "AAA0303",
        "AAA0001",
    ]
    (sql,) = customer_queries(queries)
    assert re.search(r'"customers_customer"\."id" <= \(SELECT', sql)
