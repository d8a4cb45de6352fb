"""Job runs in Django admin: read-only, a bank's own runs for its administrators and
auditors, every bank's (and the platform's own) for the platform administrator."""

from datetime import timedelta
from typing import Any

from cron_descriptor import (  # type: ignore[import-untyped]
    ExpressionDescriptor,
    FormatException,
    MissingFieldException,
    Options,
    WrongArgumentException,
)
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_celery_beat import admin as beat_admin
from django_celery_beat.models import CrontabSchedule, PeriodicTask
from django_stubs_ext import StrOrPromise

from crm.celery import app as celery_app
from crm.jobs.models import JobRun
from crm.jobs.names import job_choices
from crm.tenancy.admin_site import ReadOnlyAdmin, TenantScopedAdmin
from crm.tenancy.time_zones import time_zone_name
from crm.third_party import third_party_text


class JobFilter(admin.SimpleListFilter):
    """Filter by job, listed by name rather than by the code the runs store."""

    title = _("job")
    parameter_name = "job"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, StrOrPromise]]:
        runs = model_admin.get_queryset(request)
        jobs = list(runs.order_by("job").values_list("job", flat=True).distinct())
        return job_choices(jobs)

    def queryset(self, request: HttpRequest, queryset: QuerySet[JobRun]) -> QuerySet[JobRun]:
        value = self.value()
        return queryset.filter(job=value) if value else queryset


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyAdmin[JobRun], TenantScopedAdmin[JobRun]):
    list_display = [
        "job_display",
        "period",
        "status",
        "started_at",
        "finished_at",
        "duration_display",
        "rows_touched",
        "attempts",
    ]
    list_filter = ["status", JobFilter]
    search_fields = ["=period", "job"]
    date_hierarchy = "started_at"
    readonly_fields = ["error"]

    @admin.display(description=_("job"), ordering="job")
    def job_display(self, run: JobRun) -> StrOrPromise:
        return run.name

    @admin.display(description=_("duration"))
    def duration_display(self, run: JobRun) -> timedelta | None:
        return run.duration


def crontab_in_words(crontab: CrontabSchedule) -> str:
    """Say when ``crontab`` runs, in the active language, with its time zone by name."""
    options = Options()
    options.locale_code = "zh_CN" if get_language() == "zh-hans" else "en_US"
    options.use_24hour_time_format = True
    expression = " ".join(
        [
            crontab.minute,
            crontab.hour,
            crontab.day_of_month,
            crontab.month_of_year,
            crontab.day_of_week,
        ]
    )
    try:
        words = ExpressionDescriptor(expression, options).get_description()
    except (FormatException, MissingFieldException, WrongArgumentException):
        words = expression
    return f"{words} ({time_zone_name(str(crontab.timezone))})"


class TaskFilter(admin.AllValuesFieldListFilter):
    """The filter by task, under a translated title (the package's is a plain string)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.title = third_party_text("Task Name")


class RegisteredTaskSelect(beat_admin.TaskSelectWidget):  # type: ignore[misc]  # untyped
    """The tasks of our Celery app.

    django-celery-beat lists the tasks of Celery's *current* app, which is a per-thread
    setting: in a thread where another app was made current, the list came out empty.
    """

    celery_app = celery_app


class PeriodicTaskForm(beat_admin.PeriodicTaskForm):  # type: ignore[misc]  # untyped
    regtask = beat_admin.TaskChoiceField(
        label=beat_admin.PeriodicTaskForm.base_fields["regtask"].label,
        required=False,
        widget=RegisteredTaskSelect,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The package calls it "Name", which our catalogue gives as a person's name; its
        # name is the package's, translated with the package's strings.
        self.fields["name"].label = third_party_text("Periodic task name")
        # Its task field's name is a plain string: translatable only here and in the filter.
        self.fields["task"].label = third_party_text("Task Name")


# Imported above, django-celery-beat's admin has registered its own; ours replaces it.
admin.site.unregister(PeriodicTask)


@admin.register(PeriodicTask)
class PeriodicTaskAdmin(beat_admin.PeriodicTaskAdmin):  # type: ignore[misc]  # untyped
    """django-celery-beat's admin of the schedule, with a form our CSP lets run its script."""

    form = PeriodicTaskForm
    change_form_template = "admin/jobs/periodic_task_form.html"
    list_filter = ["enabled", "one_off", ("task", TaskFilter), "start_time", "last_run_at"]
    list_display = (
        "task_name",
        "enabled",
        "scheduler",
        "interval",
        "start_time",
        "last_run_at",
        "one_off",
    )

    def render_change_form(
        self, request: HttpRequest, context: dict[str, Any], *args: Any, **kwargs: Any
    ) -> Any:
        # The package describes each crontab in English; the reader's language instead.
        context["readable_crontabs"] = {
            crontab.pk: crontab_in_words(crontab) for crontab in CrontabSchedule.objects.all()
        }
        return super().render_change_form(request, context, *args, **kwargs)

    @admin.display(description=third_party_text("Periodic task name"), ordering="name")
    def task_name(self, task: PeriodicTask) -> str:
        name: str = task.name
        return name
