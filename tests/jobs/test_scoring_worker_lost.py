"""A scoring run whose worker is killed half-way: a real ``celery worker`` process on the
configured broker, killed with SIGKILL while its scoring statement waits on a customer row
this test holds locked.

The month's scores, tiers and tier changes are written in one transaction, so the kill
leaves the tiers of before and no score of the month; the run is then done again and
ends with the right tiers. On RabbitMQ the broker delivers the message again (the tasks
ack late); the embedded broker deletes a message when it is fetched, so there recovery
comes from the database: the next enqueue (the next day's roll-up) takes the dead run over.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import date, timedelta
from decimal import Decimal

import psycopg
import pytest
from django.conf import settings
from django.db import connection
from django.utils import timezone

from crm.jobs.models import JobRun
from crm.tenancy.context import platform_wide
from crm.tenancy.roles import Role
from customers.models import Customer
from marketing.models import Contribution, CustomerValue, ScoringRun, TierChange, TierRuleSet
from marketing.services import JOB, scoring_rerun_request, scoring_run_once
from marketing.tasks import score_tenant_month
from tests.factories.customers import CustomerFactory, HoldingFactory

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]

MAY, JUNE = date(2026, 5, 1), date(2026, 6, 1)
TIMEOUT = 60
REDELIVERS = settings.CELERY_BROKER_URL.startswith(("amqp", "pyamqp"))


def owner_connection(*, autocommit: bool = False) -> psycopg.Connection:
    """A connection of the tables' owner to the test database, apart from Django's."""
    owner = settings.DATABASE_OWNER
    return psycopg.connect(
        host=owner["HOST"] or None,
        port=owner["PORT"] or None,
        user=owner["USER"],
        password=owner["PASSWORD"] or None,
        dbname=connection.settings_dict["NAME"],
        autocommit=autocommit,
    )


def start_worker(queue: str, log_path) -> subprocess.Popen:
    """A worker process of its own on this test's queue, logging in as the runtime role
    to the test database (its owner URL names the test database)."""
    owner = settings.DATABASE_OWNER
    url = (
        f"postgres://{owner['USER']}:{owner['PASSWORD'] or ''}@{owner['HOST'] or '127.0.0.1'}:"
        f"{owner['PORT'] or 5432}/{connection.settings_dict['NAME']}"
    )
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_SETTINGS_MODULE": "crm.settings.test",
        "PYTHONUNBUFFERED": "1",  # its log is read while it runs, and it is killed
    }
    return subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
        [
            *(sys.executable, "-m", "celery", "-A", "crm", "worker"),
            *("--pool", "solo", "--concurrency", "1", "--queues", queue),
            # A name of its own: two workers of one name share a remote-control queue,
            # which RabbitMQ gives to one of them only.
            *("--hostname", f"{queue}-{uuid.uuid4().hex[:8]}@%h"),
            *("--without-mingle", "--without-gossip", "--loglevel", "INFO"),
        ],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=log_path.open("ab"),
        stderr=subprocess.STDOUT,
    )


def wait_until(condition, what: str, log_path, owner=None, workers=()):
    deadline = time.monotonic() + TIMEOUT
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            sessions = (
                owner.execute(
                    "SELECT usename, state, wait_event_type, wait_event, query"
                    " FROM pg_stat_activity WHERE datname = current_database()"
                ).fetchall()
                if owner is not None
                else []
            )
            for worker in workers:  # celery prints every thread's stack on SIGUSR1
                if worker.poll() is None:
                    worker.send_signal(signal.SIGUSR1)
            time.sleep(1)
            pytest.fail(
                f"timed out waiting for {what}; sessions: {sessions}\n"
                f"worker log:\n{log_path.read_text()}"
            )
        time.sleep(0.2)


def blocked_scoring_backend(owner: psycopg.Connection) -> int | None:
    """The server process of the worker waiting on this test's lock (the only lock held:
    the scoring's statement, whose text pg_stat_activity cuts short, is the one waiting)."""
    row = owner.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
        " AND usename <> current_user AND wait_event_type = 'Lock'"
    ).fetchone()
    return row[0] if row else None


