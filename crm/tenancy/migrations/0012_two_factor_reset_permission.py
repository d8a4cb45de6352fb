from django.db import migrations

from crm.tenancy.roles import grant_role_permissions, revoke_role_permissions

# A bank's administrator resets the two-factor sign-in of its staff (crm/two_factor).
ROLE_PERMISSIONS = {"tenant_admin": ["tenancy.reset_two_factor"]}


def grant(apps, schema_editor):
    grant_role_permissions(apps, ROLE_PERMISSIONS)


def revoke(apps, schema_editor):
    revoke_role_permissions(apps, ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("tenancy", "0011_two_factor_roles")]

    operations = [migrations.RunPython(grant, revoke)]
