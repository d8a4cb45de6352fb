from django.db import migrations

from crm.tenancy.rls import PlatformOnlyRowLevelSecurity

SCHEDULE_TABLES = [
    "django_celery_beat_periodictask",
    "django_celery_beat_periodictasks",
    "django_celery_beat_crontabschedule",
    "django_celery_beat_intervalschedule",
    "django_celery_beat_solarschedule",
    "django_celery_beat_clockedschedule",
]


class Migration(migrations.Migration):
    dependencies = [
        ("jobs", "0005_job_run_roles"),
        ("tenancy", "0005_claim_checked_policies"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [PlatformOnlyRowLevelSecurity(table) for table in SCHEDULE_TABLES]
