from django.db import migrations

from crm.tenancy.rls import CURRENT_TENANT_SQL, PLATFORM_ACCESS_SQL

# Django admin's change log has no tenant column, but every entry has an author: an entry
# belongs to the bank of the staff member who made it. The author's row is itself under
# row-level security, so "the author is visible" means "the author is one of this bank's".
AUTHOR_IN_TENANT = (
    "EXISTS (SELECT FROM tenancy_staff author WHERE author.id = django_admin_log.user_id "
    f"AND author.tenant_id = {CURRENT_TENANT_SQL})"
)

FORWARDS = [
    "ALTER TABLE django_admin_log ENABLE ROW LEVEL SECURITY",
    "ALTER TABLE django_admin_log FORCE ROW LEVEL SECURITY",
    f"CREATE POLICY tenant_isolation ON django_admin_log USING ({AUTHOR_IN_TENANT}) "
    f"WITH CHECK ({AUTHOR_IN_TENANT})",
    f"CREATE POLICY platform_access ON django_admin_log USING ({PLATFORM_ACCESS_SQL}) "
    f"WITH CHECK ({PLATFORM_ACCESS_SQL})",
    "CREATE POLICY owner_access ON django_admin_log TO CURRENT_USER USING (true) "
    "WITH CHECK (true)",
]
BACKWARDS = [
    "DROP POLICY IF EXISTS owner_access ON django_admin_log",
    "DROP POLICY IF EXISTS platform_access ON django_admin_log",
    "DROP POLICY IF EXISTS tenant_isolation ON django_admin_log",
    "ALTER TABLE django_admin_log NO FORCE ROW LEVEL SECURITY",
    "ALTER TABLE django_admin_log DISABLE ROW LEVEL SECURITY",
]


class Migration(migrations.Migration):
    dependencies = [
        ("tenancy", "0007_platform_only_login_attempts"),
        ("admin", "0003_logentry_add_action_flag_choices"),
    ]

    operations = [migrations.RunSQL(FORWARDS, BACKWARDS)]
