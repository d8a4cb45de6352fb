"""Imports of customers and holdings: upload, read and check, then apply in the background.

An import is all or nothing. The upload keeps the file (encrypted, in the database) and
hands it to a Celery task (``customers.tasks.import_read``), which reads it in a bounded
child process into the ``ImportJob``'s rows (encrypted); the preview then shows every bad
row. Applying re-checks the file and hands it to another task
(``customers.tasks.import_apply``), which runs ``intake.jobs``.
"""

from __future__ import annotations

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from crm.domain import DomainError
from crm.sheets import MAX_FILE_BYTES, SheetError, file_format
from crm.tenancy.context import require_tenant
from crm.tenancy.models import Staff
from crm.uploads.services import (
    stored_upload_create,
    stored_upload_delete,
    stored_uploads_delete_older,
    too_large_message,
)
from customers.intake.checks import ImportCheck, check_job
from customers.intake.models import IMPORT_UPLOAD_PURPOSE, ImportJob
from customers.tasks import import_apply, import_read


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
    """Keep an uploaded file for a worker to read into a draft import of ``actor``.

    Only what costs nothing is checked here (the size, the first bytes); reading the file
    is the worker's (``intake.jobs.import_job_read``), never the web request's. Nothing is
    applied yet.
    """
    if uploaded_file.size is None or uploaded_file.size > MAX_FILE_BYTES:
        raise DomainError(too_large_message(MAX_FILE_BYTES), field="file")
    name = uploaded_file.name or ""
    try:
        file_format(uploaded_file.read(8), name)
    except SheetError as error:
        raise DomainError(error.message, field="file") from error
    uploaded_file.seek(0)
    _forget_unapplied_files(actor)
    upload = stored_upload_create(
        actor=actor,
        purpose=IMPORT_UPLOAD_PURPOSE,
        uploaded_file=uploaded_file,
        max_bytes=MAX_FILE_BYTES,
    )
    job = ImportJob.objects.create(
        tenant=require_tenant(),
        kind=kind,
        name=name[:200],
        created_by=actor,
        status=ImportJob.Status.READING,
        upload=upload,
    )
    # Messages about the file are written in the language of the person who sent it.
    import_read.delay_on_commit(job_id=job.pk, tenant_id=job.tenant_id, language=get_language())
    return job


def _forget_unapplied_files(actor: Staff) -> None:
    """Files read or checked but never applied are not kept with their rows: one per person,
    and none older than a day in the bank (a file whose reading was lost included)."""
    stale = timezone.now() - ImportJob.DRAFT_LIFETIME
    unapplied = ImportJob.objects.filter(
        status__in=[ImportJob.Status.DRAFT, ImportJob.Status.READING]
    ).filter(Q(created_by=actor) | Q(created_at__lt=stale))
    upload_ids = [pk for pk in unapplied.values_list("upload_id", flat=True) if pk is not None]
    unapplied.delete()
    for upload_id in upload_ids:
        stored_upload_delete(upload_id=upload_id)
    stored_uploads_delete_older(purpose=IMPORT_UPLOAD_PURPOSE, before=stale)


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
    """Forget a file that was checked (or is being read) but not applied."""
    unapplied = ImportJob.objects.filter(
        pk=job.pk, status__in=[ImportJob.Status.DRAFT, ImportJob.Status.READING]
    )
    upload_id = unapplied.values_list("upload_id", flat=True).first()
    deleted, _per_model = unapplied.delete()
    if not deleted:
        raise DomainError(_("This file has already been applied."))
    stored_upload_delete(upload_id=upload_id)
