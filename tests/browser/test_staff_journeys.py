"""What staff see in a real browser: their home page, logins, the admin and the audit trail."""

import pytest
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

from crm.tenancy.models import Staff
from crm.tenancy.roles import Role
from crm.tenancy.services import staff_create
from tests.audit.trail_helpers import acting_as
from tests.browser.conftest import login, screenshot
from tests.factories.tenancy import TEST_PASSWORD

pytestmark = pytest.mark.browser

NEW_STAFF_PASSWORD = "Str0ng-pass-2026!"


def nav_button(page, text: str):
    return page.locator("nav").get_by_role("button", name=text, exact=True)


def language_button(page, code: str):
    return page.get_by_test_id("language-form").locator(f"button[name=language][value={code}]")


def test_relationship_manager_sees_their_branch_and_colleagues_only(
    page, live_server, bank_a, bank_b
):
    rm = bank_a[Role.RELATIONSHIP_MANAGER]
    login(page, live_server, rm.username, TEST_PASSWORD)

    assert page.url == f"{live_server.url}/"
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.get_by_test_id("my-branch").inner_text() == "AAA第一支行"
    assert page.get_by_test_id("current-staff").inner_text().startswith(rm.name)
    assert "我的机构" in page.content()
    assert nav_button(page, "退出").is_visible()

    colleagues = page.get_by_test_id("colleagues")
    with translation.override("zh-hans"):
        headers = [gettext("Name"), gettext("Works at"), gettext("Roles")]
    assert "Works at" not in headers, "untranslated column header"
    assert colleagues.locator("thead th").all_inner_texts() == headers
    rows = colleagues.locator("tbody tr")
    names = sorted(rows.locator("td:first-child").all_inner_texts())
    # A sub-branch sees its own staff: the relationship manager and the teller.
    assert names == sorted([rm.name, bank_a[Role.TELLER].name])
    assert set(rows.locator("td:nth-child(2)").all_inner_texts()) == {"AAA第一支行"}
    teller_row = rows.filter(has_text=bank_a[Role.TELLER].name)
    assert teller_row.locator(".badge").all_inner_texts() == ["柜员"]
    assert "ZZZ" not in page.content()

    screenshot(page, "home-relationship-manager-zh.png")

    language_button(page, "en").click()
    page.wait_for_url(f"{live_server.url}/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert nav_button(page, "Log out").is_visible()
    assert page.get_by_text("My branch", exact=True).is_visible()
    assert colleagues.locator("thead th").all_inner_texts() == ["Name", "Works at", "Roles"]
    assert page.get_by_test_id("my-branch").inner_text() == "AAA第一支行"
    assert "ZZZ" not in page.content()

    language_button(page, "zh-hans").click()
    page.wait_for_url(f"{live_server.url}/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert nav_button(page, "退出").is_visible()
    assert page.get_by_text("我的机构", exact=True).is_visible()


def test_wrong_password_then_lockout(page, live_server, bank_a, console_errors):
    teller = bank_a[Role.TELLER]
    login_url = f"{live_server.url}/accounts/login/"

    # Every failure but the one reaching the limit shows the form again with its error.
    for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        response = login(page, live_server, teller.username, "wrong-password")
        assert response.status == 200
        assert page.url == login_url
        assert "请输入一个正确的" in page.locator(".alert-danger").inner_text()
        assert page.locator("#id_username").input_value() == teller.username
        assert nav_button(page, "退出").count() == 0

    # Chromium logs the lockout page's error status (403 or 429) as a console error.
    console_errors.allow(r"Failed to load resource: the server responded with a status of 4(03|29)")
    for password in ["wrong-password", TEST_PASSWORD]:
        response = login(page, live_server, teller.username, password)
        assert response.status in (403, 429)
        assert page.get_by_role("heading", name="登录失败次数过多").is_visible()
        assert "该账户已被暂时锁定" in page.locator(".alert-danger").inner_text()
    page.goto(f"{live_server.url}/")
    assert page.url.startswith(login_url), "the locked-out staff member must not be logged in"


def test_tenant_admin_creates_staff_who_can_then_log_in(page, live_server, bank_a, bank_b):
    admin = bank_a[Role.TENANT_ADMIN]
    login(page, live_server, admin.username, TEST_PASSWORD)
    page.locator("nav").get_by_role("link", name="系统管理").click()
    page.wait_for_url(f"{live_server.url}/admin/")

    page.goto(f"{live_server.url}/admin/tenancy/staff/")
    changelist = page.locator("#result_list")
    assert bank_a[Role.TELLER].username in changelist.inner_text()
    assert "ZZZ" not in page.content()
    assert "zzz_" not in page.content()

    page.goto(f"{live_server.url}/admin/tenancy/staff/add/")
    assert page.locator("#id_tenant").count() == 0  # the bank is the administrator's own
    page.locator("#id_username").fill("aaa_new_teller")
    page.locator("#id_name").fill("AAA新柜员")
    branch_options = page.locator("#id_branch option").all_inner_texts()
    assert not [option for option in branch_options if "ZZZ" in option]
    page.locator("#id_branch").select_option(label="AAA第一支行")
    page.locator("input[name=roles][value=teller]").check()
    page.locator("#id_password1").fill(NEW_STAFF_PASSWORD)
    page.locator("#id_password2").fill(NEW_STAFF_PASSWORD)
    with page.expect_navigation():
        page.locator("input[name=_save]").click()

    assert page.url == f"{live_server.url}/admin/tenancy/staff/", page.locator(
        ".errornote, .errorlist"
    ).all_inner_texts()
    assert "AAA新柜员" in page.locator("#result_list").inner_text()
    assert "ZZZ" not in page.content()
    with bank_a.scope():
        created = Staff.objects.get(username="aaa_new_teller")
        assert created.tenant_id == bank_a.tenant.pk
        assert created.branch_id == bank_a.sub_branch.pk
        assert created.role_codes == {Role.TELLER}

    with page.expect_navigation():
        page.locator("#logout-form button").click()
    page.goto(f"{live_server.url}/")
    assert page.url.startswith(f"{live_server.url}/accounts/login/")

    login(page, live_server, "aaa_new_teller", NEW_STAFF_PASSWORD)
    assert page.url == f"{live_server.url}/"
    assert page.get_by_test_id("my-roles").locator(".badge").all_inner_texts() == ["柜员"]
    assert page.get_by_test_id("my-branch").inner_text() == "AAA第一支行"


def test_auditor_reads_their_banks_audit_trail_only(page, live_server, bank_a, bank_b):
    # As the bank administrator's page would (the trail's default view shows people's work).
    with bank_a.scope(), acting_as(bank_a[Role.TENANT_ADMIN]):
        staff_create(
            tenant=bank_a.tenant,
            branch=bank_a.sub_branch,
            username="aaa_audited",
            name="AAA审计对象",
            password=None,
            roles=[Role.TELLER],
        )
    with bank_b.scope(), acting_as(bank_b[Role.TENANT_ADMIN]):
        staff_create(
            tenant=bank_b.tenant,
            branch=bank_b.sub_branch,
            username="zzz_audited",
            name="ZZZ审计对象",
            password=None,
            roles=[Role.TELLER],
        )

    login(page, live_server, bank_a[Role.AUDITOR].username, TEST_PASSWORD)
    page.locator("nav").get_by_role("link", name="审计记录").click()
    page.wait_for_url(f"{live_server.url}/audit/")

    assert page.get_by_role("heading", name="审计记录").is_visible()
    rows = page.get_by_test_id("audit-entries").locator("tbody tr")
    created = rows.filter(has_text="员工: AAA审计对象").filter(has_text="新建")
    assert created.count() == 1
    assert "aaa_audited" in created.inner_text()
    assert "AAA第一支行" in created.inner_text()
    # The auditor's own login is on the trail too.
    assert rows.filter(has_text=bank_a[Role.AUDITOR].username).count() >= 1
    assert "ZZZ" not in page.content()
    assert "zzz_" not in page.content()
