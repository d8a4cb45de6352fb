"""Two-factor sign-in: who must use it, enrolment, the code step, recovery codes, throttling."""

import pytest
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from crm.audit.models import LoginEvent
from crm.tenancy.context import platform_wide
from crm.tenancy.models import Tenant
from crm.tenancy.roles import Role
from crm.two_factor import services
from tests.factories.two_factor import authenticator_for, device_code
from tests.translation import zh
from tests.two_factor.conftest import sign_in_with_password

ENROL = reverse("two_factor:enrol")
VERIFY = reverse("two_factor:verify")
STAFF_PAGES = ["/", "/customers/", "/audit/", "/notifications/", "/admin/", "/admin/tenancy/staff/"]


def events(bank, kind):
    with bank.scope():
        return list(LoginEvent.objects.filter(kind=kind).order_by("occurred_at"))


def test_a_new_bank_requires_it_of_administrators_and_auditors():
    assert Tenant(code="new").two_factor_roles == [Role.TENANT_ADMIN, Role.AUDITOR]


@pytest.mark.parametrize("role", [Role.TENANT_ADMIN, Role.AUDITOR, Role.RELATIONSHIP_MANAGER])
def test_a_role_that_must_use_it_reaches_no_page_after_the_password_alone(strict_bank, role):
    client, _response = sign_in_with_password(strict_bank[role].username)
    for url in STAFF_PAGES:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(ENROL + "?next="), url
    authenticator_for(strict_bank[role])
    response = client.get("/customers/")
    assert response["Location"] == VERIFY + "?next=%2Fcustomers%2F"
    assert client.post("/customers/", {}).status_code == 302


def test_the_password_step_is_audited_as_a_sign_in_without_the_second_factor(strict_bank):
    sign_in_with_password(strict_bank[Role.TENANT_ADMIN].username)
    assert [e.username for e in events(strict_bank, LoginEvent.Kind.LOGIN)] == ["aaa_tenant_admin"]
    assert events(strict_bank, LoginEvent.Kind.SECOND_FACTOR) == []


def test_roles_the_bank_did_not_choose_sign_in_with_the_password_alone(strict_bank):
    client, _response = sign_in_with_password(strict_bank[Role.TELLER].username)
    assert client.get("/").status_code == 200


def test_a_platform_administrator_always_must(platform_admin):
    client, _response = sign_in_with_password(platform_admin.username)
    response = client.get("/admin/")
    assert response.status_code == 302 and response["Location"].startswith(ENROL)


