"""Run a job once per tenant and period, and record the run."""

import logging
from collections.abc import Callable

from celery import current_task
from django.db import transaction
from django.utils import timezone

from crm.jobs.models import JobRun
from crm.tenancy.context import current_tenant_id

logger = logging.getLogger(__name__)


def run_once(*, job: str, period: str, work: Callable[[], int]) -> JobRun | None:
    """Run ``work`` for the current tenant (or platform-wide) unless this period already ran.

    ``work`` runs in one transaction and returns the number of rows it touched. The run
    row is committed before the work starts and updated after it, so a failure is recorded
    with its error even though the work itself is rolled back. Returns the finished run,
    or None when the period had already been done (or is being done by another worker).
    """
    tenant_id = current_tenant_id()
    # current_task is a proxy: falsy outside a worker, the running task inside one.
    claimant = (current_task.request.id or "") if current_task else ""
    run_id = JobRun.objects.claim(job=job, tenant_id=tenant_id, period=period, claimant=claimant)
    if run_id is None:
        logger.info("job %s for period %s already done; skipped", job, period)
        return None
    try:
        with transaction.atomic():
            rows_touched = int(work() or 0)
    except Exception as exc:
        JobRun.objects.filter(pk=run_id).update(
            status=JobRun.Status.FAILED,
            finished_at=timezone.now(),
            error=f"{type(exc).__name__}: {exc}"[:4000],
        )
        raise
    JobRun.objects.filter(pk=run_id).update(
        status=JobRun.Status.SUCCEEDED, finished_at=timezone.now(), rows_touched=rows_touched
    )
    logger.info("job %s for period %s touched %d rows", job, period, rows_touched)
    return JobRun.objects.get(pk=run_id)
