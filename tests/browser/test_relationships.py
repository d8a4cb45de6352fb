"""A teller records a customer's spouse, corrects it and ends it, in a real browser."""

import re

import pytest
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from crm.tenancy.roles import Role
from customers.models import CustomerRelationship
from tests.browser.conftest import login, screenshot
from tests.factories import CustomerFactory
from tests.factories.tenancy import TEST_PASSWORD

pytestmark = pytest.mark.browser


def relationships_panel(page):
    panel = page.get_by_test_id("panel-relationships")
    panel.scroll_into_view_if_needed()
    expect(panel.get_by_test_id("relationships")).to_be_visible()  # the lazy panel loaded
    return panel


def test_a_teller_adds_corrects_and_ends_a_relationship(page, live_server, bank_a, console_errors):
    # The refused form below answers 400, as every refused form does.
    console_errors.allow(r"status of 400 .*/relationships/new/")
    spouse = CustomerFactory(home_branch=bank_a.sub_branch, number="AAA0010", name="AAA配偶")
    login(page, live_server, bank_a[Role.TELLER].username, TEST_PASSWORD)
    customer_url = live_server.url + reverse("customers:detail", args=[bank_a.customer.pk])
    page.goto(customer_url)

    # Add: find the other customer by a search within scope, choose them, say who they are.
    relationships_panel(page).get_by_test_id("add-relationship").click()
    page.locator("#related-q").fill("AAA配")
    page.get_by_test_id("related-search").locator("button[type=submit]").click()
    page.get_by_test_id("choose-AAA0010").click()
    expect(page.locator("#id_other")).to_have_value("AAA0010")
    # A bad choice first: the form says what is wrong, on the field, and nothing is saved.
    page.locator("#id_role").select_option("legal_representative")
    page.get_by_test_id("relationship-submit").click()
    expect(page.locator("#id_role")).to_have_class(re.compile(r"\bis-invalid\b"))
    with bank_a.scope():
        assert not CustomerRelationship.objects.exists()
    page.locator("#id_role").select_option("~parent")  # the other customer is the child
    page.locator("#id_note").fill("AAA户口本")
    screenshot(page, "customer-relationship-add.png")
    page.get_by_test_id("relationship-submit").click()
    page.wait_for_url(f"{customer_url}#panel-relationships")
    panel = relationships_panel(page)
    expect(panel).to_contain_text("AAA配偶")
    expect(panel.get_by_role("link", name="AAA配偶")).to_have_attribute(
        "href", reverse("customers:detail", args=[spouse.pk])
    )

    # Correct: it was the spouse, not the child.
    panel.get_by_test_id("correct-relationship").click()
    page.locator("#id_role").select_option("spouse")
    page.get_by_test_id("relationship-submit").click()
    page.wait_for_url(f"{customer_url}#panel-relationships")
    # The other customer's page reads it from their side.
    relationships_panel(page).get_by_role("link", name="AAA配偶").click()
    expect(relationships_panel(page).get_by_role("link", name="AAA张三")).to_be_visible()

    # End: kept as history, dated.
    relationships_panel(page).get_by_test_id("end-relationship").click()
    expect(page.locator("#id_ended_on")).to_have_value(timezone.localdate().isoformat())
    page.get_by_test_id("relationship-submit").click()
    panel = relationships_panel(page)
    expect(panel.locator("[data-current=no]")).to_have_count(1)
    expect(panel.get_by_test_id("end-relationship")).to_have_count(0)
    screenshot(page, "customer-relationship-ended.png")
    with bank_a.scope():
        [relationship] = CustomerRelationship.objects.all()
    assert relationship.kind == "spouse" and relationship.ended_on == timezone.localdate()
    assert {relationship.from_customer_id, relationship.to_customer_id} == {
        bank_a.customer.pk,
        spouse.pk,
    }
