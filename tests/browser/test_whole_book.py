"""A relationship manager's whole book in a real browser, wherever her customers are homed.

Her list shows every customer she looks after, she opens one homed at another branch, and
a request given to her opens from "my requests". At the counter, an exact mobile number of
another branch's customer shows a minimal card.
"""

import pytest
from playwright.sync_api import expect

from channels.services import service_request_open
from crm.tenancy.roles import Role
from tests.browser.conftest import login, screenshot
from tests.factories import CustomerFactory
from tests.factories.channels import standard_catalog
from tests.factories.tenancy import TEST_PASSWORD

pytestmark = pytest.mark.browser


def test_a_manager_sees_her_whole_book_and_her_requests(page, live_server, bank_a):
    rm = bank_a[Role.RELATIONSHIP_MANAGER]  # works at the sub-branch
    catalog = standard_catalog(bank_a.tenant)
    with bank_a.scope():
        far = [
            CustomerFactory(
                home_branch=bank_a.other_branch,
                relationship_manager=rm,
                number=f"AAA-FAR{n}",
                name=f"AAA远方客户{n}",
            )
            for n in range(3)
        ]
        given = service_request_open(
            request_type=catalog["request_types"]["CARD_REPLACEMENT"],
            customer=bank_a.other_customer,  # another branch's, not hers
            channel=catalog["channels"]["COUNTER"],
            summary="AAA转交的补卡申请",
            owner=rm,
        )
        stranger = CustomerFactory(
            home_branch=bank_a.other_branch,
            number="AAA-WALKIN",
            name="AAA何秀英",
            phone="13766667777",
        )
    login(page, live_server, rm.username, TEST_PASSWORD)

    page.goto(f"{live_server.url}/customers/")
    rows = page.get_by_test_id("customer-table").locator("tbody tr[data-customer]")
    expect(rows).to_have_count(4)  # her customer at the sub-branch and the three elsewhere
    for customer in [bank_a.customer, *far]:
        expect(page.locator(f'tr[data-customer="{customer.number}"]')).to_be_visible()
    screenshot(page, "whole-book-list.png")

    page.locator(f'tr[data-customer="{far[0].number}"] a', has_text=far[0].number).click()
    page.wait_for_url(f"{live_server.url}/customers/{far[0].pk}/")
    expect(page.get_by_test_id("customer-name")).to_have_text(far[0].name)

    page.goto(f"{live_server.url}/channels/requests/")
    link = page.get_by_test_id("request-table").get_by_role("link", name=given.number)
    expect(link).to_be_visible()
    link.click()
    page.wait_for_url(f"{live_server.url}/channels/requests/{given.pk}/")
    expect(page.get_by_text(given.number).first).to_be_visible()

    # A walk-in of another branch, found by the exact mobile number: a card, no record.
    page.goto(f"{live_server.url}/customers/")
    page.locator("#id_q").fill("13766667777")
    card = page.get_by_test_id("walk-in-cards")
    expect(card).to_be_visible()
    expect(card.locator(f'[data-walk-in="{stranger.number}"]')).to_contain_text("A****英")
    expect(card.get_by_role("link")).to_have_count(0)
    screenshot(page, "walk-in-card.png")