def backend_gone(owner: psycopg.Connection, pid: int) -> bool:
    return owner.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone() is None


def stop(worker: subprocess.Popen) -> None:
    if worker.poll() is None:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def feed(bank, customer, month: date, amount: int) -> None:
    with bank.scope():
        Contribution.objects.update_or_create(
            tenant=bank.tenant,
            customer=customer,
            month=month,
            defaults={
                "deposit_interest": Decimal(amount),
                "loan_interest": Decimal(0),
                "fee_income": Decimal(0),
                "other_income": Decimal(0),
            },
        )


def threshold_rules(bank) -> None:
    """MVC from 1,000 CNY a month, no top share: tiers this test can predict."""
    with bank.scope():
        latest = TierRuleSet.objects.filter(kind=Customer.Kind.INDIVIDUAL).order_by("-version")[0]
        TierRuleSet.objects.create(
            tenant=bank.tenant,
            kind=Customer.Kind.INDIVIDUAL,
            version=latest.version + 1,
            effective_from=date(2026, 1, 1),
            new_customer_months=3,
            bz_months=3,
            mvc_top_percent=None,
            mvc_min_contribution=Decimal(1000),
            mgc_min_potential=100,
            downgrade_months=3,
            proposed_by=bank[Role.TENANT_ADMIN],
            approved_by=bank[Role.TENANT_ADMIN],
        )


def tiers(bank) -> dict[int, str]:
    with bank.scope():
        return dict(Customer.objects.values_list("pk", "tier"))


def june_values(bank) -> dict[int, tuple[str, int]]:
    with bank.scope():
        return {
            customer: (tier, run)
            for customer, tier, run in CustomerValue.objects.filter(month=JUNE).values_list(
                "customer", "tier", "run"
            )
        }


