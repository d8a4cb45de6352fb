"""Change events: written with the change, set-based for feeds, dispatched once per subscriber."""

import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from channels.ingest import InteractionValues, interactions_ingest
from crm.events.models import ChangeEvent, EventDelivery
from crm.events.registry import subscribe, unsubscribe
from crm.events.services import events_dispatch, events_prune
from crm.tenancy.roles import Role
from customers.api.upserts import (
    BalanceSnapshotValues,
    HoldingValues,
    balance_snapshots_upsert,
    holdings_upsert,
)
from customers.services import customer_create, customers_assign
from tests.factories import ProductFactory
from tests.factories.channels import standard_catalog


class Recorder:
    """A subscriber that remembers what it was handed (and can be made to fail)."""

    def __init__(self):
        self.seen: list[tuple[str, int]] = []
        self.fail = False
        self.lock = threading.Lock()

    def __call__(self, events):
        if self.fail:
            raise RuntimeError("subscriber down")
        with self.lock:
            self.seen.extend((event.kind, event.subject_id) for event in events)


@pytest.fixture
def recorder():
    recorder = Recorder()
    subscribe(
        "tests.recorder",
        [
            "customers.customer.created",
            "customers.holdings.changed",
            "channels.interaction.created",
        ],
        recorder,
    )
    yield recorder
    unsubscribe("tests.recorder")


def events(bank, kind=None) -> list[ChangeEvent]:
    with bank.scope():
        queryset = ChangeEvent.objects.order_by("pk")
        return list(queryset.filter(kind=kind) if kind else queryset)


def new_customer(bank, number="AAA0900"):
    return customer_create(
        actor=bank[Role.BRANCH_MANAGER],
        number=number,
        name="AAA新客户",
        kind="individual",
        home_branch=bank.branch,
        phone=f"1390000{number[-4:]}",
    )


def test_a_staff_change_writes_its_event_in_the_same_transaction(bank_a):
    with bank_a.scope():
        with transaction.atomic():
            kept = new_customer(bank_a)
        with pytest.raises(RuntimeError), transaction.atomic():
            new_customer(bank_a, number="AAA0901")
            raise RuntimeError("the change is rolled back")
    created = events(bank_a, "customers.customer.created")
    assert [(e.subject_id, e.actor_id) for e in created] == [
        (kept.pk, bank_a[Role.BRANCH_MANAGER].pk)
    ]


def test_a_handover_writes_one_event_per_customer_that_moved(bank_a):
    rm = bank_a[Role.RELATIONSHIP_MANAGER]
    with bank_a.scope():
        moved = customers_assign(
            customer_ids=[bank_a.customer.pk, bank_a.other_customer.pk],
            relationship_manager=rm,
            actor=bank_a[Role.BRANCH_MANAGER],
            reason="test",
        )
    assert moved == 1  # the first customer was already the RM's
    assert [e.subject_id for e in events(bank_a, "customers.customer.reassigned")] == [
        bank_a.other_customer.pk
    ]


def test_a_feed_writes_its_events_in_one_statement_and_a_replay_writes_none(bank_a):
    product = ProductFactory(tenant=bank_a.tenant, code="DEP")
    holders = [bank_a.customer.pk, bank_a.other_customer.pk]
    holdings = [
        HoldingValues(f"ACC-{n}", holders[n % 2], product.pk, date(2024, 1, 1), "active", n)
        for n in range(1, 200)
    ]
    with bank_a.scope(), CaptureQueriesContext(connection) as queries:
        holdings_upsert(holdings=holdings)
        holdings_upsert(holdings=holdings)  # a replay: nothing changed, no event
    inserts = [q for q in queries.captured_queries if "INSERT INTO events_changeevent" in q["sql"]]
    assert len(inserts) == 1
    changed = events(bank_a, "customers.holdings.changed")
    assert sorted(e.subject_id for e in changed) == sorted(holders)  # one per holder


