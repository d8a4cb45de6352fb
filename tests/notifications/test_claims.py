"""The due-work claim helper: batches under SKIP LOCKED, the unique-key backstop, heartbeats."""

import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from crm.approvals.models import Proposal
from crm.approvals.services import _expire, proposals_expire
from crm.jobs.models import JobRun
from crm.jobs.runs import run_once
from crm.notifications.claims import StillDue, claim_due
from crm.notifications.models import Notification
from crm.notifications.services import notification_send
from crm.tenancy.roles import Role

pytestmark = pytest.mark.django_db(transaction=True)


def overdue_proposals(bank, count: int) -> list[int]:
    with bank.scope():
        return [
            Proposal.objects.create(
                tenant=bank.tenant,
                action="customers.large_handover",
                payload={},
                summary=f"proposal {n}",
                maker=bank[Role.BRANCH_MANAGER],
                maker_branch=bank.branch,
                expires_at=timezone.now() - timedelta(minutes=1),
            ).pk
            for n in range(count)
        ]


def expiry_notifications(bank) -> list[str]:
    with bank.scope():
        return list(
            Notification.objects.filter(kind="approvals.expired").values_list("key", flat=True)
        )


def test_two_concurrent_claimers_notify_each_due_row_exactly_once(bank_a):
    ids = overdue_proposals(bank_a, 12)
    start = threading.Barrier(2)
    handled: dict[str, list[int]] = {"first": [], "second": []}
    errors: list[BaseException] = []

    def claimer(name: str) -> None:
        def process(proposal):
            handled[name].append(proposal.pk)
            time.sleep(0.05)  # hold the batch's locks while the other claimer looks
            _expire(proposal)

        try:
            with bank_a.scope():
                start.wait()
                claim_due(Proposal.objects.overdue(), process=process, batch_size=2)
        except BaseException as error:  # reported to the test's thread below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=claimer, args=(name,)) for name in handled]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert handled["first"] and handled["second"], "both claimers took a share of the work"
    assert sorted(handled["first"] + handled["second"]) == sorted(ids)  # nobody twice
    keys = expiry_notifications(bank_a)
    assert sorted(keys) == sorted(f"approvals.proposal:{pk}:expired" for pk in ids)
    with bank_a.scope():
        assert not Proposal.objects.overdue().exists()


def test_the_unique_key_keeps_a_replayed_notification_single(bank_a):
    """A row processed again after its commit (an acknowledgement lost) notifies nobody twice."""
    (pk,) = overdue_proposals(bank_a, 1)
    with bank_a.scope():
        assert proposals_expire() == 1
        Proposal.objects.filter(pk=pk).update(status=Proposal.Status.PENDING)  # as if replayed
        assert proposals_expire() == 1
        notification_send(
            recipient_id=bank_a[Role.BRANCH_MANAGER].pk,
            kind="approvals.expired",
            key=f"approvals.proposal:{pk}:expired",
            params={"summary": "again"},
        )
    assert expiry_notifications(bank_a) == [f"approvals.proposal:{pk}:expired"]


def test_a_process_that_leaves_its_row_due_is_refused_and_rolled_back(bank_a):
    overdue_proposals(bank_a, 1)

    def notify_only(proposal):
        notification_send(
            recipient_id=proposal.maker_id,
            kind="approvals.expired",
            key=f"forgot:{proposal.pk}",
            params={"summary": proposal.summary},
        )

    with bank_a.scope(), pytest.raises(StillDue):
        claim_due(Proposal.objects.overdue(), process=notify_only)
    with bank_a.scope():
        assert not Notification.objects.filter(key__startswith="forgot:").exists()


def test_claiming_inside_a_transaction_is_refused(bank_a):
    from django.db import transaction

    with bank_a.scope(), transaction.atomic(), pytest.raises(RuntimeError):
        claim_due(Proposal.objects.overdue(), process=_expire)


def test_a_batched_run_beats_its_heart_and_a_silent_run_is_marked_stale(bank_a, settings):
    overdue_proposals(bank_a, 3)
    with bank_a.scope():
        run = run_once(
            job="test.expire",
            period="p1",
            work=lambda: claim_due(Proposal.objects.overdue(), process=_expire, batch_size=1),
            atomic=False,
        )
        assert run.status == JobRun.Status.SUCCEEDED
        assert run.rows_touched == 3
        assert run.heartbeat_at is not None

        silent = JobRun.objects.create(
            job="test.expire",
            tenant=bank_a.tenant,
            period="p2",
            status=JobRun.Status.RUNNING,
            started_at=timezone.now() - timedelta(minutes=20),
            heartbeat_at=timezone.now() - timedelta(seconds=settings.JOB_HEARTBEAT_TIMEOUT + 5),
        )
        beating = JobRun.objects.create(
            job="test.expire",
            tenant=bank_a.tenant,
            period="p3",
            status=JobRun.Status.RUNNING,
            started_at=timezone.now() - timedelta(minutes=20),
            heartbeat_at=timezone.now(),
        )

        assert JobRun.objects.mark_stale() == 1

        silent.refresh_from_db()
        beating.refresh_from_db()
        assert silent.status == JobRun.Status.FAILED
        assert beating.status == JobRun.Status.RUNNING
        # The next run of a silent period takes it over; a beating one is left alone.
        assert run_once(job="test.expire", period="p3", work=lambda: 0) is None
        JobRun.objects.filter(pk=silent.pk).update(status=JobRun.Status.RUNNING)
        taken = run_once(job="test.expire", period="p2", work=lambda: 0, atomic=False)
        assert taken is not None and taken.pk == silent.pk and taken.attempts == 2
