from django.db import migrations

from crm.tenancy.rls import EnableRowLevelSecurity
from crm.tenancy.roles import grant_role_permissions, revoke_role_permissions

ROLE_PERMISSIONS = {
    "tenant_admin": [
        "business_calendar.view_calendarday",
        "business_calendar.add_calendarday",
        "business_calendar.change_calendarday",
        "business_calendar.delete_calendarday",
    ],
    "auditor": ["business_calendar.view_calendarday"],
}


def grant(apps, schema_editor):
    grant_role_permissions(apps, ROLE_PERMISSIONS)


def revoke(apps, schema_editor):
    revoke_role_permissions(apps, ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("business_calendar", "0001_initial"), ("tenancy", "0002_roles")]

    operations = [EnableRowLevelSecurity("calendarday"), migrations.RunPython(grant, revoke)]
