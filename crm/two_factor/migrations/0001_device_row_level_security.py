from django.db import migrations

from crm.tenancy.rls import CURRENT_TENANT_SQL, policy_statements, removal_statements

# django-otp's tables have no tenant column, but every device has an owner: a device (and
# a recovery code, through its device) belongs to the bank of the staff member it signs in.
# A platform administrator's devices belong to no bank: platform code only.


def _owner_in_tenant(user_column: str) -> str:
    return (
        f"EXISTS (SELECT FROM tenancy_staff owner WHERE owner.id = {user_column} "
        f"AND owner.tenant_id = {CURRENT_TENANT_SQL})"
    )


DEVICE_TABLES = {
    "otp_totp_totpdevice": _owner_in_tenant("otp_totp_totpdevice.user_id"),
    "otp_static_staticdevice": _owner_in_tenant("otp_static_staticdevice.user_id"),
    "otp_static_statictoken": (
        "EXISTS (SELECT FROM otp_static_staticdevice device "
        "WHERE device.id = otp_static_statictoken.device_id)"
    ),
}


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("tenancy", "0012_two_factor_reset_permission"),
        ("otp_totp", "0003_add_timestamps"),
        ("otp_static", "0003_add_timestamps"),
    ]

    operations = [
        migrations.RunSQL(policy_statements(table, check), removal_statements(table))
        for table, check in DEVICE_TABLES.items()
    ]
