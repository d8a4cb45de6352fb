"""Imports of customers and holdings: upload and check, apply as a background job, write.

An import is all or nothing. The upload stores the file's rows (encrypted) on an
``ImportJob`` and the preview shows every bad row; applying re-checks the file and hands
it to a Celery task, which checks it once more, prepares the rows while reporting progress
on the job row, then writes everything in one transaction. A failure leaves no customer
and no holding behind, only the job marked as failed with the reason.
"""

from __future__ import annotations

import logging

import pghistory
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from crm.domain import DomainError
from crm.events.services import events_record
from crm.sheets import MAX_FILE_BYTES, SheetError, read_rows
from crm.tenancy.context import require_tenant
from crm.tenancy.models import Staff
from customers.api.upserts import HoldingValues, holdings_upsert
from customers.imports.checks import CHECKS, COLUMNS, ImportCheck
from customers.imports.models import ImportJob
from customers.models import Assignment, Customer

logger = logging.getLogger(__name__)

PROGRESS_BATCH = 500
WRITE_BATCH = 1000


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
def import_job_upload(*, staff: Staff, kind: str, uploaded_file: UploadedFile) -> ImportJob:
    """Read an uploaded file into a draft import of the staff member; nothing is applied yet."""
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
        Q(created_by=staff) | Q(created_at__lt=timezone.now() - ImportJob.DRAFT_LIFETIME)
    ).delete()
    job = ImportJob(
        tenant=require_tenant(), kind=kind, name=uploaded_file.name[:200], created_by=staff
    )
    job.set_rows(sheet.rows)
    job.save()
    return job


def import_job_check(*, job: ImportJob, staff: Staff) -> ImportCheck:
    """Check every row of the job's file as ``staff`` would import it."""
    return CHECKS[job.kind](job.get_rows(), staff=staff)


@transaction.atomic
def import_job_apply(*, job: ImportJob, staff: Staff) -> ImportJob:
    """Start applying a checked file in the background; refuse it if any row is wrong."""
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.status != ImportJob.Status.DRAFT:
        raise DomainError(_("This file has already been applied."))
    if job.is_expired_draft:
        raise DomainError(_("This upload is more than a day old. Upload the file again."))
    check = import_job_check(job=job, staff=staff)
    if not check.ok:
        raise ImportRefused(check)
    job.status = ImportJob.Status.PENDING
    job.save(update_fields=["status"])

    from customers.tasks import import_apply  # the task module imports this one

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
        check = import_job_check(job=job, staff=job.created_by)
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


def _prepare_customers(records: list[dict], *, job: ImportJob) -> list[Customer]:
    customers = []
    for record in records:
        customer = Customer(
            tenant_id=job.tenant_id,
            number=record["number"],
            kind=record["kind"],
            name=record["name"],
            status=record["status"],
            gender=record["gender"],
            birth_date=record["birth_date"],
            occupation=record["occupation"],
            address=record["address"],
            industry=record["industry"],
            legal_representative=record["legal_representative"],
            home_branch_id=record["home_branch_id"],
            relationship_manager_id=record["relationship_manager_id"],
        )
        customer.set_id_number(record["id_type"], record["id_number"])
        customer.set_phone(record["phone"])
        customers.append(customer)
    return customers


def _write_customers(customers: list[Customer], *, job: ImportJob) -> tuple[int, int]:
    created = Customer.objects.bulk_create(customers, batch_size=WRITE_BATCH)
    now = timezone.now()
    reason = _("Imported from %(file)s") % {"file": job.name}
    Assignment.objects.bulk_create(
        (
            Assignment(
                tenant_id=job.tenant_id,
                customer_id=customer.pk,
                kind=Assignment.Kind.ASSIGN,
                relationship_manager_id=customer.relationship_manager_id,
                reason=reason[:300],
                changed_by_id=job.created_by_id,
                changed_at=now,
            )
            for customer in created
            if customer.relationship_manager_id
        ),
        batch_size=WRITE_BATCH,
    )
    events_record(
        "customers.customer.created",
        subject_ids=[customer.pk for customer in created],
        actor_id=job.created_by_id,
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
