"""The background jobs of an import: read the uploaded file; later, apply it.

Reading (``customers.tasks.import_read``, sent by ``intake.services.import_job_upload``)
turns the stored file into the job's rows in a bounded child process, then forgets the
file. Applying (``customers.tasks.import_apply``, once ``intake.services.import_job_apply``
has accepted the file) checks again, prepares with progress and writes all at once. A
failure leaves no customer and no holding behind, only the job marked as failed with the
reason.
"""

from __future__ import annotations

import logging

import pghistory
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from crm.sheets import SheetError, read_rows_bounded
from crm.uploads.models import StoredUpload
from crm.uploads.services import stored_upload_content, stored_upload_delete
from customers.api.upserts import HoldingValues, holdings_upsert
from customers.intake.checks import COLUMNS, RECORD_VALUES, check_job
from customers.intake.models import ImportJob
from customers.models import Consent, Customer
from customers.services import consents_record_many, customer_build, customers_create_many

logger = logging.getLogger(__name__)

PROGRESS_BATCH = 500


def import_job_read(*, job_id: int, language: str) -> ImportJob | None:
    """Read the job's stored file into its rows, or fail the job with the reason.

    The file is parsed in a child process held to ``crm.sheets.READ_BOUNDS``: a file built
    to exhaust memory or time fails the job with a message in ``language`` and leaves this
    worker as it was. Either way the stored file is then deleted. Returns None when the job
    was not waiting to be read (a redelivered task, a discarded file).
    """
    job = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.READING).first()
    if job is None or job.upload_id is None:
        logger.info("import job %s is not waiting to be read; skipped", job_id)
        return None
    values: dict[str, object]
    try:
        content = stored_upload_content(upload_id=job.upload_id)
        with translation.override(language):
            sheet = read_rows_bounded(content, job.name, COLUMNS[job.kind])
    except StoredUpload.DoesNotExist:
        logger.warning("import job %s lost its file before it was read", job_id)
        values = _failed(ImportJob.Failure.UNREADABLE, _lost_file_message(language))
    except SheetError as refused:
        logger.info("import job %s: the file was refused: %s", job_id, refused.message)
        values = _failed(ImportJob.Failure.UNREADABLE, refused.message)
    except (OperationalError, InterfaceError):
        raise  # the database, not the file: the task is retried (crm.jobs.tenant_task)
    except Exception as error:
        logger.exception("import job %s: reading the file failed", job_id)
        values = _failed(ImportJob.Failure.ERROR, f"{type(error).__name__}: {error}")
    else:
        job.set_rows(sheet.rows)
        values = {
            "status": ImportJob.Status.DRAFT,
            "rows_encrypted": job.rows_encrypted,
            "total": job.total,
            "skipped_notes": sheet.notes,
        }
    with transaction.atomic():
        ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.READING).update(
            upload=None, **values
        )
        stored_upload_delete(upload_id=job.upload_id)
    return ImportJob.objects.filter(pk=job.pk).first()  # None if discarded meanwhile


def _failed(failure: str, error: str) -> dict[str, object]:
    return {
        "status": ImportJob.Status.FAILED,
        "failure": failure,
        "error": error[:1000],
        "finished_at": timezone.now(),
    }


def _lost_file_message(language: str) -> str:
    with translation.override(language):
        return _("The uploaded file is no longer there. Upload it again.")


