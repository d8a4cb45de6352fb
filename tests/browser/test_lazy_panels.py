"""Panels below the fold load when scrolled into view; the home page shows each app's widgets."""

import pytest
from django.urls import reverse

from crm.tenancy.roles import Role
from tests.browser.conftest import login, screenshot
from tests.factories.tenancy import TEST_PASSWORD

pytestmark = pytest.mark.browser


def test_panels_below_the_fold_load_once_scrolled_into_view(page, live_server, bank_a):
    auditor = bank_a[Role.AUDITOR]
    login(page, live_server, auditor.username, TEST_PASSWORD)
    page.set_viewport_size({"width": 1280, "height": 700})
    page.goto(live_server.url + reverse("customers:detail", args=[bank_a.customer.pk]))

    audit = page.get_by_test_id("panel-audit")
    assert audit.locator("[data-lazy-panel]").count() == 1  # not loaded with the page
    audit.scroll_into_view_if_needed()
    page.get_by_test_id("panel-audit").locator("[data-lazy-panel]").wait_for(state="detached")
    assert bank_a.customer.name in page.get_by_test_id("panel-audit").inner_text()
    assert page.locator("[data-lazy-panel]").count() == 0  # every panel above it loaded too
    screenshot(page, "customer-page-lazy-panels.png")


def test_a_relationship_manager_home_shows_their_customers_and_requests(page, live_server, bank_a):
    login(page, live_server, bank_a[Role.RELATIONSHIP_MANAGER].username, TEST_PASSWORD)
    assert page.get_by_test_id("my-book-count").inner_text() == "1"
    assert page.get_by_test_id("widget-my_requests").is_visible()
    screenshot(page, "home-relationship-manager.png")
