from django.db import migrations

from crm.tenancy.roles import grant_role_permissions, revoke_role_permissions

# Whoever may change a customer's record may also correct or end their relationships
# (adding them was granted with the record in 0003; nobody deletes one: it is ended).
ROLE_PERMISSIONS = {
    role: ["customers.change_customerrelationship"]
    for role in ("relationship_manager", "teller", "branch_manager")
}


def grant(apps, schema_editor):
    grant_role_permissions(apps, ROLE_PERMISSIONS)


def revoke(apps, schema_editor):
    revoke_role_permissions(apps, ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("customers", "0009_relationships_end_instead_of_delete")]

    operations = [migrations.RunPython(grant, revoke)]
