"""PostgreSQL itself keeps tenants apart, whatever the application code forgets."""

import psycopg
import pytest
from django.conf import settings
from django.db import connection, transaction
from django.db.utils import IntegrityError, ProgrammingError

from crm.tenancy.context import NoTenantError, no_tenant, platform_wide, tenant_context
from crm.tenancy.models import Branch, Staff
from crm.tenancy.rls import tenant_owned_tables
from tests.database import runtime_dsn


def test_every_tenant_owned_table_is_under_forced_claim_checked_security(db):
    tables = tenant_owned_tables()
    assert ("tenancy_branch", "tenant_id") in tables
    assert ("tenancy_staffevent", "tenant_id") in tables
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'"
        )
        security = {name: (enabled, forced) for name, enabled, forced in cursor.fetchall()}
        cursor.execute("SELECT tablename, policyname, roles, qual, with_check FROM pg_policies")
        policies = cursor.fetchall()
    for table, column in tables:
        assert security.get(table) == (True, True), f"{table}: RLS not enabled and forced"
        by_name = {p[1]: p for p in policies if p[0] == table}
        assert set(by_name) == {"tenant_isolation", "platform_access", "owner_access"}, table
        _table, _name, roles, qual, with_check = by_name["tenant_isolation"]
        assert roles == ["public"]
        assert qual == f"({column} = ( SELECT app_current_tenant() AS app_current_tenant))"
        assert with_check == qual
        _table, _name, roles, qual, with_check = by_name["platform_access"]
        assert roles == ["public"] and "app_platform_access()" in qual and with_check == qual
        assert by_name["owner_access"][2] == [settings.DATABASE_OWNER["USER"]]


