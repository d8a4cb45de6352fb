"""Schedule the nightly channel roll-up; administrators can change it in Django admin."""

from django.db import migrations

TASK = "channels.tasks.rollup_yesterday"


def schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    # Early morning in China: yesterday is over in the banks' time zone, and the run is done
    # long before branches open.
    crontab, _created = CrontabSchedule.objects.get_or_create(
        minute="15",
        hour="1",
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone="Asia/Shanghai",
    )
    PeriodicTask.objects.get_or_create(
        name="Channel analytics: roll up yesterday's interactions",
        defaults={"task": TASK, "crontab": crontab, "enabled": True},
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(task=TASK).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("channels", "0003_roles"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(schedule, unschedule)]
