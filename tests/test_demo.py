"""The demo data: two banks, every role, a partner; loading it twice changes nothing."""

from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse

from crm.shell.demo import DEMO_BANKS, DEMO_PASSWORD
from crm.tenancy.context import platform_wide
from crm.tenancy.models import Branch, PartnerApplication, Staff, Tenant
from crm.tenancy.rls import tenant_owned_tables
from crm.tenancy.roles import Role


def row_counts() -> dict[str, int]:
    counts = {}
    with platform_wide(), connection.cursor() as cursor:
        for table, _column in tenant_owned_tables():
            cursor.execute(f'SELECT count(*) FROM "{table}"')
            counts[table] = cursor.fetchone()[0]
    return counts


def test_load_demo_creates_two_banks_with_every_role_and_is_idempotent(db):
    call_command("load_demo")
    first = row_counts()
    call_command("load_demo")
    assert row_counts() == first  # audit event tables included: nothing was rewritten
    with platform_wide():
        assert Tenant.objects.count() == 2
        for bank in DEMO_BANKS:
            tenant = Tenant.objects.get(code=bank.code)
            branches = Branch.objects.filter(tenant=tenant)
            assert branches.filter(kind=Branch.Kind.HEAD_OFFICE).count() == 1
            assert 2 <= branches.filter(kind=Branch.Kind.BRANCH).count() <= 3
            staff = Staff.objects.filter(tenant=tenant)
            roles = set(staff.values_list("groups__name", flat=True))
            assert roles == set(Role.values)
            assert PartnerApplication.objects.filter(tenant=tenant).count() == 1
        assert Staff.objects.get(username="platform").is_platform_admin


def test_demo_logins_work(db):
    call_command("load_demo")
    for username in ("df_rm", "xh_admin", "platform"):
        client = Client()
        client.post(reverse("login"), {"username": username, "password": DEMO_PASSWORD})
        assert "_auth_user_id" in client.session, username


def test_demo_banks_have_customers_with_history_across_channels(db):
    from channels.models import Interaction, ServiceRequest
    from crm.tenancy.context import tenant_context
    from customers.models import Assignment, BalanceSnapshot, CustomerRelationship, Holding

    call_command("load_demo")
    with platform_wide():
        tenants = list(Tenant.objects.all())
    for tenant in tenants:
        with tenant_context(tenant):
            assert Holding.objects.count() > 60
            assert BalanceSnapshot.objects.filter(customer__number__endswith="01").count() == 24
            assert CustomerRelationship.objects.count() >= 5
            assert Assignment.objects.filter(kind=Assignment.Kind.HANDOVER).exists()
            channels_used = set(Interaction.objects.values_list("channel__code", flat=True))
            assert {"COUNTER", "MOBILE", "PHONE", "ATM"} <= channels_used
            assert ServiceRequest.objects.open().exists()
            assert ServiceRequest.objects.overdue().exists()
