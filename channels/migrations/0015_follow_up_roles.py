from django.db import migrations

from crm.tenancy.roles import grant_role_permissions, revoke_role_permissions

READ = ["channels.view_followup"]
# Staff who serve customers plan, complete and cancel their follow-ups.
WORK = ["channels.add_followup", "channels.change_followup"]

ROLE_PERMISSIONS = {
    "relationship_manager": [*READ, *WORK],
    "teller": [*READ],
    "branch_manager": [*READ, *WORK, "channels.reassign_followup"],
    "marketing_manager": [*READ],
    "risk_officer": [*READ],
    "complaint_handler": [*READ, *WORK],
    "auditor": [*READ],
    "tenant_admin": [*READ],
}


def grant(apps, schema_editor):
    grant_role_permissions(apps, ROLE_PERMISSIONS)


def revoke(apps, schema_editor):
    revoke_role_permissions(apps, ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("channels", "0014_follow_ups"), ("tenancy", "0002_roles")]

    operations = [migrations.RunPython(grant, revoke)]
