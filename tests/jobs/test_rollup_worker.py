"""The nightly channel roll-up end to end: a real Celery worker on the configured broker.

The queue set-up and the worker are tests/celery_worker.py's: a fresh queue of this run's
own on whatever broker the settings name (RabbitMQ in CI, else the embedded filesystem
transport), and a solo worker thread with its own database connection.
"""

import pytest

from channels.models import DailyChannelRollup, DailyOutletRollup, DailyTierPopulation
from channels.rollup import JOB
from channels.tasks import rollup_tenant_day, rollup_yesterday
from crm.jobs.models import JobRun
from crm.tenancy.context import platform_wide
from tests.celery_worker import wait_for
from tests.channels.analytics_data import DAY, TRANSACTION, at, make_contacts
from tests.factories import TenantFactory

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

PERIOD = DAY.isoformat()


def rollup_runs() -> list[JobRun]:
    with platform_wide():
        return list(JobRun.objects.filter(job=JOB, period=PERIOD).order_by("tenant_id"))


def rollup_rows() -> list[tuple]:
    """Every roll-up row of the day, of every bank, with its primary key."""
    with platform_wide():
        return [
            *DailyChannelRollup.objects.filter(day=DAY).order_by("pk").values_list(),
            *DailyOutletRollup.objects.filter(day=DAY).order_by("pk").values_list(),
            *DailyTierPopulation.objects.filter(day=DAY).order_by("pk").values_list(),
        ]


def test_nightly_rollup_fans_out_once_per_bank_and_day(bank_a, bank_b, task_log, worker):
    TenantFactory(code="closed", is_active=False)  # an inactive bank gets no run
    contacts_a = make_contacts(bank_a)
    make_contacts(bank_b)
    banks = {bank_a.tenant.pk, bank_b.tenant.pk}

    rollup_yesterday.delay(day=PERIOD)

    def both_banks_done():
        runs = rollup_runs()
        done = {r.tenant_id for r in runs if r.status == JobRun.Status.SUCCEEDED}
        return runs if done == banks else None

    first = wait_for(both_banks_done, "a succeeded roll-up of each bank", task_log)
    wait_for(
        lambda: len(task_log.runs_of(rollup_tenant_day)) == 2,
        "both tenant tasks to finish",
        task_log,
    )
    rows = rollup_rows()
    with platform_wide():
        per_bank = {
            tenant_id: DailyChannelRollup.objects.filter(tenant_id=tenant_id, day=DAY).count()
            for tenant_id in banks
        }
    assert per_bank == {bank_a.tenant.pk: 7, bank_b.tenant.pk: 7}
    assert [r.tenant_id for r in first] == sorted(banks)
    assert all(r.attempts == 1 and r.error == "" and r.rows_touched == 13 for r in first)

    # The same day again, after a late contact: the fan-out happens, but no day is redone
    # or recorded twice, and the rows are those of the first run.
    contacts_a.log(contacts_a.wang, "POS", TRANSACTION, at(18), "88.00")
    rollup_yesterday.delay(day=PERIOD)

    wait_for(
        lambda: (
            len(task_log.runs_of(rollup_yesterday)) == 2
            and len(task_log.runs_of(rollup_tenant_day)) == 4
        ),
        "the second fan-out and its tenant tasks to finish",
        task_log,
    )

    assert {kw["tenant_id"] for kw in task_log.runs_of(rollup_tenant_day)[2:]} == banks
    assert rollup_rows() == rows
    second = rollup_runs()
    assert [(r.pk, r.tenant_id) for r in second] == [(r.pk, r.tenant_id) for r in first]
    for before, after in zip(first, second, strict=True):
        assert after.status == JobRun.Status.SUCCEEDED
        assert after.attempts == 1
        assert after.started_at == before.started_at
        assert after.finished_at == before.finished_at
    assert not task_log.failures
