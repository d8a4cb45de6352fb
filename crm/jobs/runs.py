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


def run_once_per_period(
    *, job: str, periods: list[str], work: Callable[[list[str]], dict[str, int]]
) -> list[JobRun]:
    """Run ``work`` once for those of ``periods`` that have not run, recording a run for each.

    For a job that is much cheaper over many periods at once than period by period (a
    backfill). Each period is claimed like ``run_once`` claims it; ``work`` gets the
    claimed periods, runs in one transaction and returns the rows it touched per period.
    A failure marks every claimed run failed, with its error. Returns the finished runs,
    none when every period had been done.
    """
    tenant_id = current_tenant_id()
    claimant = (current_task.request.id or "") if current_task else ""
    claimed: dict[str, int] = {}
    for period in periods:
        run_id = JobRun.objects.claim(
            job=job, tenant_id=tenant_id, period=period, claimant=claimant
        )
        if run_id is not None:
            claimed[period] = run_id
    if not claimed:
        logger.info("job %s for %d periods already done; skipped", job, len(periods))
        return []
    try:
        with transaction.atomic():
            touched = work(list(claimed))
    except Exception as exc:
        JobRun.objects.filter(pk__in=claimed.values()).update(
            status=JobRun.Status.FAILED,
            finished_at=timezone.now(),
            error=f"{type(exc).__name__}: {exc}"[:4000],
        )
        raise
    finished = timezone.now()
    for period, run_id in claimed.items():
        JobRun.objects.filter(pk=run_id).update(
            status=JobRun.Status.SUCCEEDED,
            finished_at=finished,
            rows_touched=int(touched.get(period) or 0),
        )
    logger.info("job %s for %d periods touched %d rows", job, len(claimed), sum(touched.values()))
    return list(JobRun.objects.filter(pk__in=claimed.values()).order_by("period"))
