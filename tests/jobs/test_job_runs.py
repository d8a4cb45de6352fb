"""Job runs: once per tenant and period, failures recorded and retried, tenants kept apart."""

import secrets
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone
from oauth2_provider.models import get_access_token_model

from crm.jobs.models import JobRun
from crm.jobs.runs import run_once
from crm.jobs.tasks import clear_expired_tokens
from crm.tenancy.context import NoTenantError, no_tenant, platform_wide, tenant_context

PERIOD = "2026-01-01"


class Work:
    """A job body that counts its calls and returns a fixed number of rows touched."""

    def __init__(self, rows: int = 0):
        self.rows = rows
        self.calls = 0

    def __call__(self) -> int:
        self.calls += 1
        return self.rows


def test_run_once_records_a_succeeded_run_and_does_not_repeat_it(bank_a):
    work = Work(rows=7)
    with bank_a.scope():
        run = run_once(job="test.count", period=PERIOD, work=work)

        assert run is not None
        assert run.status == JobRun.Status.SUCCEEDED
        assert run.tenant_id == bank_a.tenant.pk
        assert run.rows_touched == 7
        assert run.attempts == 1
        assert run.error == ""
        assert run.finished_at is not None
        assert run.finished_at >= run.started_at
        assert work.calls == 1

        again = run_once(job="test.count", period=PERIOD, work=work)

        assert again is None
        assert work.calls == 1, "the work ran again for a period already done"
        runs = list(JobRun.objects.filter(job="test.count", period=PERIOD))
        assert [r.pk for r in runs] == [run.pk]
        assert runs[0].status == JobRun.Status.SUCCEEDED
        assert runs[0].attempts == 1
        assert runs[0].finished_at == run.finished_at

        # Another period is another run.
        next_day = run_once(job="test.count", period="2026-01-02", work=work)
        assert next_day is not None and next_day.pk != run.pk
        assert work.calls == 2


def test_failed_run_is_recorded_reraised_and_run_again_next_time(bank_a):
    session_key = secrets.token_hex(16)

    def failing_work() -> int:
        Session.objects.create(session_key=session_key, session_data="", expire_date=timezone.now())
        raise ValueError("core banking system unreachable")

    with bank_a.scope():
        with pytest.raises(ValueError, match="core banking system unreachable"):
            run_once(job="test.flaky", period=PERIOD, work=failing_work)

        failed = JobRun.objects.get(job="test.flaky", period=PERIOD)
        assert failed.status == JobRun.Status.FAILED
        assert failed.error == "ValueError: core banking system unreachable"
        assert failed.finished_at is not None
        assert failed.attempts == 1
        assert failed.rows_touched == 0
        # The work's own writes were rolled back with it; only the run record remains.
        assert not Session.objects.filter(session_key=session_key).exists()

        work = Work(rows=3)
        retried = run_once(job="test.flaky", period=PERIOD, work=work)

        assert work.calls == 1
        assert retried is not None
        assert retried.pk == failed.pk
        assert retried.status == JobRun.Status.SUCCEEDED
        assert retried.attempts == 2
        assert retried.error == ""
        assert retried.rows_touched == 3
        assert JobRun.objects.filter(job="test.flaky", period=PERIOD).count() == 1


def test_run_stuck_in_running_past_the_time_limit_is_taken_over(bank_a):
    now = timezone.now()
    with bank_a.scope():
        stale = JobRun.objects.create(
            job="test.stuck",
            tenant=bank_a.tenant,
            period=PERIOD,
            status=JobRun.Status.RUNNING,
            started_at=now - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 120),
        )
        work = Work(rows=2)

        run = run_once(job="test.stuck", period=PERIOD, work=work)

        assert work.calls == 1
        assert run is not None
        assert run.pk == stale.pk
        assert run.status == JobRun.Status.SUCCEEDED
        assert run.attempts == 2
        assert run.rows_touched == 2
        assert run.started_at > stale.started_at
        assert JobRun.objects.filter(job="test.stuck", period=PERIOD).count() == 1


