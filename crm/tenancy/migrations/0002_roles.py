from django.db import migrations

from crm.tenancy.roles import grant_role_permissions, revoke_role_permissions

EVERYONE = ["tenancy.view_branch", "tenancy.view_staff"]

ROLE_PERMISSIONS = {
    "relationship_manager": EVERYONE,
    "teller": EVERYONE,
    "branch_manager": EVERYONE,
    "marketing_manager": EVERYONE,
    "risk_officer": EVERYONE,
    "complaint_handler": EVERYONE,
    "auditor": [
        *EVERYONE,
        "tenancy.view_tenant",
        "tenancy.view_partnerapplication",
        "jobs.view_jobrun",
        "audit.view_loginevent",
        "audit.view_audit_trail",
    ],
    "tenant_admin": [
        *EVERYONE,
        "tenancy.view_tenant",
        "tenancy.change_tenant",
        "tenancy.add_branch",
        "tenancy.change_branch",
        "tenancy.add_staff",
        "tenancy.change_staff",
        "tenancy.view_partnerapplication",
        "tenancy.add_partnerapplication",
        "tenancy.change_partnerapplication",
        "tenancy.delete_partnerapplication",
        "jobs.view_jobrun",
        "audit.view_loginevent",
    ],
}


def create_roles(apps, schema_editor):
    grant_role_permissions(apps, ROLE_PERMISSIONS)


def remove_roles(apps, schema_editor):
    revoke_role_permissions(apps, ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("tenancy", "0001_initial"),
        ("audit", "0002_initial"),
        ("jobs", "0002_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
