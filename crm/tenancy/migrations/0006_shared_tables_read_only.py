from django.db import migrations

from crm.tenancy.rls import ReadOnlyForRuntime

# Shared by every bank and written only by migrations (and the owner's post-migrate work).
SHARED_READ_ONLY = [
    "auth_group",
    "auth_group_permissions",
    "auth_permission",
    "django_content_type",
    "django_migrations",
]


class Migration(migrations.Migration):
    dependencies = [
        ("tenancy", "0005_claim_checked_policies"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [ReadOnlyForRuntime(table) for table in SHARED_READ_ONLY]
