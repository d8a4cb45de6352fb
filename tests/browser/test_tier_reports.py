"""A marketing manager reads the tier migration matrix in a real browser: the table's
cells, the heatmap drawn, and another month chosen from the list."""

from datetime import date

import pytest
from playwright.sync_api import expect

from crm.tenancy.roles import Role
from tests.browser.conftest import login, screenshot
from tests.factories import CustomerFactory
from tests.factories.marketing import customer_value, scored_month
from tests.factories.tenancy import TEST_PASSWORD

pytestmark = pytest.mark.browser

APRIL, MAY = date(2026, 4, 1), date(2026, 5, 1)


def test_marketing_manager_reads_the_tier_migration_matrix(page, live_server, bank_a, bank_b):
    april, may = scored_month(bank_a.tenant, APRIL), scored_month(bank_a.tenant, MAY)
    # Three ordinary customers of April became MVC in May, one stayed ordinary, one is new.
    for _ in range(3):
        customer = CustomerFactory(home_branch=bank_a.sub_branch)
        customer_value(customer, april, tier="ordinary")
        customer_value(customer, may, tier="mvc")
    stayed = CustomerFactory(home_branch=bank_a.other_branch)
    customer_value(stayed, april, tier="ordinary")
    customer_value(stayed, may, tier="ordinary")
    customer_value(CustomerFactory(home_branch=bank_a.branch), may, tier="new")
    # Bank B's customers moved too: never on bank A's page.
    foreign = scored_month(bank_b.tenant, MAY)
    for _ in range(2):
        customer_value(CustomerFactory(home_branch=bank_b.sub_branch), foreign, tier="mvc")

    login(page, live_server, bank_a[Role.MARKETING_MANAGER].username, TEST_PASSWORD)
    page.goto(f"{live_server.url}/marketing/tiers/migration/")

    expect(page.get_by_test_id("cell-ordinary-mvc")).to_have_text("3")
    assert page.get_by_test_id("cell-ordinary-ordinary").inner_text() == "1"
    assert page.get_by_test_id("cell-none-new").inner_text() == "1"
    assert page.get_by_test_id("matrix-total").inner_text() == "5"
    assert page.get_by_test_id("move-upgraded").inner_text() == "75.0%"  # 3 of 4
    chart = page.get_by_test_id("tier-migration-chart")
    expect(chart.locator("canvas")).to_have_count(1)
    assert chart.bounding_box()["height"] > 200
    assert "ZZZ" not in page.content()
    screenshot(page, "tier-migration.png")

    # April against March, which was not scored: every customer comes from "not scored".
    with page.expect_navigation():
        page.locator("#id_month").select_option("2026-04")
    assert "month=2026-04" in page.url
    expect(page.get_by_test_id("cell-none-ordinary")).to_have_text("4")
    expect(page.get_by_test_id("matrix-total")).to_have_text("4")
    expect(page.get_by_test_id("tier-migration-chart").locator("canvas")).to_have_count(1)

    # The distribution is one tab away, with its chart.
    with page.expect_navigation():
        page.locator(".nav-tabs a[href='/marketing/tiers/distribution/']").click()
    expect(page.get_by_test_id("tier-distribution-chart").locator("canvas")).to_have_count(1)
    mvc = page.locator("[data-testid=tier-table] tr[data-tier=mvc] [data-figure=customers]")
    assert mvc.inner_text() == "3"
