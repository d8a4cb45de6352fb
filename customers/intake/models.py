"""Imports of customers and holdings from files, and exports of the customer list.

Both live under the ``customers`` app label (customers/models.py imports this module).
"""

from __future__ import annotations

import json
from datetime import timedelta

import pghistory
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm import pii
from crm.tenancy.managers import ScopedManager, ScopedQuerySet
from crm.tenancy.models import Staff, TenantOwned, event_indexes

# The StoredUpload purpose of an import's file (crm.uploads).
IMPORT_UPLOAD_PURPOSE = "customers.import"


class ImportJobQuerySet(ScopedQuerySet):
    def in_scope(self, staff: Staff) -> ImportJobQuerySet:
        """A job shows the rows of its file: only the staff member who uploaded it sees it."""
        if staff.is_platform_admin:
            return self
        return self.filter(tenant_id=staff.tenant_id, created_by=staff)


class ImportJob(TenantOwned):
    """One uploaded file of customers or holdings: checked, then applied all or nothing.

    The page polls this row for progress (never a Celery task id). The parsed rows hold
    identity and phone numbers, so they are stored encrypted like every other copy of them
    and dropped once the job has ended.
    """

    class Kind(models.TextChoices):
        CUSTOMERS = "customers", _("Customers")
        HOLDINGS = "holdings", _("Holdings")

    class Status(models.TextChoices):
        READING = "reading", _("Reading the file")
        DRAFT = "draft", _("Checked, not applied")
        PENDING = "pending", _("Waiting to start")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Done")
        FAILED = "failed", _("Failed")

    class Failure(models.TextChoices):
        CHECKS = "checks", _("The file no longer passes the checks. Nothing was imported.")
        CONFLICT = (
            "conflict",
            _("Another change to the same customers or accounts came first. Nothing was imported."),
        )
        ERROR = "error", _("The import stopped on an error. Nothing was imported.")
        UNREADABLE = "unreadable", _("The file could not be used.")

    ENDED = (Status.SUCCEEDED, Status.FAILED)
    # Failures whose ``error`` is a message for the person importing, in their language.
    FAILURES_TOLD = (Failure.UNREADABLE,)
    # A checked file waits this long to be applied; after that its rows are deleted.
    DRAFT_LIFETIME = timedelta(days=1)
    # A file still not read after this long was lost with its task (a worker killed, a
    # message dropped): its page stops waiting and asks for the file again. Reading itself
    # is bounded to minutes (crm.sheets.READ_BOUNDS); the rest is room for a busy queue.
    READING_LIFETIME = timedelta(minutes=30)

    kind = models.CharField(_("import of"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("file name"), max_length=200)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    # The file as uploaded, until a worker has read it into ``rows_encrypted``.
    upload = models.ForeignKey(
        "uploads.StoredUpload",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    rows_encrypted = models.TextField(blank=True, editable=False)
    skipped_notes = models.PositiveIntegerField(
        _("lines skipped as examples or notes"), default=0, editable=False
    )
    total = models.PositiveIntegerField(_("rows"), default=0)
    processed = models.PositiveIntegerField(_("rows checked"), default=0)
    created_rows = models.PositiveIntegerField(_("rows created"), default=0)
    updated_rows = models.PositiveIntegerField(_("rows updated"), default=0)
    failure = models.CharField(_("failure"), max_length=16, choices=Failure.choices, blank=True)
    error = models.CharField(_("error"), max_length=1000, blank=True)
    created_by = models.ForeignKey(
        Staff, on_delete=models.PROTECT, related_name="+", verbose_name=_("uploaded by")
    )
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    objects = ScopedManager.from_queryset(ImportJobQuerySet)()

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        indexes = [
            models.Index(fields=["tenant", "created_by", "-created_at"], name="import_job_staff"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def has_ended(self) -> bool:
        return self.status in self.ENDED

    @property
    def reading_lost(self) -> bool:
        return (
            self.status == self.Status.READING
            and self.created_at < timezone.now() - self.READING_LIFETIME
        )

    @property
    def is_awaited(self) -> bool:
        """Whether its page should keep asking for news of it."""
        return not self.has_ended and not self.reading_lost

    @property
    def failed_reading(self) -> bool:
        """Failed before it was ever applied: its file could not be read."""
        # started_at is set when applying starts (intake.jobs.import_job_run).
        return self.status == self.Status.FAILED and self.started_at is None

    @property
    def failure_message(self) -> str:
        """Why the job failed, for the person importing."""
        if self.failure in self.FAILURES_TOLD and self.error:
            return self.error
        return str(self.get_failure_display())

    @property
    def is_expired_draft(self) -> bool:
        return (
            self.status == self.Status.DRAFT
            and self.created_at < timezone.now() - self.DRAFT_LIFETIME
        )

    @property
    def percent(self) -> int:
        if self.status == self.Status.SUCCEEDED:
            return 100
        return int(self.processed * 100 / self.total) if self.total else 0

    def set_rows(self, rows: list[dict]) -> None:
        self.rows_encrypted = pii.encrypt(json.dumps(rows, ensure_ascii=False))
        self.total = len(rows)

    def get_rows(self) -> list[dict]:
        return json.loads(pii.decrypt(self.rows_encrypted)) if self.rows_encrypted else []


@pghistory.track(pghistory.InsertEvent(), meta=event_indexes("customer_export_trail"))
class CustomerExport(TenantOwned):
    """A download of the customer list: who took which customers out of the system."""

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "XLSX"

    name = models.CharField(_("file name"), max_length=200)
    file_format = models.CharField(_("format"), max_length=8, choices=Format.choices)
    filters = models.CharField(_("filters"), max_length=500, blank=True)
    rows = models.PositiveIntegerField(_("customers"))
    exported_by = models.ForeignKey(
        Staff, on_delete=models.PROTECT, related_name="+", verbose_name=_("exported by")
    )
    exported_at = models.DateTimeField(_("exported at"), default=timezone.now)

    class Meta:
        verbose_name = _("customer list export")
        verbose_name_plural = _("customer list exports")

    def __str__(self) -> str:
        return self.name
