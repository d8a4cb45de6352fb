"""Channels in a real browser: the customer's timeline, and a request that crosses channels."""

from datetime import timedelta

import pytest
from django.utils import timezone, translation
from playwright.sync_api import expect

from channels import services
from channels.models import Interaction
from crm.tenancy.roles import Role
from tests.browser.conftest import login, screenshot
from tests.factories.channels import standard_catalog
from tests.factories.tenancy import TEST_PASSWORD

pytestmark = pytest.mark.browser


def entry_ids(page) -> list[str]:
    return page.get_by_test_id("timeline-entry").evaluate_all(
        "rows => rows.map(row => row.dataset.entry)"
    )


def test_teller_sees_the_timeline_and_logs_a_counter_contact_in_two_clicks(
    page, live_server, bank_a, bank_b
):
    catalog = standard_catalog(bank_a.tenant)
    channels = catalog["channels"]
    customer, teller = bank_a.customer, bank_a[Role.TELLER]
    with bank_a.scope():
        for hour in range(22):
            services.interaction_log(
                customer=customer,
                channel=channels["PHONE"] if hour % 2 else channels["MOBILE"],
                kind="enquiry",
                summary=f"AAA历史联系{hour}",
                occurred_at=timezone.now() - timedelta(hours=hour + 1),
            )

    login(page, live_server, teller.username, TEST_PASSWORD)
    page.goto(f"{live_server.url}/customers/{customer.pk}/")
    timeline = page.get_by_test_id("panel-timeline")
    timeline.get_by_test_id("timeline-entry").first.wait_for()
    assert len(entry_ids(page)) == 20
    assert "AAA历史联系0" in timeline.get_by_test_id("timeline-entry").first.inner_text()
    assert "ZZZ" not in page.content()

    # "Load more" appends the older contacts below, without reloading the page.
    page.evaluate("window.__samePage = true")
    timeline.get_by_test_id("timeline-more").get_by_role("link").click()
    expect(page.get_by_test_id("timeline-entry")).to_have_count(22)
    assert len(set(entry_ids(page))) == 22

    # Filtering by channel replaces the entries.
    with page.expect_response(lambda r: "/timeline/?" in r.url and "channel=phone" in r.url):
        page.locator("#timeline_channel").select_option("phone")
    expect(page.get_by_test_id("timeline-entry")).to_have_count(11)
    page.locator("#timeline_channel").select_option("")
    expect(page.get_by_test_id("timeline-entry")).to_have_count(20)

    # Click one: the form opens with the counter preset; click two: save.
    timeline.get_by_test_id("log-counter").click()
    form = page.get_by_test_id("interaction-form")
    form.wait_for()
    assert form.locator("#interaction_channel").input_value() == str(channels["COUNTER"].pk)
    assert form.locator("[data-amount-field]").is_hidden()  # a service carries no amount
    form.locator("#interaction_summary").fill("AAA柜面挂失补卡")
    form.get_by_test_id("save-contact").click()
    page.get_by_test_id("contact-logged").wait_for()
    assert page.evaluate("window.__samePage") is True, "logging reloaded the whole page"

    with bank_a.scope():
        logged = Interaction.objects.get(summary="AAA柜面挂失补卡")
    assert (logged.staff_id, logged.channel_id, logged.kind) == (
        teller.pk,
        channels["COUNTER"].pk,
        "service",
    )
    first = page.get_by_test_id("timeline-entry").first
    assert first.get_attribute("data-entry") == f"interaction-{logged.pk}"
    assert "AAA柜面挂失补卡" in first.inner_text() and teller.name in first.inner_text()
    assert page.get_by_test_id("interaction-form").count() == 0  # the form closed
    screenshot(page, "channels-timeline-logged.png")

    # A transaction shows its amount field, and is refused without an amount.
    timeline.get_by_test_id("log-counter").click()
    form.wait_for()
    form.locator("#interaction_kind").select_option("transaction")
    assert form.locator("[data-amount-field]").is_visible()
    form.locator("#interaction_summary").fill("AAA现金存款")
    form.get_by_test_id("save-contact").click()
    page.get_by_test_id("amount-error").wait_for()
    form.locator("#interaction_amount").fill("12345.60")
    form.get_by_test_id("save-contact").click()
    expect(page.get_by_test_id("timeline-entry").first).to_contain_text("AAA现金存款")
    assert "12,345.60" in page.get_by_test_id("timeline-entry").first.inner_text()


def test_a_request_opened_in_the_mobile_app_is_completed_at_the_counter(page, live_server, bank_a):
    catalog = standard_catalog(bank_a.tenant)
    channels = catalog["channels"]
    customer, teller = bank_a.customer, bank_a[Role.TELLER]
    # As the mobile app does through the partner API: the same service function.
    with bank_a.scope():
        request = services.service_request_open(
            request_type=catalog["request_types"]["CARD_REPLACEMENT"],
            customer=customer,
            channel=channels["MOBILE"],
            summary="AAA手机银行申请补办借记卡",
            partner_name="AAA手机银行",
            source="mobile",
            external_id="AAA-M-1",
        )

    login(page, live_server, teller.username, TEST_PASSWORD)
    page.goto(f"{live_server.url}/customers/{customer.pk}/")
    timeline = page.get_by_test_id("panel-timeline")
    step = timeline.get_by_test_id("timeline-entry").first
    assert channels["MOBILE"].name in step.inner_text()
    step.get_by_test_id("request-link").click()
    page.wait_for_url(f"{live_server.url}/channels/requests/{request.pk}/")
    assert request.number in page.get_by_test_id("request-number").inner_text()
    screenshot(page, "channels-request-submitted.png")

    for status in ("accepted", "in_progress", "completed"):
        form = page.get_by_test_id("move-form")
        assert form.locator("#move_channel").input_value() == str(channels["COUNTER"].pk)
        with page.expect_navigation():
            form.get_by_test_id(f"move-{status}").click()
        assert page.get_by_test_id("request-step").last.get_attribute("data-status") == status

    steps = page.get_by_test_id("request-step")
    assert steps.count() == 4
    assert steps.get_by_test_id("step-channel").all_inner_texts() == [
        channels["MOBILE"].name,
        channels["COUNTER"].name,
        channels["COUNTER"].name,
        channels["COUNTER"].name,
    ]
    assert "AAA手机银行" in steps.first.inner_text()
    assert teller.name in steps.last.inner_text()
    assert page.get_by_test_id("move-form").count() == 0  # completed: nothing more to do
    with bank_a.scope():
        request.refresh_from_db()
    assert request.status == "completed" and request.closed_at is not None
    # The status the mobile app reads is the one the counter set.
    with translation.override("zh-hans"):
        assert page.get_by_test_id("request-status").inner_text() == request.get_status_display()
    screenshot(page, "channels-request-journey.png")
