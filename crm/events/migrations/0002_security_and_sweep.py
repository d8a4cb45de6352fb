"""Row-level security on the outbox, and the sweep that dispatches what is still due."""

from django.db import migrations

from crm.tenancy.rls import EnableRowLevelSecurity, SameTenantForeignKey

TASK = "crm.events.tasks.sweep_events"


def schedule(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    every_minute, _created = IntervalSchedule.objects.get_or_create(every=1, period="minutes")
    PeriodicTask.objects.get_or_create(
        name="Change events: dispatch what is still due",
        defaults={"task": TASK, "interval": every_minute, "enabled": True},
    )


def unschedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(task=TASK).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0001_initial"),
        ("jobs", "0006_platform_only_schedules"),
    ]

    operations = [
        EnableRowLevelSecurity("changeevent"),
        EnableRowLevelSecurity("eventdelivery"),
        SameTenantForeignKey("changeevent", "actor"),
        SameTenantForeignKey("eventdelivery", "event"),
        migrations.RunPython(schedule, unschedule),
    ]
