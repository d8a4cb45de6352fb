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

    ENDED = (Status.SUCCEEDED, Status.FAILED)
    # A checked file waits this long to be applied; after that its rows are deleted.
    DRAFT_LIFETIME = timedelta(days=1)

    kind = models.CharField(_("import of"), max_length=16, choices=Kind.choices)
    name = models.CharField(_("file name"), max_length=200)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT
    )
    rows_encrypted = models.TextField(blank=True, editable=False)
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

    # Set by import_job_upload, not stored: the file's lines skipped as examples or notes.
    skipped_notes: int = 0

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