def test_balance_snapshots_and_ingested_contacts_write_events_for_what_changed(bank_a):
    catalog = standard_catalog(bank_a.tenant)
    snapshot = BalanceSnapshotValues(
        bank_a.customer.pk, date(2026, 1, 1), Decimal(1), Decimal(0), Decimal(0), Decimal(1)
    )
    contact = InteractionValues(
        customer_id=bank_a.customer.pk,
        channel_id=next(iter(catalog["channels"].values())).pk,
        kind="call",
        direction="inbound",
        occurred_at=timezone.now(),
        source="cc",
        external_id="CC-1",
    )
    with bank_a.scope():
        balance_snapshots_upsert(snapshots=[snapshot])
        balance_snapshots_upsert(snapshots=[snapshot])
        interactions_ingest(interactions=[contact])
        interactions_ingest(interactions=[contact])
    assert [e.subject_id for e in events(bank_a, "customers.balance_snapshot.changed")] == [
        bank_a.customer.pk
    ]
    (contact_event,) = events(bank_a, "channels.interaction.created")
    assert contact_event.payload == {"customer_id": bank_a.customer.pk}


@pytest.mark.django_db(transaction=True)
def test_dispatch_hands_each_event_to_each_subscriber_once(bank_a, bank_b, recorder):
    with bank_a.scope():
        customer = new_customer(bank_a)
    with bank_b.scope():
        new_customer(bank_b, number="ZZZ0900")
    dispatched = _dispatch(bank_a)
    assert dispatched == len(events(bank_a))
    assert recorder.seen == [("customers.customer.created", customer.pk)]  # not bank B's
    # A replay (the sweep and the after-commit task both ran) hands nothing over again.
    with bank_a.scope():
        ChangeEvent.objects.update(dispatched_at=None)
    _dispatch(bank_a)
    assert recorder.seen == [("customers.customer.created", customer.pk)]
    with bank_a.scope():
        assert EventDelivery.objects.filter(subscriber="tests.recorder").count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_failing_subscriber_is_retried_later_without_repeating_the_others(bank_a, recorder):
    other = Recorder()
    subscribe("tests.other", ["customers.customer.created"], other)
    try:
        with bank_a.scope():
            new_customer(bank_a)
        recorder.fail = True
        _dispatch(bank_a)
        (event,) = events(bank_a, "customers.customer.created")
        assert event.dispatched_at is None and event.attempts == 1
        assert "subscriber down" in event.last_error
        assert event.next_attempt_at > timezone.now()
        assert len(other.seen) == 1

        recorder.fail = False
        _dispatch(bank_a)  # not due yet
        assert recorder.seen == []
        with bank_a.scope():
            ChangeEvent.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
        _dispatch(bank_a)
        assert len(recorder.seen) == 1 and len(other.seen) == 1
        assert events(bank_a, "customers.customer.created")[0].dispatched_at is not None
    finally:
        unsubscribe("tests.other")


def _dispatch(bank) -> int:
    """Run the dispatcher as a worker does: as the bank, outside any transaction."""
    with bank.scope():
        return events_dispatch()


def test_old_dispatched_events_are_pruned_with_their_deliveries(bank_a, recorder, everywhere):
    with bank_a.scope():
        new_customer(bank_a)
        (event,) = events(bank_a, "customers.customer.created")
        EventDelivery.objects.create(tenant=bank_a.tenant, event=event, subscriber="x")
        pending = ChangeEvent.objects.create(
            tenant=bank_a.tenant, kind="k", subject_id=1, occurred_at=timezone.now() - timedelta(30)
        )
        ChangeEvent.objects.filter(pk=event.pk).update(
            dispatched_at=timezone.now(), occurred_at=timezone.now() - timedelta(days=30)
        )
    assert events_prune(older_than=timedelta(days=7)) == 1
    assert list(ChangeEvent.objects.filter(kind__in=["k", event.kind])) == [pending]
    assert not EventDelivery.objects.filter(event_id=event.pk).exists()
