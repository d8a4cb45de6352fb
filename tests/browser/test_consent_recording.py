"""A teller records a customer's consent at the counter, and withdraws it, in a real browser."""

import pytest
from playwright.sync_api import expect

from channels.contact_policy import contact_allowed
from crm.tenancy.roles import Role
from customers.models import Consent
from tests.browser.conftest import login
from tests.factories.channels import standard_catalog
from tests.factories.tenancy import TEST_PASSWORD

pytestmark = pytest.mark.browser


def test_a_teller_records_consent_at_the_counter_and_withdraws_it(
    page, live_server, bank_a, bank_b
):
    standard_catalog(bank_a.tenant)
    customer, teller = bank_a.customer, bank_a[Role.TELLER]
    login(page, live_server, teller.username, TEST_PASSWORD)
    page.goto(f"{live_server.url}/customers/{customer.pk}/")
    panel = page.get_by_test_id("panel-contact_preferences")
    panel.scroll_into_view_if_needed()  # a lazy panel: it loads once in view
    expect(panel.get_by_test_id("consent-sms")).to_have_attribute("data-allowed", "no")

    page.evaluate("window.__samePage = true")
    panel.get_by_test_id("record-consent").click()
    form = page.get_by_test_id("consent-form")
    form.wait_for()
    form.locator("#consent_purpose").select_option("marketing")
    form.locator("#consent_channel").select_option("sms")
    assert form.locator("#consent_decision_0").is_checked()  # giving, by default
    assert form.locator("#consent_source").input_value() == "counter"
    form.get_by_test_id("save-consent").click()
    page.get_by_test_id("consent-saved").wait_for()
    assert page.evaluate("window.__samePage") is True, "recording reloaded the whole page"
    expect(panel.get_by_test_id("consent-sms")).to_have_attribute("data-allowed", "yes")
    with bank_a.scope():
        consent = Consent.objects.get(customer=customer, purpose="marketing", channel="sms")
        assert consent.granted and consent.recorded_by_id == teller.pk
        assert contact_allowed(customer, channel_kind="sms")

    # Withdrawing takes one click.
    panel.get_by_test_id("withdraw-marketing-sms").get_by_role("button").click()
    expect(panel.get_by_test_id("consent-sms")).to_have_attribute("data-allowed", "no")
    expect(panel.get_by_test_id("withdraw-marketing-sms")).to_have_count(0)
    with bank_a.scope():
        assert not contact_allowed(customer, channel_kind="sms")