def import_job_run(*, job_id: int) -> ImportJob | None:
    """The background job: check again, prepare with progress, write all in one transaction.

    Runs outside a transaction so that progress and the final status are committed apart
    from the writes (which roll back as a whole on failure). Returns None when the job was
    not waiting to start, so a redelivered task does nothing.
    """
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.PENDING).update(
        status=ImportJob.Status.RUNNING, started_at=timezone.now(), processed=0
    )
    if not claimed:
        logger.info("import job %s is not waiting to start; skipped", job_id)
        return None
    job = ImportJob.objects.select_related("created_by").get(pk=job_id)
    try:
        check = check_job(job, actor=job.created_by)
        if not check.ok:
            return _finish(
                job,
                failure=ImportJob.Failure.CHECKS,
                error=f"{len(check.problems)} rows refused, first at line {check.problems[0].line}",
            )
        prepared = []
        for start in range(0, len(check.records), PROGRESS_BATCH):
            batch = check.records[start : start + PROGRESS_BATCH]
            prepared += PREPARE[job.kind](batch, job=job)
            ImportJob.objects.filter(pk=job.pk).update(processed=start + len(batch))
        context = {
            "username": job.created_by.username,
            "staff_id": job.created_by_id,
            "url": reverse("customers:import_preview", args=[job.pk]),
        }
        with pghistory.context(**context), transaction.atomic():
            created, updated = WRITE[job.kind](prepared, job=job)
    except IntegrityError as error:
        logger.warning("import job %s conflicted: %s", job_id, error)
        return _finish(job, failure=ImportJob.Failure.CONFLICT, error=str(error))
    except Exception as error:
        logger.exception("import job %s failed", job_id)
        return _finish(
            job, failure=ImportJob.Failure.ERROR, error=f"{type(error).__name__}: {error}"
        )
    logger.info("import job %s created %d and updated %d rows", job_id, created, updated)
    return _finish(job, created=created, updated=updated)


def _finish(
    job: ImportJob, *, failure: str = "", error: str = "", created: int = 0, updated: int = 0
) -> ImportJob:
    values = {
        "status": ImportJob.Status.FAILED if failure else ImportJob.Status.SUCCEEDED,
        "failure": failure,
        "error": error[:1000],
        "created_rows": created,
        "updated_rows": updated,
        "finished_at": timezone.now(),
        "rows_encrypted": "",  # the file's personal data is not kept once the job has ended
    }
    if not failure:
        values["processed"] = job.total
    ImportJob.objects.filter(pk=job.pk).update(**values)
    job.refresh_from_db()
    return job


# Preparing and writing, per kind of file --------------------------------------------------


def _prepare_customers(
    records: list[dict], *, job: ImportJob
) -> list[tuple[Customer, list[tuple[str, str, bool]]]]:
    # Encrypting and blind-indexing the numbers is the slow part: done batch by batch, with
    # progress, before the one transaction that writes.
    return [
        (customer_build(**{name: record[name] for name in RECORD_VALUES}), record["consents"])
        for record in records
    ]


def _write_customers(
    prepared: list[tuple[Customer, list[tuple[str, str, bool]]]], *, job: ImportJob
) -> tuple[int, int]:
    created = customers_create_many(
        customers=[customer for customer, _consents in prepared],
        actor=job.created_by,
        reason=_("Imported from %(file)s") % {"file": job.name},
    )
    consents_record_many(
        answers=[
            (customer, purpose, channel, granted)
            for customer, consents in prepared
            for purpose, channel, granted in consents
        ],
        source=Consent.Source.IMPORT,
        actor=job.created_by,
    )
    return len(created), 0


def _prepare_holdings(records: list[dict], *, job: ImportJob) -> list[HoldingValues]:
    return [
        HoldingValues(
            account_number=record["account_number"],
            customer_id=record["customer_id"],
            product_id=record["product_id"],
            opened_on=record["opened_on"],
            status=record["status"],
            balance=record["balance"],
        )
        for record in records
    ]


def _write_holdings(holdings: list[HoldingValues], *, job: ImportJob) -> tuple[int, int]:
    counts = holdings_upsert(holdings=holdings)  # also recomputes the holders' AUM
    return counts.created, counts.updated


PREPARE = {ImportJob.Kind.CUSTOMERS: _prepare_customers, ImportJob.Kind.HOLDINGS: _prepare_holdings}
WRITE = {ImportJob.Kind.CUSTOMERS: _write_customers, ImportJob.Kind.HOLDINGS: _write_holdings}