def test_recent_running_run_is_left_to_its_worker(bank_a):
    with bank_a.scope():
        running = JobRun.objects.create(
            job="test.busy",
            tenant=bank_a.tenant,
            period=PERIOD,
            status=JobRun.Status.RUNNING,
            started_at=timezone.now() - timedelta(minutes=5),
        )
        work = Work(rows=2)

        assert run_once(job="test.busy", period=PERIOD, work=work) is None

        assert work.calls == 0
        running.refresh_from_db()
        assert running.status == JobRun.Status.RUNNING
        assert running.attempts == 1
        assert running.finished_at is None


def test_each_tenant_sees_only_its_own_job_runs(bank_a, bank_b):
    with bank_a.scope():
        run_a = run_once(job="test.isolation", period=PERIOD, work=Work(1))
    with bank_b.scope():
        run_b = run_once(job="test.isolation", period=PERIOD, work=Work(2))
    with platform_wide():
        run_platform = run_once(job="test.isolation", period=PERIOD, work=Work(3))

    # One job and period, three separate runs: per tenant, and one platform-wide.
    assert len({run_a.pk, run_b.pk, run_platform.pk}) == 3
    assert run_platform.tenant_id is None

    with bank_a.scope():
        assert list(JobRun.objects.values_list("pk", flat=True)) == [run_a.pk]
        # Row-level security alone (a manager without the tenant filter) agrees.
        assert list(JobRun._base_manager.values_list("pk", flat=True)) == [run_a.pk]
        assert JobRun._base_manager.filter(pk=run_b.pk).update(status="failed") == 0
    with tenant_context(bank_b.tenant):
        assert list(JobRun.objects.values_list("pk", flat=True)) == [run_b.pk]
    with platform_wide():
        assert JobRun.objects.filter(job="test.isolation").count() == 3
        assert JobRun.objects.get(pk=run_b.pk).status == JobRun.Status.SUCCEEDED
    with no_tenant(), pytest.raises(NoTenantError):
        list(JobRun.objects.all())


def make_access_token(application, *, expires_in: timedelta):
    with platform_wide():
        return get_access_token_model().objects.create(
            application=application,
            token=secrets.token_urlsafe(24),
            expires=timezone.now() + expires_in,
            scope=application.scope,
        )


@pytest.mark.parametrize("caller", ["tenant", "platform"])
def test_clear_expired_tokens_deletes_only_the_tenants_expired_tokens(bank_a, bank_b, caller):
    expired_a = make_access_token(bank_a.partner, expires_in=timedelta(hours=-1))
    live_a = make_access_token(bank_a.partner, expires_in=timedelta(hours=1))
    expired_b = make_access_token(bank_b.partner, expires_in=timedelta(hours=-1))
    live_b = make_access_token(bank_b.partner, expires_in=timedelta(hours=1))

    with bank_a.scope() if caller == "tenant" else platform_wide():
        deleted = clear_expired_tokens(tenant_id=bank_a.tenant.pk)

    assert deleted == 1
    with platform_wide():
        remaining = set(get_access_token_model().objects.values_list("pk", flat=True))
    assert expired_a.pk not in remaining
    assert {live_a.pk, expired_b.pk, live_b.pk} <= remaining


def test_a_redelivered_task_takes_over_the_run_it_had_claimed(bank_a):
    """A worker lost mid-task: the same message comes back and must not find its run "busy"."""
    with bank_a.scope():
        first = JobRun.objects.claim(
            job="scoring", tenant_id=bank_a.tenant.pk, period="2026-03", claimant="task-42"
        )
        again = JobRun.objects.claim(
            job="scoring", tenant_id=bank_a.tenant.pk, period="2026-03", claimant="task-42"
        )
        other = JobRun.objects.claim(
            job="scoring", tenant_id=bank_a.tenant.pk, period="2026-03", claimant="task-43"
        )
        run = JobRun.objects.get(pk=first)
    assert again == first
    assert other is None
    assert run.attempts == 2 and run.claimed_by == "task-42"
