"""Two-factor sign-in in the browser: setting up an authenticator, then signing in with it."""

import pytest
from playwright.sync_api import expect

from crm.tenancy.context import platform_wide
from crm.tenancy.roles import Role
from tests.browser.conftest import enrol_authenticator, enter_code, screenshot
from tests.factories.tenancy import TEST_PASSWORD
from tests.factories.two_factor import code_of

pytestmark = pytest.mark.browser


def sign_in_with_password(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(TEST_PASSWORD)
    with page.expect_navigation():
        page.locator("form:has(#id_password) button[type=submit]").click()


def sign_out(page, live_server) -> None:
    page.goto(f"{live_server.url}/")
    with page.expect_navigation():
        page.locator("nav form[action$='/logout/'] button").click()


def test_an_administrator_sets_up_an_authenticator_then_signs_in_with_it(page, live_server, bank_a):
    with platform_wide():
        bank_a.tenant.two_factor_roles = [Role.TENANT_ADMIN]
        bank_a.tenant.save(update_fields=["two_factor_roles"])
    admin = bank_a[Role.TENANT_ADMIN]

    sign_in_with_password(page, live_server, admin.username)
    assert "/accounts/two-factor/set-up/" in page.url
    expect(page.get_by_test_id("qr-code").locator("svg")).to_be_visible()
    page.goto(f"{live_server.url}/admin/")  # nothing else opens before the set-up
    assert "/accounts/two-factor/set-up/" in page.url
    screenshot(page, "two-factor-set-up.png")

    key = enrol_authenticator(page)
    codes = page.get_by_test_id("recovery-codes").locator("li").all_inner_texts()
    assert len(codes) == 10
    with page.expect_navigation():
        page.get_by_test_id("continue").click()
    assert page.url == f"{live_server.url}/admin/"

    # Next time: the password, then a code; a wrong one is refused.
    sign_out(page, live_server)
    sign_in_with_password(page, live_server, admin.username)
    assert "/accounts/two-factor/code/" in page.url
    enter_code(page, "000000")
    expect(page.get_by_test_id("code-error")).to_be_visible()
    page.wait_for_timeout(1_100)  # the device's wait after one wrong code
    enter_code(page, code_of(key, steps_ahead=1))
    assert page.url == f"{live_server.url}/"

    # A recovery code works once.
    sign_out(page, live_server)
    sign_in_with_password(page, live_server, admin.username)
    enter_code(page, codes[0])
    assert page.url == f"{live_server.url}/"
    sign_out(page, live_server)
    sign_in_with_password(page, live_server, admin.username)
    enter_code(page, codes[0])
    expect(page.get_by_test_id("code-error")).to_be_visible()
