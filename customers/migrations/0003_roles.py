from django.db import migrations

from crm.tenancy.roles import grant_role_permissions, revoke_role_permissions

READ = [
    "customers.view_customer",
    "customers.view_holding",
    "customers.view_balancesnapshot",
    "customers.view_customerrelationship",
    "customers.view_consent",
    "customers.view_assignment",
    "customers.view_product",
]
SERVE = [
    "customers.add_customer",
    "customers.change_customer",
    "customers.add_consent",
    "customers.change_consent",
    "customers.add_customerrelationship",
    "customers.reveal_personal_data",
]

ROLE_PERMISSIONS = {
    "relationship_manager": [*READ, *SERVE, "customers.claim_from_pool"],
    "teller": [*READ, *SERVE],
    "branch_manager": [
        *READ,
        *SERVE,
        "customers.hand_over_customers",
        "customers.import_customers",
        "customers.export_customers",
        "customers.export_personal_data",
    ],
    "marketing_manager": [*READ, "customers.export_customers"],
    "risk_officer": [*READ],
    "complaint_handler": [*READ, "customers.reveal_personal_data", "customers.export_personal_data"],
    "auditor": [*READ, "audit.view_personaldataaccess"],
    "tenant_admin": [
        *READ,
        "customers.add_product",
        "customers.change_product",
        "customers.view_customersettings",
        "customers.change_customersettings",
        "customers.hand_over_customers",
        "customers.import_customers",
    ],
}


def grant(apps, schema_editor):
    grant_role_permissions(apps, ROLE_PERMISSIONS)


def revoke(apps, schema_editor):
    revoke_role_permissions(apps, ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0002_customer_permissions"),
        ("audit", "0003_personaldataaccess"),
        ("tenancy", "0002_roles"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
