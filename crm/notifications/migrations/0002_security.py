from django.db import migrations

from crm.tenancy.rls import EnableRowLevelSecurity, SameTenantForeignKey


class Migration(migrations.Migration):
    dependencies = [("notifications", "0001_initial")]

    operations = [
        EnableRowLevelSecurity("notification"),
        SameTenantForeignKey("notification", "recipient"),
    ]
