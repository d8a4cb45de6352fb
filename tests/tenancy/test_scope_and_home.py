"""Inside a bank, each role sees its part of the tree; each role has a home page."""

import pytest
from django.urls import reverse

from crm.tenancy.context import platform_wide
from crm.tenancy.models import Branch, Staff, Tenant
from crm.tenancy.scoping import StaffScope
from tests.factories import StaffFactory


def names(queryset):
    return {staff.username for staff in queryset}


def test_head_office_staff_see_the_whole_bank(bank_a, bank_b):
    auditor = bank_a["auditor"]
    with bank_a.scope():
        assert names(Staff.objects.in_scope(auditor)) == {s.username for s in bank_a.staff.values()}
        assert Branch.objects.in_scope(auditor).count() == 4


def test_branch_staff_see_their_subtree_only(bank_a):
    manager = bank_a["branch_manager"]
    with bank_a.scope():
        visible = names(Staff.objects.in_scope(manager))
        branches = set(Branch.objects.in_scope(manager).values_list("pk", flat=True))
    assert visible == {"aaa_branch_manager", "aaa_relationship_manager", "aaa_teller"}
    assert branches == {bank_a.branch.pk, bank_a.sub_branch.pk}


def test_relationship_managers_can_be_limited_to_their_own_book(bank_a):
    rm = bank_a["relationship_manager"]
    with bank_a.scope():
        assert rm.scope.book_of is None
    with platform_wide():
        Tenant.objects.filter(pk=bank_a.tenant.pk).update(rm_scope=Tenant.RmScope.OWN_BOOK)
    with bank_a.scope():
        rm.tenant.refresh_from_db()
        assert StaffScope.of(rm).book_of == rm.pk
        assert StaffScope.of(bank_a["branch_manager"]).book_of is None


@pytest.mark.parametrize(
    ("role", "expected_colleagues"),
    [
        ("teller", {"AAArelationship_manager", "AAAteller"}),
        ("branch_manager", {"AAArelationship_manager", "AAAteller", "AAAbranch_manager"}),
    ],
)
def test_home_page_shows_the_branch_and_colleagues_in_scope(
    role, expected_colleagues, bank_a, bank_b, client_for
):
    response = client_for(bank_a[role]).get(reverse("home"))
    assert response.status_code == 200
    page = response.content.decode()
    colleagues = page.split('data-testid="colleagues"')[1].split("</table>")[0]
    shown = {name for name in (s.name for s in bank_a.staff.values()) if name in colleagues}
    assert shown == expected_colleagues
    assert bank_a[role].branch.name in page
    assert "ZZZ" not in page


def test_tenant_admin_home_shows_administration(bank_a, client_for):
    response = client_for(bank_a["tenant_admin"]).get(reverse("home"))
    assert 'data-testid="admin-overview"' in response.content.decode()
    assert bank_a.partner.name in response.content.decode()


def test_auditor_home_shows_the_latest_audit_entries(bank_a, client_for):
    response = client_for(bank_a["auditor"]).get(reverse("home"))
    assert 'data-testid="audit-overview"' in response.content.decode()
    teller = client_for(bank_a["teller"]).get(reverse("home"))
    assert 'data-testid="audit-overview"' not in teller.content.decode()


def test_platform_admin_home_lists_every_bank(bank_a, bank_b, platform_admin, client_for):
    response = client_for(platform_admin).get(reverse("home"))
    page = response.content.decode()
    assert bank_a.tenant.name in page and bank_b.tenant.name in page


def test_home_page_query_count_does_not_grow_with_colleagues(
    bank_a, client_for, django_assert_max_num_queries
):
    client = client_for(bank_a["auditor"])
    client.get(reverse("home"))
    with bank_a.scope():
        for number in range(20):
            StaffFactory(
                tenant=bank_a.tenant,
                branch=bank_a.sub_branch,
                roles=["teller"],
                username=f"extra{number}",
            )
    with django_assert_max_num_queries(25):
        response = client.get(reverse("home"))
    assert response.status_code == 200
