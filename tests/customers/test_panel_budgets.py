"""The customer page's query budget holds however many panels apps register.

The first response stays within twenty queries: panels below the fold are lazy and load on
their own request once scrolled into view. Each panel, lazy or not, costs at most three
queries of its own, whatever the customer's data.
"""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse

from channels import services as channel_services
from crm.tenancy.roles import Role
from customers import panels, services
from tests.factories import BalanceSnapshotFactory, CustomerFactory, HoldingFactory
from tests.factories.channels import standard_catalog
from tests.panels import panel_queries

PANEL_BUDGET = 3
PAGE_BUDGET = 20


def detail_url(customer) -> str:
    return reverse("customers:detail", args=[customer.pk])


@pytest.fixture
def busy_customer(bank_a):
    """A customer with plenty of every kind of data the panels show."""
    customer = bank_a.customer
    catalog = standard_catalog(bank_a.tenant)
    for _ in range(15):
        HoldingFactory(customer=customer, balance=Decimal("1000.00"))
    for month in range(1, 13):
        BalanceSnapshotFactory(customer=customer, month=date(2025, month, 1))
    others = [CustomerFactory(home_branch=bank_a.sub_branch) for _ in range(5)]
    rm = bank_a[Role.RELATIONSHIP_MANAGER]
    with bank_a.scope():
        for other in others:
            services.relationship_add(from_customer=customer, to_customer=other, kind="guarantor")
        for channel in ("sms", "phone", "wechat"):
            services.consent_record(
                customer=customer,
                purpose="marketing",
                channel=channel,
                granted=True,
                source="counter",
                actor=rm,
            )
        for index in range(6):
            services.customers_assign(
                customer_ids=[customer.pk],
                relationship_manager=None if index % 2 else rm,
                actor=bank_a[Role.BRANCH_MANAGER],
                reason=f"第{index}次",
                kind="assign",
            )
            services.customer_update(customer=customer, actor=None, occupation=f"职业{index}")
        for index in range(20):
            channel_services.interaction_log(
                customer=customer,
                channel=catalog["channels"]["PHONE"],
                kind="enquiry",
                summary=f"来电{index}",
            )
        for _ in range(3):
            channel_services.service_request_open(
                request_type=catalog["request_types"]["CARD_REPLACEMENT"],
                customer=customer,
                channel=catalog["channels"]["MOBILE"],
                summary="补办银行卡",
            )
    return customer


def viewer_of(bank, panel):
    """A member of the bank's staff who sees ``panel`` (the auditor sees most)."""
    roles = [Role.AUDITOR, Role.BRANCH_MANAGER, Role.RELATIONSHIP_MANAGER, Role.TELLER]
    with bank.scope():
        for role in roles:
            if panel.visible_to(bank[role]):
                return bank[role]
    raise AssertionError(f"no role of the test bank sees the panel {panel.key}")


def test_every_registered_panel_keeps_its_own_budget(bank_a, busy_customer, client_for):
    registered = list(panels._panels.values())
    assert {"holdings", "timeline", "contact_preferences", "audit"} <= {p.key for p in registered}
    # A panel another replaces is never drawn (the consents, read in the contact preferences).
    replaced = {key for panel in registered for key in panel.replaces}
    spent = {}
    for panel in registered:
        if panel.key in replaced:
            continue
        client = client_for(viewer_of(bank_a, panel))
        spent[panel.key] = panel_queries(client, detail_url(busy_customer), panel.key)
    over = {key: count for key, count in spent.items() if count > PANEL_BUDGET}
    assert over == {}


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.BRANCH_MANAGER, Role.RELATIONSHIP_MANAGER])
def test_the_first_response_stays_within_budget_however_many_panels_apps_add(
    role, bank_a, busy_customer, client_for, django_assert_max_num_queries
):
    def costly(request, customer):
        with connection.cursor() as cursor:
            for _ in range(PANEL_BUDGET):
                cursor.execute("SELECT 1")
        return {"related": []}

    added = [
        panels.register_panel(
            panels.Panel(
                key=f"later_app_{index}",
                title=f"Later app {index}",
                template="customers/panels/relationships.html",
                context=costly,
                order=500 + index,
                lazy=True,
            )
        )
        for index in range(12)
    ]
    client = client_for(bank_a[role])
    try:
        client.get(detail_url(busy_customer))
        with django_assert_max_num_queries(PAGE_BUDGET):
            response = client.get(detail_url(busy_customer))
    finally:
        for panel in added:
            panels._panels.pop(panel.key)
    page = response.content.decode()
    for panel in added:
        url = reverse("customers:panel", args=[busy_customer.pk, panel.key])
        assert f'hx-get="{url}" hx-trigger="revealed"' in page


def test_a_lazy_panel_loads_only_for_staff_who_may_see_it(
    bank_a, bank_b, busy_customer, client_for
):
    def url(customer, key):
        return reverse("customers:panel", args=[customer.pk, key])

    auditor = client_for(bank_a[Role.AUDITOR])
    teller = client_for(bank_a[Role.TELLER])
    assert auditor.get(url(busy_customer, "audit")).status_code == 200
    assert teller.get(url(busy_customer, "audit")).status_code == 404  # auditors only
    assert teller.get(url(busy_customer, "no_such_panel")).status_code == 404
    assert teller.get(url(bank_a.other_customer, "holdings")).status_code == 404  # out of scope
    assert auditor.get(url(bank_b.customer, "holdings")).status_code == 404  # another bank
