from django.db import migrations

from crm.tenancy.rls import EnableRowLevelSecurity, SameTenantForeignKey
from crm.tenancy.roles import grant_role_permissions, revoke_role_permissions

ROLE_PERMISSIONS = {
    "tenant_admin": ["audit.view_feedbatch"],
    "auditor": ["audit.view_feedbatch"],
}


def grant(apps, schema_editor):
    grant_role_permissions(apps, ROLE_PERMISSIONS)


def revoke(apps, schema_editor):
    revoke_role_permissions(apps, ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_feed_batch"), ("tenancy", "0002_roles")]

    operations = [
        EnableRowLevelSecurity("feedbatch"),
        SameTenantForeignKey("feedbatch", "partner"),
        migrations.RunPython(grant, revoke),
    ]
