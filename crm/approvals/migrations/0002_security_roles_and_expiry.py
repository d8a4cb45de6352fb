"""Row-level security on proposals, who sees the approvals pages, and the expiry job."""

from django.db import migrations

from crm.tenancy.rls import EnableRowLevelSecurity, SameTenantForeignKey
from crm.tenancy.roles import grant_role_permissions, revoke_role_permissions

TASK = "crm.approvals.tasks.expire_proposals"
# Whoever may propose or decide: each action still demands its own permission.
ROLE_PERMISSIONS = {
    "branch_manager": ["approvals.view_proposal"],
    "marketing_manager": ["approvals.view_proposal"],
    "risk_officer": ["approvals.view_proposal"],
    "complaint_handler": ["approvals.view_proposal"],
    "tenant_admin": ["approvals.view_proposal"],
}


def grant(apps, schema_editor):
    grant_role_permissions(apps, ROLE_PERMISSIONS)
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    quarter_hour, _created = IntervalSchedule.objects.get_or_create(every=15, period="minutes")
    PeriodicTask.objects.get_or_create(
        name="Approvals: expire overdue proposals",
        defaults={"task": TASK, "interval": quarter_hour, "enabled": True},
    )


def revoke(apps, schema_editor):
    revoke_role_permissions(apps, ROLE_PERMISSIONS)
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(task=TASK).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("approvals", "0001_initial"),
        ("tenancy", "0002_roles"),
        ("jobs", "0006_platform_only_schedules"),
    ]

    operations = [
        EnableRowLevelSecurity("proposal"),
        EnableRowLevelSecurity("proposalevent"),
        SameTenantForeignKey("proposal", "maker"),
        SameTenantForeignKey("proposal", "maker_branch"),
        SameTenantForeignKey("proposal", "decided_by"),
        migrations.RunPython(grant, revoke),
    ]
