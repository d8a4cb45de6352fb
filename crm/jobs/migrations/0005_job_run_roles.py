from django.db import migrations

from crm.tenancy.roles import grant_role_permissions, revoke_role_permissions

ROLE_PERMISSIONS = {
    "tenant_admin": ["jobs.view_jobrun"],
    "auditor": ["jobs.view_jobrun"],
}


def grant(apps, schema_editor):
    grant_role_permissions(apps, ROLE_PERMISSIONS)


def revoke(apps, schema_editor):
    revoke_role_permissions(apps, ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0004_job_run_claimant"),
        ("tenancy", "0002_roles"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
