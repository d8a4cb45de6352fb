"""Job runs in Django admin: read-only, a bank's own runs for its administrators and
auditors, every bank's (and the platform's own) for the platform administrator."""

from datetime import timedelta

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from crm.jobs.models import JobRun
from crm.tenancy.admin_site import ReadOnlyAdmin, TenantScopedAdmin


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyAdmin[JobRun], TenantScopedAdmin[JobRun]):
    list_display = [
        "job",
        "period",
        "status",
        "started_at",
        "finished_at",
        "duration_display",
        "rows_touched",
        "attempts",
    ]
    list_filter = ["status", "job"]
    search_fields = ["=period", "job"]
    date_hierarchy = "started_at"
    readonly_fields = ["error"]

    @admin.display(description=_("duration"))
    def duration_display(self, run: JobRun) -> timedelta | None:
        return run.duration