def test_logout_and_the_login_page_stay_open(strict_bank):
    client, _response = sign_in_with_password(strict_bank[Role.TENANT_ADMIN].username)
    assert client.get(ENROL).status_code == 200
    assert client.post(reverse("logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_an_htmx_request_loads_the_code_page_whole(strict_bank):
    client, _response = sign_in_with_password(strict_bank[Role.TENANT_ADMIN].username)
    response = client.get(reverse("notifications:badge"), headers={"HX-Request": "true"})
    assert response["HX-Redirect"].startswith(ENROL)


def test_enrolment_with_a_code_from_the_app_lets_the_person_in(strict_bank):
    admin = strict_bank[Role.TENANT_ADMIN]
    client, _response = sign_in_with_password(admin.username)
    page = client.get(ENROL + "?next=/admin/")
    assert page.status_code == 200
    assert b"<svg" in page.content  # the QR code, inline
    with strict_bank.scope():
        pending = TOTPDevice.objects.get(user=admin, confirmed=False)
        assert page.context["key"].replace(" ", "") in pending.config_url
    assert services.authenticator_url(pending, admin).startswith(
        "otpauth://totp/AAA%E8%A1%8C%20CRM%3Aaaa_tenant_admin?secret="
    )

    response = client.post(ENROL, {"code": device_code(pending), "next": "/admin/"})

    assert response.status_code == 200
    codes = response.context["codes"]
    assert len(codes) == 10 and len(set(codes)) == 10
    assert response.context["next"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    with strict_bank.scope():
        assert TOTPDevice.objects.get(user=admin).confirmed
        assert StaticToken.objects.filter(device__user=admin).count() == 10
    assert len(events(strict_bank, LoginEvent.Kind.TWO_FACTOR_ENROLLED)) == 1


def test_the_next_sign_in_asks_for_a_code_and_returns_to_the_page_asked_for(strict_bank):
    admin = strict_bank[Role.TENANT_ADMIN]
    device = authenticator_for(admin)
    client, _response = sign_in_with_password(admin.username)
    response = client.get("/admin/tenancy/staff/")
    assert response["Location"] == VERIFY + "?next=%2Fadmin%2Ftenancy%2Fstaff%2F"

    response = client.post(VERIFY, {"code": device_code(device), "next": "/admin/tenancy/staff/"})

    assert response.status_code == 302 and response["Location"] == "/admin/tenancy/staff/"
    assert client.get("/admin/tenancy/staff/").status_code == 200
    assert len(events(strict_bank, LoginEvent.Kind.SECOND_FACTOR)) == 1


def test_the_code_step_does_not_send_anyone_to_another_site(strict_bank):
    admin = strict_bank[Role.TENANT_ADMIN]
    device = authenticator_for(admin)
    client, _response = sign_in_with_password(admin.username)
    response = client.post(VERIFY, {"code": device_code(device), "next": "https://evil.test/"})
    assert response["Location"] == "/"


def test_passing_the_second_factor_changes_the_session_key(strict_bank):
    admin = strict_bank[Role.TENANT_ADMIN]
    device = authenticator_for(admin)
    client, _response = sign_in_with_password(admin.username)
    before = client.cookies["sessionid"].value
    client.post(VERIFY, {"code": device_code(device)})
    assert client.cookies["sessionid"].value != before


def test_a_wrong_code_is_refused_and_throttled(strict_bank):
    admin = strict_bank[Role.TENANT_ADMIN]
    device = authenticator_for(admin)
    client, _response = sign_in_with_password(admin.username)

    wrong = f"{(int(device_code(device)) + 1) % 1_000_000:06d}"
    response = client.post(VERIFY, {"code": wrong})
    assert response.status_code == 200
    assert response.context["form"].errors["code"]

    # Right away even the right code is refused: the device waits after a wrong one.
    response = client.post(VERIFY, {"code": device_code(device)})
    assert response.status_code == 200
    assert zh("Too many wrong codes. Wait a moment, then try a new code.") in str(
        response.context["form"].errors["code"]
    )
    assert client.get("/").status_code == 302
    with strict_bank.scope():
        device.refresh_from_db()
    assert device.throttling_failure_count == 1
    assert len(events(strict_bank, LoginEvent.Kind.SECOND_FACTOR_FAILED)) == 2

    with strict_bank.scope():  # the wait is over
        TOTPDevice.objects.filter(pk=device.pk).update(
            throttling_failure_timestamp=timezone.now() - timezone.timedelta(minutes=5)
        )
    response = client.post(VERIFY, {"code": device_code(device)})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_throttling_is_on_for_both_kinds_of_device(settings):
    assert TOTPDevice().get_throttle_factor() > 0
    assert StaticDevice().get_throttle_factor() > 0


def test_a_wrong_code_at_enrolment_is_refused(strict_bank):
    admin = strict_bank[Role.TENANT_ADMIN]
    client, _response = sign_in_with_password(admin.username)
    client.get(ENROL)
    response = client.post(ENROL, {"code": "000000"})
    assert response.status_code == 200 and response.context["form"].errors["code"]
    assert client.get("/").status_code == 302
    with strict_bank.scope():
        assert not TOTPDevice.objects.filter(user=admin, confirmed=True).exists()


def _enrol(bank, staff):
    client, _response = sign_in_with_password(staff.username)
    client.get(ENROL)
    with bank.scope():
        pending = TOTPDevice.objects.get(user=staff, confirmed=False)
    return client.post(ENROL, {"code": device_code(pending)}).context["codes"]


def test_a_recovery_code_signs_in_once(strict_bank):
    admin = strict_bank[Role.TENANT_ADMIN]
    codes = _enrol(strict_bank, admin)

    client, _response = sign_in_with_password(admin.username)
    response = client.post(VERIFY, {"code": codes[3]})  # as shown: "abcd-efgh"
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert len(events(strict_bank, LoginEvent.Kind.RECOVERY_CODE)) == 1

    again, _response = sign_in_with_password(admin.username)
    response = again.post(VERIFY, {"code": codes[3]})
    assert response.status_code == 200 and response.context["form"].errors["code"]
    assert again.get("/").status_code == 302
    with strict_bank.scope():
        assert StaticToken.objects.filter(device__user=admin).count() == 9


def test_new_recovery_codes_replace_the_old_ones(strict_bank, client_for):
    admin = strict_bank[Role.TENANT_ADMIN]
    old_codes = _enrol(strict_bank, admin)
    client = client_for(admin)
    response = client.post(reverse("two_factor:recovery_codes"))
    new_codes = response.context["codes"]
    assert len(new_codes) == 10 and not set(new_codes) & set(old_codes)
    assert len(events(strict_bank, LoginEvent.Kind.RECOVERY_CODES_RENEWED)) == 1
    other, _response = sign_in_with_password(admin.username)
    assert other.post(VERIFY, {"code": new_codes[0]}).status_code == 302
    another, _response = sign_in_with_password(admin.username)
    assert another.post(VERIFY, {"code": old_codes[0]}).status_code == 200


def test_the_account_page_shows_what_is_set_up(strict_bank, client_for):
    admin = strict_bank[Role.TENANT_ADMIN]
    _enrol(strict_bank, admin)
    response = client_for(admin).get(reverse("two_factor:account"))
    assert response.status_code == 200
    assert response.context["codes_left"] == 10


def test_a_bank_sees_none_of_another_banks_devices(strict_bank, bank_b):
    authenticator_for(strict_bank[Role.TENANT_ADMIN])
    authenticator_for(bank_b[Role.TENANT_ADMIN])
    with bank_b.scope():
        assert list(TOTPDevice.objects.values_list("user__username", flat=True)) == [
            "zzz_tenant_admin"
        ]
    with platform_wide():
        assert TOTPDevice.objects.count() == 2


def test_the_partner_api_is_not_affected(strict_bank):
    """Partner systems authenticate with OAuth tokens: a half-signed-in staff session in the
    same client changes nothing."""
    client, _response = sign_in_with_password(strict_bank[Role.TENANT_ADMIN].username)
    response = client.get(
        "/api/v1/customers/", headers={"authorization": f"Bearer {strict_bank.token()}"}
    )
    assert response.status_code == 200


def test_the_bank_chooses_its_roles_in_admin(strict_bank, client_for):
    client = client_for(strict_bank[Role.TENANT_ADMIN])  # past the code step
    url = f"/admin/tenancy/tenant/{strict_bank.tenant.pk}/change/"
    form = client.get(url).context["adminform"].form
    assert sorted(form["two_factor_roles"].value()) == sorted(strict_bank.tenant.two_factor_roles)
    data = {name: form[name].value() for name in form.fields}
    data["two_factor_roles"] = [Role.AUDITOR]

    assert client.post(url, data).status_code == 302

    with platform_wide():
        strict_bank.tenant.refresh_from_db()
    assert strict_bank.tenant.two_factor_roles == [Role.AUDITOR]


def test_a_session_without_the_second_factor_is_refused_however_it_was_opened(
    strict_bank, platform_admin, client_for
):
    for staff in (strict_bank[Role.AUDITOR], platform_admin):
        client = client_for(staff, second_factor=False)
        for url in ("/", "/admin/", "/admin/audit/feedbatch/", reverse("two_factor:account")):
            assert client.get(url).status_code == 302, (staff, url)
