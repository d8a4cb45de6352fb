"""Imports of customers and holdings: upload and check, then apply as a background job.

An import is all or nothing. The upload stores the file's rows (encrypted) on an
``ImportJob`` and the preview shows every bad row; applying re-checks the file and hands
it to a Celery task (``customers.tasks.import_apply``), which runs ``intake.jobs``.
"""

from __future__ import annotations

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from crm.domain import DomainError
from crm.sheets import MAX_FILE_BYTES, SheetError, read_rows
from crm.tenancy.context import require_tenant
from crm.tenancy.models import Staff
from customers.intake.checks import COLUMNS, ImportCheck, check_job
from customers.intake.models import ImportJob
from customers.tasks import import_apply


class ImportRefused(DomainError):
    """Applying was refused because rows of the file are wrong; ``check`` lists them."""

    def __init__(self, check: ImportCheck):
        count = len(check.problems)
        super().__init__(
            ngettext(
                "Nothing was imported: %(count)d row has errors. "
                "Correct the file and upload it again.",
                "Nothing was imported: %(count)d rows have errors. "
                "Correct the file and upload it again.",
                count,
            )
            % {"count": count}
        )
        self.check = check


@transaction.atomic
def import_job_upload(*, actor: Staff, kind: str, uploaded_file: UploadedFile) -> ImportJob:
    """Read an uploaded file into a draft import of ``actor``; nothing is applied yet."""
    if uploaded_file.size > MAX_FILE_BYTES:
        raise DomainError(
            _("The file is larger than %(size)d MB.") % {"size": MAX_FILE_BYTES // 2**20},
            field="file",
        )
    content = uploaded_file.read()
    try:
        sheet = read_rows(content, uploaded_file.name, COLUMNS[kind])
    except SheetError as error:
        raise DomainError(error.message, field="file") from error
    # Files checked but never applied are not kept with their rows: one draft per person,
    # and none older than a day in the bank.
    drafts = ImportJob.objects.filter(status=ImportJob.Status.DRAFT)
    drafts.filter(
        Q(created_by=actor) | Q(created_at__lt=timezone.now() - ImportJob.DRAFT_LIFETIME)
    ).delete()
    job = ImportJob(
        tenant=require_tenant(), kind=kind, name=uploaded_file.name[:200], created_by=actor
    )
    job.set_rows(sheet.rows)
    job.save()
    job.skipped_notes = sheet.notes
    return job


def import_job_check(*, job: ImportJob, actor: Staff) -> ImportCheck:
    """Check every row of the job's file as ``actor`` would import it."""
    return check_job(job, actor=actor)


@transaction.atomic
def import_job_apply(*, job: ImportJob, actor: Staff) -> ImportJob:
    """Start applying a checked file in the background; refuse it if any row is wrong."""
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.status != ImportJob.Status.DRAFT:
        raise DomainError(_("This file has already been applied."))
    if job.is_expired_draft:
        raise DomainError(_("This upload is more than a day old. Upload the file again."))
    check = import_job_check(job=job, actor=actor)
    if not check.ok:
        raise ImportRefused(check)
    job.status = ImportJob.Status.PENDING
    job.save(update_fields=["status"])

    import_apply.delay_on_commit(job_id=job.pk, tenant_id=job.tenant_id)
    return job


@transaction.atomic
def import_job_discard(*, job: ImportJob) -> None:
    """Forget a file that was checked but not applied."""
    deleted, _per_model = ImportJob.objects.filter(
        pk=job.pk, status=ImportJob.Status.DRAFT
    ).delete()
    if not deleted:
        raise DomainError(_("This file has already been applied."))
