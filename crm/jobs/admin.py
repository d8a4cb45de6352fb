"""Job runs in Django admin: read-only, a bank's own runs for its administrators and
auditors, every bank's (and the platform's own) for the platform administrator."""

from datetime import timedelta
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from crm.jobs.models import JobRun
from crm.jobs.names import job_choices
from crm.tenancy.admin_site import ReadOnlyAdmin, TenantScopedAdmin


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
