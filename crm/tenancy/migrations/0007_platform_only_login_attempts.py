from django.db import migrations

from crm.tenancy.rls import PlatformOnlyRowLevelSecurity

# Every bank's usernames and client addresses (crm/tenancy/lockout.py).
LOGIN_ATTEMPT_TABLES = [
    "axes_accessattempt",
    "axes_accessattemptexpiration",
    "axes_accessfailurelog",
    "axes_accesslog",
]


class Migration(migrations.Migration):
    dependencies = [
        ("tenancy", "0006_shared_tables_read_only"),
        ("axes", "0010_accessattemptexpiration"),
    ]

    operations = [PlatformOnlyRowLevelSecurity(table) for table in LOGIN_ATTEMPT_TABLES]
