"""Run a job once per tenant and period, and record the run."""

import logging
from collections.abc import Callable
from contextvars import ContextVar

from celery import current_task
from django.db import transaction
from django.utils import timezone

from crm.jobs.models import JobRun
from crm.tenancy.context import current_tenant_id

logger = logging.getLogger(__name__)

_current_run: ContextVar[int | None] = ContextVar("crm_current_job_run", default=None)


def heartbeat() -> None:
    """Tell other workers that the current run is alive (between its transactions).

    Only a committed beat is seen by others, so work that beats runs with ``atomic=False``
    and calls this after each of its own transactions (``crm.notifications.claims`` does).
    """
    run_id = _current_run.get()
    if run_id is not None:
        JobRun.objects.filter(pk=run_id).update(heartbeat_at=timezone.now())


def run_once(
    *, job: str, period: str, work: Callable[[], int], atomic: bool = True
) -> JobRun | None:
    """Run ``work`` for the current tenant (or platform-wide) unless this period already ran.

    ``work`` runs in one transaction and returns the number of rows it touched. The run
    row is committed before the work starts and updated after it, so a failure is recorded
    with its error even though the work itself is rolled back. Returns the finished run,
    or None when the period had already been done (or is being done by another worker).

    With ``atomic=False`` the work commits in steps of its own and beats its heart between
    them (``heartbeat``): what it committed stays when it fails, and a run whose worker was
    killed is recognised by its silent heart long before the task time limit.
    """
    tenant_id = current_tenant_id()
    # current_task is a proxy: falsy outside a worker, the running task inside one.
    claimant = (current_task.request.id or "") if current_task else ""
    run_id = JobRun.objects.claim(job=job, tenant_id=tenant_id, period=period, claimant=claimant)
    if run_id is None:
        logger.info("job %s for period %s already done; skipped", job, period)
        return None
    token = _current_run.set(run_id)
    try:
        if atomic:
            with transaction.atomic():
                rows_touched = int(work() or 0)
        else:
            rows_touched = int(work() or 0)
    except Exception as exc:
        JobRun.objects.filter(pk=run_id).update(
            status=JobRun.Status.FAILED,
            finished_at=timezone.now(),
            error=f"{type(exc).__name__}: {exc}"[:4000],
        )
        raise
    finally:
        _current_run.reset(token)
    JobRun.objects.filter(pk=run_id).update(
        status=JobRun.Status.SUCCEEDED, finished_at=timezone.now(), rows_touched=rows_touched
    )
    logger.info("job %s for period %s touched %d rows", job, period, rows_touched)
    return JobRun.objects.get(pk=run_id)
