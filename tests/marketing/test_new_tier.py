"""The "new" tier is a tier like the others: the list filter, the API and the menu know it."""

from django.urls import reverse

from crm.shell.navigation import nav_items_for
from crm.tenancy.roles import Role
from customers.models import Customer
from tests.factories import CustomerFactory


def test_the_customer_list_and_the_api_filter_new_customers(bank_a, client_for, partner_client):
    with bank_a.scope():
        CustomerFactory(home_branch=bank_a.branch, number="AAA-NEW", tier=Customer.Tier.NEW)
    page = client_for(bank_a[Role.BRANCH_MANAGER]).get(reverse("customers:list"), {"tier": "new"})
    assert page.status_code == 200
    assert "AAA-NEW" in page.content.decode()
    assert bank_a.customer.number not in page.content.decode()
    api = partner_client(bank_a.token("customers:read")).get("/api/v1/customers/?tier=new")
    assert api.status_code == 200, api.content
    assert [row["number"] for row in api.json()["results"]] == ["AAA-NEW"]


def test_the_menu_shows_the_marketing_pages_to_those_who_may_open_them(bank_a):
    tier_rules = reverse("marketing:tier_rules")
    manual_tiers = reverse("marketing:manual_tiers")
    with bank_a.scope():
        admin = {url for _label, url in nav_items_for(bank_a[Role.TENANT_ADMIN])}
        marketing = {url for _label, url in nav_items_for(bank_a[Role.MARKETING_MANAGER])}
        teller = {url for _label, url in nav_items_for(bank_a[Role.TELLER])}
    assert {tier_rules, manual_tiers} <= admin
    assert {tier_rules, manual_tiers} <= marketing
    assert not {tier_rules, manual_tiers} & teller
