"""The requests list and the defaults of a day's work, as a branch manager and an RM see them."""

import pytest
from playwright.sync_api import expect

from channels import services
from channels.models import Interaction
from crm.tenancy.roles import Role
from tests.browser.conftest import login, screenshot
from tests.factories.channels import standard_catalog
from tests.factories.tenancy import TEST_PASSWORD

pytestmark = pytest.mark.browser


def test_a_branch_manager_works_the_branch_queue_at_the_counter(page, live_server, bank_a):
    catalog = standard_catalog(bank_a.tenant)
    channels, types = catalog["channels"], catalog["request_types"]
    manager = bank_a[Role.BRANCH_MANAGER]
    with bank_a.scope():
        waiting = services.service_request_open(
            request_type=types["CARD_REPLACEMENT"],
            customer=bank_a.customer,
            channel=channels["MOBILE"],
            summary="AAA补办借记卡",
            owner=bank_a[Role.TELLER],
        )
        done = services.service_request_open(
            request_type=types["ADDRESS_CHANGE"],
            customer=bank_a.customer,
            channel=channels["COUNTER"],
            summary="AAA变更地址",
        )
        services.service_request_move(
            request=done, to_status="cancelled", channel=channels["PHONE"], note="AAA客户撤回"
        )

    login(page, live_server, manager.username, TEST_PASSWORD)
    page.goto(f"{live_server.url}/channels/requests/")
    # The manager lands on the branch's open requests, not on an empty "my requests".
    expect(page.get_by_test_id("tab-team")).to_have_attribute("aria-current", "page")
    queue = page.get_by_test_id("request-table")
    expect(queue.locator(f'tr[data-request="{waiting.number}"]')).to_be_visible()
    expect(queue.locator(f'tr[data-request="{done.number}"]')).to_have_count(0)

    # The closed request has its own tab.
    page.get_by_test_id("tab-closed").click()
    expect(page.get_by_test_id("tab-closed")).to_have_attribute("aria-current", "page")
    closed_row = page.locator(f'tr[data-request="{done.number}"]')
    expect(closed_row).to_be_visible()
    expect(closed_row).to_contain_text("AAA变更地址")
    expect(page.locator(f'tr[data-request="{waiting.number}"]')).to_have_count(0)
    assert page.url.endswith("?tab=closed")
    screenshot(page, "requests-closed-tab.png")

    # Found by the number as a customer reads it out, in lower case with a space.
    search = page.get_by_role("search").get_by_role("searchbox")
    search.fill(f"{waiting.number[:6].lower()} {waiting.number[6:]}")
    search.press("Enter")
    expect(page.get_by_test_id("request-search-result")).to_be_visible()
    expect(page.locator("tr[data-request]")).to_have_count(1)
    page.locator(f'tr[data-request="{waiting.number}"]').get_by_role(
        "link", name=waiting.number
    ).click()
    page.wait_for_url(f"{live_server.url}/channels/requests/{waiting.pk}/")

    # At the branch, the next step happens at the counter, not by phone.
    form = page.get_by_test_id("move-form")
    expect(form.locator("#move_channel")).to_have_value(str(channels["COUNTER"].pk))
    expect(page.get_by_test_id("reassign-form").locator("#reassign_channel")).to_have_value(
        str(channels["COUNTER"].pk)
    )
    screenshot(page, "requests-step-at-the-counter.png")
    with page.expect_navigation():
        form.get_by_test_id("move-accepted").click()
    last = page.get_by_test_id("request-step").last
    expect(last).to_have_attribute("data-status", "accepted")
    expect(last.get_by_test_id("step-channel")).to_have_text(channels["COUNTER"].name)


def test_an_rm_logs_a_callback_to_her_customer_as_outbound(page, live_server, bank_a):
    catalog = standard_catalog(bank_a.tenant)
    rm, customer = bank_a[Role.RELATIONSHIP_MANAGER], bank_a.customer
    login(page, live_server, rm.username, TEST_PASSWORD)
    page.goto(f"{live_server.url}/customers/{customer.pk}/")
    timeline = page.get_by_test_id("panel-timeline")
    timeline.get_by_test_id("log-phone").click()
    form = page.get_by_test_id("interaction-form")
    expect(form.locator("#interaction_channel")).to_have_value(str(catalog["channels"]["PHONE"].pk))
    expect(form.locator("#interaction_kind")).to_have_value("callback")
    expect(form.locator("#interaction_direction")).to_have_value("outbound")
    screenshot(page, "contact-rm-callback.png")
    form.locator("#interaction_summary").fill("AAA回访理财到期")
    form.get_by_test_id("save-contact").click()
    expect(page.get_by_test_id("contact-logged")).to_be_visible()
    with bank_a.scope():
        logged = Interaction.objects.get(summary="AAA回访理财到期")
    assert (logged.kind, logged.direction, logged.staff_id) == ("callback", "outbound", rm.pk)
