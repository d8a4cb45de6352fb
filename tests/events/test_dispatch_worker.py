"""Change events reach subscribers through a real Celery worker, and survive a lost message."""

from datetime import timedelta

import pytest
from django.utils import timezone

from crm.events.models import ChangeEvent
from crm.events.registry import subscribe, unsubscribe
from crm.events.tasks import dispatch_events, sweep_events
from crm.tenancy.context import platform_wide
from crm.tenancy.roles import Role
from customers.services import customer_create
from tests.celery_worker import wait_for
from tests.events.test_outbox import Recorder

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def recorder():
    recorder = Recorder()
    subscribe("tests.worker_recorder", ["customers.customer.created"], recorder)
    yield recorder
    unsubscribe("tests.worker_recorder")


def test_a_commit_enqueues_the_dispatch_and_the_worker_delivers(bank_a, recorder, task_log, worker):
    with bank_a.scope():
        customer = customer_create(
            actor=bank_a[Role.BRANCH_MANAGER],
            number="AAA0950",
            name="AAA新客户",
            kind="individual",
            home_branch=bank_a.branch,
            phone="13900000002",
        )

    wait_for(lambda: recorder.seen, "the subscriber to be handed the event", task_log)

    assert recorder.seen == [("customers.customer.created", customer.pk)]
    with bank_a.scope():
        assert not ChangeEvent.objects.due().exists()


def test_the_sweep_dispatches_events_whose_message_was_lost(
    bank_a, bank_b, recorder, task_log, worker
):
    # Written without the after-commit task, as if the process died right after the commit.
    long_ago = timezone.now() - timedelta(minutes=5)
    for bank in (bank_a, bank_b):
        with bank.scope():
            ChangeEvent.objects.create(
                tenant=bank.tenant,
                kind="customers.customer.created",
                subject_id=bank.customer.pk,
                occurred_at=long_ago,
                next_attempt_at=long_ago,
            )

    sweep_events.delay()

    wait_for(lambda: len(recorder.seen) == 2, "both banks' events to be delivered", task_log)
    wait_for(lambda: len(task_log.runs_of(dispatch_events)) == 2, "both dispatches", task_log)
    assert sorted(recorder.seen) == sorted(
        ("customers.customer.created", bank.customer.pk) for bank in (bank_a, bank_b)
    )
    with platform_wide():
        assert not ChangeEvent.objects.filter(dispatched_at__isnull=True).exists()