def test_application_role_is_not_privileged(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, session_user")
        current_user, session_user = cursor.fetchone()
        cursor.execute(
            "SELECT rolsuper, rolbypassrls, rolinherit FROM pg_roles WHERE rolname = %s",
            [current_user],
        )
        is_superuser, bypasses_rls, inherits = cursor.fetchone()
        cursor.execute(
            "SELECT count(*) FROM pg_class WHERE relowner = "
            "(SELECT oid FROM pg_roles WHERE rolname = %s)",
            [current_user],
        )
        (relations_owned,) = cursor.fetchone()
        cursor.execute(
            "SELECT count(*) FROM pg_auth_members WHERE member = "
            "(SELECT oid FROM pg_roles WHERE rolname = %s)",
            [current_user],
        )
        (memberships,) = cursor.fetchone()
    # The connection logged in as the runtime role: there is no other role to go back to.
    assert current_user == session_user == settings.DATABASE_APP_ROLE
    assert not is_superuser and not bypasses_rls and not inherits
    assert relations_owned == 0 and memberships == 0


@pytest.mark.django_db(transaction=True)
def test_raw_sql_as_application_role_without_tenant_sees_no_rows(bank_a, bank_b):
    """A fresh connection of the application, with no claim set, reads nothing."""
    with psycopg.connect(runtime_dsn(), autocommit=True) as raw:
        for table, _column in tenant_owned_tables():
            (count,) = raw.execute(f'SELECT count(*) FROM "{table}"').fetchone()
            assert count == 0, f"{table} shows {count} rows with no tenant set"
    with platform_wide():
        assert Branch.objects.count() >= 8  # the rows exist: only the policy hides them


def test_queries_see_only_the_current_tenant_even_without_a_filter(bank_a, bank_b):
    with tenant_context(bank_a.tenant), connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT tenant_id FROM tenancy_branch")
        assert cursor.fetchall() == [(bank_a.tenant.pk,)]
        cursor.execute(
            "SELECT count(*) FROM tenancy_staff WHERE tenant_id = %s", [bank_b.tenant.pk]
        )
        assert cursor.fetchone() == (0,)


def test_insert_into_another_tenant_is_refused(bank_a, bank_b):
    refused = pytest.raises(ProgrammingError, match="row-level security")
    with tenant_context(bank_a.tenant), refused, connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO tenancy_branch (tenant_id, code, name, kind, address, is_active, "
            "path, depth) VALUES (%s, 'X', 'X', 'branch', '', true, '/x/', 1)",
            [bank_b.tenant.pk],
        )


def test_update_cannot_move_a_row_to_another_tenant(bank_a, bank_b):
    refused = pytest.raises(ProgrammingError, match="row-level security")
    with tenant_context(bank_a.tenant), refused, transaction.atomic():
        Branch.objects.filter(pk=bank_a.other_branch.pk).update(tenant_id=bank_b.tenant.pk)


def test_a_reference_to_another_tenants_row_is_refused(bank_a, bank_b):
    """Foreign-key checks bypass RLS, so a composite key keeps references in the tenant."""
    with platform_wide(), pytest.raises(IntegrityError), transaction.atomic():
        Staff.objects.filter(pk=bank_a["teller"].pk).update(branch=bank_b.sub_branch)
        connection.check_constraints()
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def test_tenant_claim_is_local_to_the_transaction(bank_a):
    with tenant_context(bank_a.tenant), connection.cursor() as cursor:
        cursor.execute("SELECT app_current_tenant()")
        assert cursor.fetchone() == (bank_a.tenant.pk,)
    # The test runs inside one transaction: leaving the context resets the claim in it.
    with no_tenant(), connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('app.claim', true), app_current_tenant()")
        claim, tenant_id = cursor.fetchone()
        assert claim in ("", None) and tenant_id is None


@pytest.mark.django_db(transaction=True)
def test_tenant_setting_does_not_outlive_its_transaction(bank_a):
    with tenant_context(bank_a.tenant), transaction.atomic():
        assert Branch.objects.count() == 4
    with connection.cursor() as cursor:  # autocommit, no tenant: a new transaction
        cursor.execute("SELECT current_setting('app.claim', true), current_user")
        setting, user = cursor.fetchone()
    assert setting in ("", None)
    assert user == settings.DATABASE_APP_ROLE


def test_scoped_manager_refuses_to_query_without_a_tenant(bank_a):
    queryset = Branch.objects.all()  # building a queryset is fine...
    with no_tenant(), pytest.raises(NoTenantError):
        list(queryset)  # ...running it without a tenant is not


def test_queryset_follows_the_tenant_of_the_code_that_runs_it(bank_a, bank_b):
    queryset = Branch.objects.order_by("code")
    with tenant_context(bank_a.tenant):
        assert {b.tenant_id for b in queryset.all()} == {bank_a.tenant.pk}
    with tenant_context(bank_b.tenant):
        assert {b.tenant_id for b in queryset.all()} == {bank_b.tenant.pk}
    with platform_wide():
        assert {b.tenant_id for b in queryset.all()} >= {bank_a.tenant.pk, bank_b.tenant.pk}


# Tables every bank shares that the runtime role reads and writes, each with why that is
# acceptable. A table that is in none of the groups below fails the test until someone
# decides which group it belongs to.
SHARED_AND_WRITABLE = {
    "django_session": "keys stored hashed (crm/tenancy/sessions.py)",
    "oauth2_provider_accesstoken": "tokens stored hashed (RFC 9700 token storage)",
    "oauth2_provider_refreshtoken": "tokens stored hashed; client credentials issue none",
    "oauth2_provider_grant": "authorization codes: the flow is not enabled",
    "oauth2_provider_idtoken": "OpenID Connect: not enabled",
    "oauth2_provider_devicegrant": "device flow: not enabled",
    "pghistory_context": "unused: context is kept on each event row",
    "crm_cache": "API throttle counters",
}


# Tables without a tenant column whose rows each belong to one staff member's bank.
BY_STAFF_MEMBER = {
    "django_admin_log": "its author's (see test_database_role)",
    "otp_totp_totpdevice": "its owner's (tests/two_factor)",
    "otp_static_staticdevice": "its owner's (tests/two_factor)",
    "otp_static_statictoken": "its device's owner's (tests/two_factor)",
}


def test_every_table_is_tenant_owned_platform_only_read_only_or_accepted(db):
    tenant_tables = {table for table, _column in tenant_owned_tables()}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, c.relrowsecurity AND c.relforcerowsecurity, "
            "has_table_privilege(c.oid, 'INSERT') OR has_table_privilege(c.oid, 'UPDATE') "
            "OR has_table_privilege(c.oid, 'DELETE'), has_table_privilege(c.oid, 'SELECT'), "
            "(SELECT array_agg(policyname::text ORDER BY policyname) FROM pg_policies p "
            " WHERE p.tablename = c.relname AND p.schemaname = 'public') "
            "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')"
        )
        rows = cursor.fetchall()
    unclassified = []
    for table, forced, writable, readable, policies in rows:
        if table in tenant_tables:
            continue  # checked policy by policy above
        if forced and policies == ["owner_access", "platform_access"]:
            continue  # platform only
        if table in BY_STAFF_MEMBER and forced and len(policies) == 3:
            continue  # each row in its staff member's bank
        if readable and not writable and table != "crm_claim_key":
            continue  # read-only
        if table == "crm_claim_key" and not readable and not writable:
            continue
        if table in SHARED_AND_WRITABLE:
            continue
        unclassified.append(table)
    assert unclassified == []
