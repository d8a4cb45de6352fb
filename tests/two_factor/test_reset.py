"""A bank's administrator resets a staff member's two-factor sign-in: audited, own bank only."""

from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from crm.audit.models import LoginEvent
from crm.tenancy.context import platform_wide
from crm.tenancy.roles import Role
from tests.factories.two_factor import authenticator_for
from tests.two_factor.conftest import sign_in_with_password

REASON = "lost phone, identity checked in person"


def reset_url(staff):
    return reverse("two_factor:reset", args=[staff.pk])


def devices_of(staff):
    with platform_wide():
        return (
            TOTPDevice.objects.filter(user=staff).count()
            + StaticDevice.objects.filter(user=staff).count()
        )


def test_a_tenant_administrator_resets_a_staff_member_of_the_bank(strict_bank, client_for):
    rm = strict_bank[Role.RELATIONSHIP_MANAGER]
    authenticator_for(rm)
    rm_session = client_for(rm)  # signed in, past the code step
    assert rm_session.get("/").status_code == 200
    admin = client_for(strict_bank[Role.TENANT_ADMIN])
    assert admin.get(reset_url(rm)).status_code == 200

    response = admin.post(reset_url(rm), {"reason": REASON})

    assert response.status_code == 302
    assert devices_of(rm) == 0
    with strict_bank.scope():
        (event,) = LoginEvent.objects.filter(kind=LoginEvent.Kind.TWO_FACTOR_RESET)
    assert (event.staff_id, event.actor_username, event.reason) == (
        rm.pk,
        "aaa_tenant_admin",
        REASON,
    )
    # Their open session no longer counts as verified, and the next sign-in enrols again.
    assert rm_session.get("/")["Location"].startswith(reverse("two_factor:enrol"))
    client, _response = sign_in_with_password(rm.username)
    assert client.get("/")["Location"].startswith(reverse("two_factor:enrol"))


def test_the_reset_shows_in_the_audit_trail_with_its_reason(strict_bank, client_for):
    rm = strict_bank[Role.RELATIONSHIP_MANAGER]
    authenticator_for(rm)
    client_for(strict_bank[Role.TENANT_ADMIN]).post(reset_url(rm), {"reason": REASON})
    trail = client_for(strict_bank[Role.AUDITOR]).get(reverse("audit:trail"))
    assert REASON in trail.content.decode()


def test_a_reset_needs_a_reason(strict_bank, client_for):
    rm = strict_bank[Role.RELATIONSHIP_MANAGER]
    authenticator_for(rm)
    response = client_for(strict_bank[Role.TENANT_ADMIN]).post(reset_url(rm), {"reason": " "})
    assert response.status_code == 200 and response.context["form"].errors
    assert devices_of(rm) == 1


def test_no_reset_across_banks(strict_bank, bank_b, client_for):
    foreign = bank_b[Role.RELATIONSHIP_MANAGER]
    authenticator_for(foreign)
    admin = client_for(strict_bank[Role.TENANT_ADMIN])
    assert admin.get(reset_url(foreign)).status_code == 404
    assert admin.post(reset_url(foreign), {"reason": REASON}).status_code == 404
    assert devices_of(foreign) == 1
    listed = admin.get(reverse("two_factor:staff")).content.decode()
    assert "aaa_teller" in listed and "zzz_" not in listed


def test_only_administrators_reset(strict_bank, client_for):
    rm = strict_bank[Role.RELATIONSHIP_MANAGER]
    authenticator_for(rm)
    for role in (Role.AUDITOR, Role.BRANCH_MANAGER, Role.TELLER):
        client = client_for(strict_bank[role])
        assert client.post(reset_url(rm), {"reason": REASON}).status_code == 403
        assert client.get(reverse("two_factor:staff")).status_code == 403
    assert devices_of(rm) == 1


def test_a_platform_administrator_resets_anyone(strict_bank, bank_b, platform_admin, client_for):
    foreign = bank_b[Role.TENANT_ADMIN]
    authenticator_for(foreign)
    client = client_for(platform_admin)
    listed = client.get(reverse("two_factor:staff")).content.decode()
    assert "aaa_tenant_admin" in listed and "zzz_tenant_admin" in listed

    assert client.post(reset_url(foreign), {"reason": REASON}).status_code == 302

    assert devices_of(foreign) == 0
    with bank_b.scope():
        event = LoginEvent.objects.get(kind=LoginEvent.Kind.TWO_FACTOR_RESET)
    assert event.actor_username == platform_admin.username


def test_a_staff_members_admin_page_leads_to_the_reset(strict_bank, client_for):
    rm = strict_bank[Role.RELATIONSHIP_MANAGER]
    page = client_for(strict_bank[Role.TENANT_ADMIN]).get(f"/admin/tenancy/staff/{rm.pk}/change/")
    assert reset_url(rm) in page.content.decode()
    page = client_for(strict_bank[Role.AUDITOR]).get(f"/admin/tenancy/staff/{rm.pk}/change/")
    assert page.status_code == 200 and reset_url(rm) not in page.content.decode()
