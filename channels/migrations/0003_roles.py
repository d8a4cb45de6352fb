from django.db import migrations

from crm.tenancy.roles import grant_role_permissions, revoke_role_permissions

READ = [
    "channels.view_channel",
    "channels.view_outlet",
    "channels.view_interaction",
    "channels.view_channelpreference",
    "channels.view_servicerequesttype",
    "channels.view_servicerequest",
    "channels.view_servicerequeststep",
]
SERVE = [
    "channels.add_interaction",
    "channels.add_servicerequest",
    "channels.change_servicerequest",
    "channels.add_channelpreference",
    "channels.change_channelpreference",
]
ANALYTICS = ["channels.view_channel_analytics", "channels.view_dailychannelrollup"]

ROLE_PERMISSIONS = {
    "relationship_manager": [*READ, *SERVE],
    "teller": [*READ, *SERVE],
    "branch_manager": [*READ, *SERVE, *ANALYTICS, "channels.reassign_servicerequest"],
    "marketing_manager": [*READ, *ANALYTICS],
    "risk_officer": [*READ],
    "complaint_handler": [*READ, *SERVE, "channels.reassign_servicerequest"],
    "auditor": [*READ, *ANALYTICS],
    "tenant_admin": [
        *READ,
        *ANALYTICS,
        "channels.add_channel",
        "channels.change_channel",
        "channels.add_outlet",
        "channels.change_outlet",
        "channels.add_servicerequesttype",
        "channels.change_servicerequesttype",
    ],
}


def grant(apps, schema_editor):
    grant_role_permissions(apps, ROLE_PERMISSIONS)


def revoke(apps, schema_editor):
    revoke_role_permissions(apps, ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("channels", "0002_permissions"), ("tenancy", "0002_roles")]

    operations = [migrations.RunPython(grant, revoke)]
