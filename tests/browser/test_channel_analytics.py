"""A branch manager reads the channel analytics in a real browser: charts, tables, dates."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from channels import rollup
from crm.tenancy.roles import Role
from tests.browser.conftest import login, screenshot
from tests.channels.analytics_data import TRANSACTION, at, make_contacts
from tests.factories.tenancy import TEST_PASSWORD

pytestmark = pytest.mark.browser


def test_branch_manager_reads_charts_and_switches_the_date_range(page, live_server, bank_a, bank_b):
    yesterday = rollup.yesterday(bank_a.tenant)
    recent, earlier = yesterday - timedelta(days=2), yesterday - timedelta(days=40)
    contacts = make_contacts(bank_a, day=recent)
    # Forty days ago, outside the default range: two more mobile sales at the sub-branch.
    contacts.log(contacts.zhao, "MOBILE", TRANSACTION, at(10, day=earlier), "1000.00")
    contacts.log(contacts.zhao, "MOBILE", TRANSACTION, at(11, day=earlier), "2000.00")
    make_contacts(bank_b, day=recent)
    for bank in (bank_a, bank_b):
        with bank.scope():
            for day in (recent, earlier):
                rollup.rollup_day_once(day=day)

    login(page, live_server, bank_a[Role.BRANCH_MANAGER].username, TEST_PASSWORD)
    page.goto(f"{live_server.url}/channels/analytics/")

    # The last 30 days: the branch subtree's figures of the recent day only.
    assert page.get_by_test_id("kpi-interactions").inner_text() == "7"
    assert page.get_by_test_id("kpi-amount").inner_text() == "12,705.67"
    assert page.get_by_test_id("kpi-substitution").inner_text() == "60.0%"
    charts = page.locator("[data-analytics-chart]")
    assert charts.count() == 8
    page.locator("[data-analytics-chart] canvas").first.wait_for()
    expect(charts.filter(has=page.locator("canvas"))).to_have_count(8)
    assert "ZZZ" not in page.content()
    assert "AAA二分行" not in page.content()  # another branch's figures stay hidden
    screenshot(page, "channel-analytics.png")

    # Reach back 45 days: the figures and the charts follow.
    page.locator("#id_date_from").fill((yesterday - timedelta(days=45)).isoformat())
    with page.expect_navigation():
        page.get_by_test_id("analytics-filter").locator("button[type=submit]").click()
    expect(page.get_by_test_id("kpi-interactions")).to_have_text("9")
    assert page.get_by_test_id("kpi-amount").inner_text() == "15,705.67"
    assert page.get_by_test_id("kpi-substitution").inner_text() == "71.4%"  # 5 of 7
    assert "date_from=" in page.url  # the range is in the address bar, to share
    expect(charts.filter(has=page.locator("canvas"))).to_have_count(8)
    rows = page.get_by_test_id("table-interactions_by_channel").locator("tbody tr")
    assert rows.count() == 46  # one row per day, days without contacts included

    # Monthly: fewer, wider bars, as soon as the grouping is chosen.
    first_day = yesterday - timedelta(days=45)
    months = (yesterday.year - first_day.year) * 12 + yesterday.month - first_day.month + 1
    with page.expect_navigation():
        page.locator("#id_grouping").select_option("month")
    rows = page.get_by_test_id("table-interactions_by_channel").locator("tbody tr")
    expect(rows).to_have_count(months)
    assert page.get_by_test_id("kpi-interactions").inner_text() == "9"
    screenshot(page, "channel-analytics-monthly.png")
