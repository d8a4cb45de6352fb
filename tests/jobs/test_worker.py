"""The housekeeping job end to end: a real Celery worker on the configured broker.

The broker is whatever the settings name: RabbitMQ when ``CELERY_BROKER_URL`` is set, else
the embedded filesystem transport. Each test run publishes to and consumes from a queue of
its own, so messages left by other runs (or a development worker on the same broker) can
neither be consumed here nor steal this run's messages.
"""

import secrets
from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone
from oauth2_provider.models import get_access_token_model

from crm.jobs.models import JobRun
from crm.jobs.tasks import HOUSEKEEPING, housekeeping, tenant_housekeeping
from crm.tenancy.context import platform_wide
from crm.tenancy.models import Tenant
from tests.celery_worker import wait_for
from tests.factories import TenantFactory

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

PERIOD = "2026-01-01"


def housekeeping_runs() -> list[JobRun]:
    with platform_wide():
        return list(JobRun.objects.filter(job=HOUSEKEEPING, period=PERIOD).order_by("tenant_id"))


def session_runs() -> list[JobRun]:
    with platform_wide():
        return list(JobRun.objects.filter(job=f"{HOUSEKEEPING}.sessions", period=PERIOD))


def make_access_token(application, *, expires_in: timedelta):
    with platform_wide():
        return get_access_token_model().objects.create(
            application=application,
            token=secrets.token_urlsafe(24),
            expires=timezone.now() + expires_in,
            scope=application.scope,
        )


def existing_tokens() -> set[int]:
    with platform_wide():
        return set(get_access_token_model().objects.values_list("pk", flat=True))


def test_housekeeping_fans_out_to_every_tenant_once_per_period(bank_a, bank_b, task_log, worker):
    TenantFactory(code="closed", is_active=False)  # an inactive tenant gets no run
    banks = {bank_a.tenant.pk, bank_b.tenant.pk}
    with platform_wide():
        assert set(Tenant.objects.active().values_list("pk", flat=True)) == banks
    expired_a = make_access_token(bank_a.partner, expires_in=timedelta(hours=-1))
    expired_b = make_access_token(bank_b.partner, expires_in=timedelta(hours=-2))
    live_a = make_access_token(bank_a.partner, expires_in=timedelta(hours=1))
    live_b = make_access_token(bank_b.partner, expires_in=timedelta(hours=1))
    expired_session = Session.objects.create(
        session_key=secrets.token_hex(16),
        session_data="",
        expire_date=timezone.now() - timedelta(days=1),
    )

    housekeeping.delay(period=PERIOD)

    def both_tenants_done():
        runs = housekeeping_runs()
        done = {r.tenant_id for r in runs if r.status == JobRun.Status.SUCCEEDED}
        return runs if done == banks else None

    first = wait_for(both_tenants_done, "a succeeded housekeeping run of each bank", task_log)
    wait_for(
        lambda: len(task_log.runs_of(tenant_housekeeping)) == 2,
        "both tenant tasks to finish",
        task_log,
    )

    assert [r.tenant_id for r in first] == sorted(banks)
    assert all(r.attempts == 1 and r.rows_touched == 1 and r.error == "" for r in first)
    assert {kw["tenant_id"] for kw in task_log.runs_of(tenant_housekeeping)} == banks
    remaining = existing_tokens()
    assert expired_a.pk not in remaining
    assert expired_b.pk not in remaining
    assert {live_a.pk, live_b.pk} <= remaining
    sessions_run = session_runs()
    assert len(sessions_run) == 1
    assert sessions_run[0].status == JobRun.Status.SUCCEEDED
    assert sessions_run[0].tenant_id is None
    assert not Session.objects.filter(pk=expired_session.pk).exists()

    # The same period again: the fan-out happens, but no run is redone or recorded twice.
    expired_later = make_access_token(bank_a.partner, expires_in=timedelta(minutes=-1))
    housekeeping.delay(period=PERIOD)

    wait_for(
        lambda: (
            len(task_log.runs_of(housekeeping)) == 2
            and len(task_log.runs_of(tenant_housekeeping)) == 4
        ),
        "the second fan-out and its tenant tasks to finish",
        task_log,
    )

    assert {kw["tenant_id"] for kw in task_log.runs_of(tenant_housekeeping)[2:]} == banks
    second = housekeeping_runs()
    assert [(r.pk, r.tenant_id) for r in second] == [(r.pk, r.tenant_id) for r in first]
    for before, after in zip(first, second, strict=True):
        assert after.status == JobRun.Status.SUCCEEDED
        assert after.attempts == 1
        assert after.started_at == before.started_at
        assert after.finished_at == before.finished_at
    assert expired_later.pk in existing_tokens(), "the tenant's work ran again for the period"
    assert [(r.pk, r.attempts) for r in session_runs()] == [(sessions_run[0].pk, 1)]
    assert not task_log.failures