@pytest.mark.parametrize("run_kind", ["scheduled", "rerun"])
def test_a_worker_killed_mid_scoring_leaves_the_tiers_of_before_and_the_run_is_done_again(
    bank_a, worker_queue, tmp_path, run_kind
):
    threshold_rules(bank_a)
    strategic = CustomerFactory(home_branch=bank_a.branch)
    HoldingFactory(customer=strategic, opened_on=date(2015, 1, 1))
    if run_kind == "scheduled":
        # May scored: ordinary. June's figures make the customer MVC.
        feed(bank_a, strategic, MAY, 10)
        with bank_a.scope():
            assert scoring_run_once(month=MAY) is not None
        feed(bank_a, strategic, JUNE, 5000)
    else:
        # June scored as ordinary; the finance system's late feed makes the customer MVC.
        feed(bank_a, strategic, JUNE, 10)
        with bank_a.scope():
            assert scoring_run_once(month=JUNE) is not None
        feed(bank_a, strategic, JUNE, 5000)
    before_tiers = tiers(bank_a)
    before_values = june_values(bank_a)
    with bank_a.scope():
        before_changes = TierChange.objects.count()
    assert before_tiers[strategic.pk] == Customer.Tier.ORDINARY

    log = tmp_path / "worker.log"
    locker = owner_connection()
    # Apart from the lock's transaction: PostgreSQL reads pg_stat_activity once per
    # transaction, so a watcher inside it would never see the worker arrive.
    owner = owner_connection(autocommit=True)
    workers: list[subprocess.Popen] = []
    try:
        # The customer's row locked: the run's statement that copies tiers to customers
        # waits on it, after the month's scores were written in the same transaction. (NO
        # KEY: the foreign-key checks of the scores' rows, FOR KEY SHARE, pass.)
        locker.execute(
            "SELECT 1 FROM customers_customer WHERE id = %s FOR NO KEY UPDATE", [strategic.pk]
        )
        workers.append(start_worker(worker_queue, log))
        if run_kind == "scheduled":
            score_tenant_month.delay(tenant_id=bank_a.tenant.pk, month=JUNE.isoformat())
        else:
            with bank_a.scope():
                rerun = scoring_rerun_request(
                    month=JUNE, actor=bank_a[Role.TENANT_ADMIN], reason="迟到的收入数据"
                )
        blocked = wait_until(
            lambda: blocked_scoring_backend(owner),
            "the scoring to wait on the lock",
            log,
            owner,
            workers,
        )

        workers[0].send_signal(signal.SIGKILL)
        workers[0].wait(timeout=10)
        locker.rollback()  # the lock goes; the dead worker's transaction can never commit
        wait_until(lambda: backend_gone(owner, blocked), "the dead worker's session to end", log)

        # Nothing of the interrupted run is left: the tiers of before, June as it was.
        assert tiers(bank_a) == before_tiers
        assert june_values(bank_a) == before_values
        with bank_a.scope():
            assert TierChange.objects.count() == before_changes
        if run_kind == "scheduled":
            with platform_wide():
                dead = JobRun.objects.get(job=JOB, tenant=bank_a.tenant, period="2026-06")
            assert (dead.status, dead.attempts) == (JobRun.Status.RUNNING, 1)
        else:
            with bank_a.scope():
                rerun.refresh_from_db()
            assert (rerun.status, rerun.attempts) == (ScoringRun.Status.RUNNING, 1)

        if not REDELIVERS:
            # No delivery again on this broker: the next day's roll-up sends the month
            # again, and finds the run dead (never beat, started before the time limit).
            long_ago = timezone.now() - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 120)
            with platform_wide():
                JobRun.objects.filter(job=JOB, period="2026-06").update(started_at=long_ago)
            with bank_a.scope():
                ScoringRun.objects.filter(month=JUNE, status="running").update(started_at=long_ago)
            if run_kind == "scheduled":
                score_tenant_month.delay(tenant_id=bank_a.tenant.pk, month=JUNE.isoformat())
            else:
                with bank_a.scope():
                    rerun = scoring_rerun_request(
                        month=JUNE, actor=bank_a[Role.TENANT_ADMIN], reason="再算一次"
                    )
        workers.append(start_worker(worker_queue, log))

        def done():
            with bank_a.scope():
                return ScoringRun.objects.filter(
                    month=JUNE, status=ScoringRun.Status.FINISHED, customers__gt=0
                ).count() == (1 if run_kind == "scheduled" else 2)

        wait_until(done, "the run to be done again", log)
    finally:
        locker.close()
        owner.close()
        for worker in workers:
            stop(worker)

    after = tiers(bank_a)
    assert after[strategic.pk] == Customer.Tier.MVC
    values = june_values(bank_a)
    assert values[strategic.pk][0] == Customer.Tier.MVC
    assert len(values) == len(after)  # one row per customer, no half-written month
    with bank_a.scope():
        changes = list(TierChange.objects.filter(month=JUNE, customer=strategic))
        runs = list(ScoringRun.objects.filter(month=JUNE).order_by("version"))
    # The change to MVC recorded once: the killed run's row went with its transaction.
    assert [(c.from_tier, c.to_tier) for c in changes if c.to_tier == Customer.Tier.MVC] == [
        (Customer.Tier.ORDINARY, Customer.Tier.MVC)
    ]
    assert {run for _tier, run in values.values()} == {runs[-1].pk}
    if run_kind == "scheduled":
        with platform_wide():
            job_run = JobRun.objects.get(job=JOB, tenant=bank_a.tenant, period="2026-06")
        assert job_run.status == JobRun.Status.SUCCEEDED
        assert job_run.attempts == 2  # taken over by the delivery that followed the kill
        assert [r.version for r in runs] == [1]
    elif REDELIVERS:
        assert [(r.version, r.status, r.attempts) for r in runs] == [
            (1, ScoringRun.Status.FINISHED, 1),
            (2, ScoringRun.Status.FINISHED, 2),
        ]
