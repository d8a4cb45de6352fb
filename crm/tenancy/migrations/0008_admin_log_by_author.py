from django.db import migrations

from crm.tenancy.rls import CURRENT_TENANT_SQL, policy_statements, removal_statements

# Django admin's change log has no tenant column, but every entry has an author: an entry
# belongs to the bank of the staff member who made it.
AUTHOR_IN_TENANT = (
    "EXISTS (SELECT FROM tenancy_staff author WHERE author.id = django_admin_log.user_id "
    f"AND author.tenant_id = {CURRENT_TENANT_SQL})"
)


class Migration(migrations.Migration):
    dependencies = [
        ("tenancy", "0007_platform_only_login_attempts"),
        ("admin", "0003_logentry_add_action_flag_choices"),
    ]

    operations = [
        migrations.RunSQL(
            policy_statements("django_admin_log", AUTHOR_IN_TENANT),
            removal_statements("django_admin_log"),
        )
    ]
