"""A record of each run of a background job, per tenant and period."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from crm.jobs.names import job_name
from crm.tenancy.managers import ScopedManager


class JobRunManager(ScopedManager["JobRun"]):
    def claim(
        self, *, job: str, tenant_id: int | None, period: str, claimant: str = ""
    ) -> int | None:
        """Start a run of ``job`` for ``tenant_id`` and ``period``; None if it needs none.

        The first claim inserts the row; any later one finds it and does nothing, unless
        the earlier run failed, died without finishing (a run that beats its heart is dead
        once its last beat is older than ``JOB_HEARTBEAT_TIMEOUT``; one that never beats,
        after the task time limit), or was claimed by the same
        task message (``claimant``: a task redelivered after its worker was lost, or retried
        after an error that could not even be recorded), in which case it takes the row
        over. Written so that two workers racing for the same run cannot both win.
        """
        table = self.model._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                INSERT INTO {table}
                    (job, tenant_id, period, status, started_at, rows_touched, error, attempts,
                     claimed_by)
                VALUES (%s, %s, %s, 'running', now(), 0, '', 1, %s)
                ON CONFLICT ON CONSTRAINT job_run_once_per_period DO NOTHING
                RETURNING id
                """,  # noqa: S608 (the table name is ours, values are parameters)
                [job, tenant_id, period, claimant],
            )
            row: tuple[int] | None = cursor.fetchone()
            if row is not None:
                return row[0]
            stale_before, silent_before = stale_thresholds()
            cursor.execute(
                f"""
                UPDATE {table}
                   SET status = 'running', started_at = now(), finished_at = NULL,
                       heartbeat_at = NULL, error = '', rows_touched = 0,
                       attempts = attempts + 1,
                       claimed_by = %s
                 WHERE job = %s AND tenant_id IS NOT DISTINCT FROM %s AND period = %s
                   AND (status = 'failed'
                        OR (status = 'running'
                            AND ((heartbeat_at IS NULL AND started_at < %s)
                                 OR heartbeat_at < %s
                                 OR (claimed_by <> '' AND claimed_by = %s))))
                RETURNING id
                """,  # noqa: S608
                [claimant, job, tenant_id, period, stale_before, silent_before, claimant],
            )
            row = cursor.fetchone()
        return row[0] if row is not None else None

    def mark_stale(self) -> int:
        """Record runs whose worker died as failed; return how many there were.

        Periodic jobs call this before their own run, so that a run killed mid-way shows
        as failed in admin (and can be taken over) instead of running forever.
        """
        stale_before, silent_before = stale_thresholds()
        return (
            self.filter(status=JobRun.Status.RUNNING)
            .filter(
                models.Q(heartbeat_at__isnull=True, started_at__lt=stale_before)
                | models.Q(heartbeat_at__lt=silent_before)
            )
            .update(
                status=JobRun.Status.FAILED,
                finished_at=timezone.now(),
                error="Stale: the worker stopped beating its heart.",
            )
        )


def stale_thresholds() -> tuple[datetime, datetime]:
    """Before these times a running run is dead: (never beat, started; last beat)."""
    now = timezone.now()
    return (
        now - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60),
        now - timedelta(seconds=settings.JOB_HEARTBEAT_TIMEOUT),
    )


class JobRun(models.Model):
    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    job = models.CharField(_("job"), max_length=100)
    tenant = models.ForeignKey(
        "tenancy.Tenant",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("tenant"),
    )
    period = models.CharField(_("period"), max_length=32)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices)
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("last heartbeat"), null=True, blank=True)
    rows_touched = models.BigIntegerField(_("rows touched"), default=0)
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=1)
    claimed_by = models.CharField(_("claimed by task"), max_length=64, blank=True, editable=False)

    objects = JobRunManager()

    class Meta:
        verbose_name = _("job run")
        verbose_name_plural = _("job runs")
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["job", "tenant", "period"],
                nulls_distinct=False,
                name="job_run_once_per_period",
            )
        ]
        indexes = [models.Index(fields=["tenant", "-started_at"], name="job_run_tenant_started")]

    def __str__(self) -> str:
        return f"{self.name} {self.period}"

    @property
    def name(self) -> StrOrPromise:
        """The job's name in the reader's language (its code when no app named it)."""
        return job_name(self.job)

    @property
    def duration(self) -> timedelta | None:
        return self.finished_at - self.started_at if self.finished_at else None
