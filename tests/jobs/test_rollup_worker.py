"""The nightly channel roll-up end to end: a real Celery worker on the configured broker.

The queue set-up and the worker are those of tests/jobs/test_worker.py: a fresh queue of
this run's own on whatever broker the settings name (RabbitMQ in CI, else the embedded
filesystem transport), and a solo worker thread with its own database connection.
"""

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest
from celery import signals
from celery.contrib.testing.worker import start_worker
from kombu import Queue

from channels.models import DailyChannelRollup, DailyOutletRollup, DailyTierPopulation
from channels.rollup import JOB
from channels.tasks import rollup_tenant_day, rollup_yesterday
from crm.celery import app
from crm.jobs.models import JobRun
from crm.tenancy.context import platform_wide
from tests.channels.analytics_data import DAY, TRANSACTION, at, make_contacts
from tests.factories import TenantFactory

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

PERIOD = DAY.isoformat()
TIMEOUT = 30


@dataclass
class TaskLog:
    """What the worker finished, recorded from Celery's signals (in the worker's thread)."""

    finished: list[tuple[str, str, dict]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def on_postrun(self, sender=None, kwargs=None, state=None, **_):
        with self.lock:
            self.finished.append((sender.name, state, dict(kwargs or {})))

    def on_failure(self, sender=None, exception=None, **_):
        with self.lock:
            self.failures.append(f"{sender.name}: {exception!r}")

    def runs_of(self, task) -> list[dict]:
        with self.lock:
            return [kw for name, state, kw in self.finished if name == task.name]


@pytest.fixture
def task_log() -> Iterator[TaskLog]:
    log = TaskLog()
    signals.task_postrun.connect(log.on_postrun, weak=False)
    signals.task_failure.connect(log.on_failure, weak=False)
    yield log
    signals.task_postrun.disconnect(log.on_postrun)
    signals.task_failure.disconnect(log.on_failure)


@pytest.fixture
def worker_queue() -> Iterator[str]:
    """Route every task to a fresh, purged queue for this test; remove it afterwards."""
    name = f"crm-test-rollup-{uuid.uuid4().hex}"
    queues = app.amqp.queues
    consumed_before = list(queues.consume_from)
    saved_conf = {
        key: app.conf[key]
        for key in ("task_default_queue", "task_always_eager", "worker_enable_remote_control")
    }
    # Bound to the default exchange with its own routing key, so no exchange is created.
    queue = queues.add(Queue(name, routing_key=name))
    assert queue.exchange.name == app.amqp.default_exchange.name
    app.conf.update(
        task_default_queue=name,
        task_always_eager=False,
        # No pidbox queue: on the filesystem transport its binding would outlive the run.
        worker_enable_remote_control=False,
    )
    with app.connection_for_write() as connection:
        bound = queue.bind(connection.default_channel)
        bound.declare()
        bound.purge()
    try:
        yield name
    finally:
        with app.connection_for_write() as connection:
            # Also unbinds it (on the filesystem transport: from control/<exchange>.exchange).
            queue.bind(connection.default_channel).delete()
        app.conf.update(saved_conf)
        queues.select(consumed_before)
        queues.consume_from.pop(name, None)
        queues.pop(name, None)


@pytest.fixture
def worker(transactional_db, worker_queue, task_log):
    """A worker thread of its own (and so a database connection of its own) on the queue."""
    with start_worker(
        app,
        pool="solo",
        concurrency=1,
        perform_ping_check=False,
        queues=[worker_queue],
        # The plain drain loop, as the filesystem transport always uses (see test_worker.py).
        use_eventloop=False,
        shutdown_timeout=30,
    ) as running:
        yield running


def wait_for(condition: Callable[[], object], what: str, task_log: TaskLog) -> object:
    deadline = time.monotonic() + TIMEOUT
    while True:
        if task_log.failures:
            pytest.fail(f"a task failed while waiting for {what}: {task_log.failures}")
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            pytest.fail(
                f"timed out after {TIMEOUT}s waiting for {what}; "
                f"tasks finished: {[(n, s) for n, s, _ in task_log.finished]}"
            )
        time.sleep(0.2)


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
