"""A tenant admin manages their bank's tree and staff in Django admin, and nothing else."""

from django.urls import reverse

from crm.tenancy.context import platform_wide
from crm.tenancy.models import Branch, Staff, StaffRole
from crm.tenancy.roles import Role

STRONG = "Str0ng-pass-2026!"


def staff_form(bank, **overrides):
    data = {
        "username": "new_teller",
        "name": "新柜员",
        "employee_number": "E900",
        "email": "",
        "branch": bank.sub_branch.pk,
        "roles": [Role.TELLER],
        "is_active": "on",
        "password1": STRONG,
        "password2": STRONG,
    }
    data.update(overrides)
    return data


def test_tenant_admin_creates_staff_with_roles(bank_a, client_for):
    client = client_for(bank_a["tenant_admin"])
    response = client.post(reverse("admin:tenancy_staff_add"), staff_form(bank_a))
    assert response.status_code == 302, response.content.decode()[:2000]
    with bank_a.scope():
        staff = Staff.objects.get(username="new_teller")
        assert staff.tenant_id == bank_a.tenant.pk
        assert staff.role_codes == {Role.TELLER}
        assert StaffRole.objects.get(staff=staff).tenant_id == bank_a.tenant.pk
        assert staff.check_password(STRONG)


def test_staff_form_rejects_a_branch_of_another_bank(bank_a, bank_b, client_for):
    client = client_for(bank_a["tenant_admin"])
    response = client.post(
        reverse("admin:tenancy_staff_add"), staff_form(bank_a, branch=bank_b.sub_branch.pk)
    )
    assert response.status_code == 200  # the form again, with an error
    assert "ZZZ" not in response.content.decode()
    with platform_wide():
        assert not Staff.objects.filter(username="new_teller").exists()


def test_tenant_admin_moves_and_deactivates_staff_and_changes_roles(bank_a, client_for):
    client = client_for(bank_a["tenant_admin"])
    teller = bank_a["teller"]
    url = reverse("admin:tenancy_staff_change", args=[teller.pk])
    data = staff_form(
        bank_a,
        username=teller.username,
        name=teller.name,
        branch=bank_a.other_branch.pk,
        roles=[Role.TELLER, Role.RELATIONSHIP_MANAGER],
        password1="",
        password2="",
    )
    data.pop("is_active")
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:3000]
    with bank_a.scope():
        teller.refresh_from_db()
        assert teller.branch_id == bank_a.other_branch.pk
        assert not teller.is_active
        teller.__dict__.pop("role_codes", None)
        assert teller.role_codes == {Role.TELLER, Role.RELATIONSHIP_MANAGER}


def test_deactivate_action(bank_a, client_for):
    client = client_for(bank_a["tenant_admin"])
    rm = bank_a["relationship_manager"]
    response = client.post(
        reverse("admin:tenancy_staff_changelist"),
        {"action": "deactivate", "_selected_action": [rm.pk]},
    )
    assert response.status_code == 302
    with bank_a.scope():
        rm.refresh_from_db()
    assert not rm.is_active


def test_tenant_admin_cannot_touch_another_banks_staff(bank_a, bank_b, client_for):
    client = client_for(bank_a["tenant_admin"])
    victim = bank_b["teller"]
    change_url = reverse("admin:tenancy_staff_change", args=[victim.pk])
    response = client.post(change_url, staff_form(bank_a, username="hijacked"))
    assert response.status_code in (302, 404)
    response = client.post(
        reverse("admin:tenancy_staff_changelist"),
        {"action": "deactivate", "_selected_action": [victim.pk]},
    )
    with bank_b.scope():
        victim.refresh_from_db()
    assert victim.username == "zzz_teller" and victim.is_active


def test_tenant_admin_manages_the_branch_tree(bank_a, client_for):
    client = client_for(bank_a["tenant_admin"])
    response = client.post(
        reverse("admin:tenancy_branch_add"),
        {
            "parent": bank_a.branch.pk,
            "code": "AAA-NEW",
            "name": "新开支行",
            "kind": Branch.Kind.SUB_BRANCH,
            "address": "",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    with bank_a.scope():
        branch = Branch.objects.get(code="AAA-NEW")
    assert branch.tenant_id == bank_a.tenant.pk
    assert branch.path.startswith(bank_a.branch.path)


def test_auditor_reads_but_cannot_change(bank_a, client_for):
    client = client_for(bank_a["auditor"])
    assert client.get(reverse("admin:tenancy_staff_changelist")).status_code == 200
    assert client.get(reverse("admin:tenancy_staff_add")).status_code == 403
    response = client.post(
        reverse("admin:tenancy_staff_change", args=[bank_a["teller"].pk]),
        staff_form(bank_a, username="changed"),
    )
    assert response.status_code == 403


def test_other_roles_cannot_open_the_admin(bank_a, client_for):
    response = client_for(bank_a["relationship_manager"]).get(reverse("admin:index"), follow=True)
    assert response.status_code == 403
    assert "您的角色无权访问此页面" in response.content.decode()


def test_platform_admin_sees_every_bank(bank_a, bank_b, platform_admin, client_for):
    client = client_for(platform_admin)
    page = client.get(reverse("admin:tenancy_staff_changelist") + "?all=").content.decode()
    assert "aaa_teller" in page and "zzz_teller" in page
    page = client.get(reverse("admin:tenancy_tenant_changelist")).content.decode()
    assert bank_a.tenant.name in page and bank_b.tenant.name in page


def test_partner_application_form_grants_client_credentials_only(bank_a, client_for):
    from crm.tenancy.models import PartnerApplication

    client = client_for(bank_a["tenant_admin"])
    response = client.post(
        reverse("admin:tenancy_partnerapplication_add"),
        {
            "name": "呼叫中心",
            "client_id": "call-center",
            "client_secret": "s3cret-value-for-partner",
            "scopes": ["branches:read"],
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    with bank_a.scope():
        application = PartnerApplication.objects.get(client_id="call-center")
    assert application.tenant_id == bank_a.tenant.pk
    assert application.authorization_grant_type == PartnerApplication.GRANT_CLIENT_CREDENTIALS
    assert application.scope == "branches:read"
    assert application.client_secret != "s3cret-value-for-partner"  # stored hashed
