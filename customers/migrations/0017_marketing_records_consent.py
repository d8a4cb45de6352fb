"""Marketing managers record the answers campaigns bring back (letters, replies, calls)."""

from django.db import migrations

from crm.tenancy.roles import grant_role_permissions, revoke_role_permissions

ROLE_PERMISSIONS = {"marketing_manager": ["customers.add_consent", "customers.change_consent"]}


def grant(apps, schema_editor):
    grant_role_permissions(apps, ROLE_PERMISSIONS)


def revoke(apps, schema_editor):
    revoke_role_permissions(apps, ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("customers", "0016_consent_purposes_and_sources")]

    operations = [migrations.RunPython(grant, revoke)]
