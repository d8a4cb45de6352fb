from django.db import migrations

import crm.tenancy.rls


class Migration(migrations.Migration):
    """Row-level security that no runtime connection can talk its way out of.

    The runtime role now logs in itself instead of being switched to from the owner's
    session, and the policies check a signed claim instead of a bare setting.
    """

    dependencies = [
        ("tenancy", "0004_employee_number_message"),
    ]

    operations = [
        crm.tenancy.rls.CreateDatabaseRoles(),
        crm.tenancy.rls.ClaimCheckedPolicies(),
    ]
