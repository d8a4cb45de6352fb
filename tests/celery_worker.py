"""A real Celery worker for the tests whose point is the job: on the configured broker.

The broker is whatever the settings name: RabbitMQ when ``CELERY_BROKER_URL`` is set, else
the embedded filesystem transport. Each test publishes to and consumes from a queue of
its own, so messages left by other runs (or a development worker on the same broker) can
neither be consumed here nor steal this run's messages. The fixtures are registered for
``tests/jobs`` by its conftest.
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

from crm.celery import app

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
    name = f"crm-test-{uuid.uuid4().hex}"
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
        # The plain drain loop, as the filesystem transport always uses. With RabbitMQ the
        # event loop of a solo worker sat up to 10 s (kombu's longest poll) on the tenant
        # tasks its own task had just enqueued, and as long again on shutdown.
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
