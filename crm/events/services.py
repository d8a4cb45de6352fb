"""Write change events with the change; dispatch them to subscribers after commit.

``events_record`` inserts the events in the caller's transaction, in one statement however
many rows a feed changed, and asks for a dispatch once that transaction commits. If the
process dies between the commit and the dispatch, or the broker loses the message, the
events are still in the table: the periodic sweep (``crm.events.tasks.sweep_events``)
dispatches whatever is still due.
"""

import json
import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction
from django.db.models.functions import Now
from django.utils import timezone

from crm.events.models import ChangeEvent
from crm.events.registry import Subscriber, subscribers
from crm.notifications.claims import claim_due
from crm.tenancy.context import require_tenant

if TYPE_CHECKING:
    from crm.tenancy.models import Staff

logger = logging.getLogger(__name__)

DISPATCH_BATCH = 200
MAX_BACKOFF = timedelta(hours=1)

EVENTS_INSERT = """
INSERT INTO events_changeevent
       (tenant_id, kind, subject_id, payload, actor_id, occurred_at, next_attempt_at,
        attempts, last_error)
SELECT %(tenant)s::bigint, %(kind)s, batch.subject_id, batch.payload, %(actor)s::bigint,
       now(), now(), 0, ''
  FROM unnest(%(subjects)s::bigint[], %(payloads)s::jsonb[]) AS batch(subject_id, payload)
"""


class _DispatchAfterCommit:
    """The on-commit callback of one tenant; its presence in the queue means 'asked'."""

    def __init__(self, tenant_id: int):
        self.tenant_id = tenant_id

    def __call__(self) -> None:
        from crm.events.tasks import dispatch_events

        dispatch_events.delay(tenant_id=self.tenant_id)


def _dispatch_after_commit(tenant_id: int) -> None:
    # Once per transaction however many statements wrote events. A failure to enqueue is
    # logged, not raised (robust): the sweep picks the events up.
    # Entries are (savepoints, callback, robust); django-stubs still lists two items.
    for entry in connection.run_on_commit:
        callback = entry[1]
        if isinstance(callback, _DispatchAfterCommit) and callback.tenant_id == tenant_id:
            return
    transaction.on_commit(_DispatchAfterCommit(tenant_id), robust=True)


def events_record(
    kind: str,
    *,
    subject_ids: Sequence[int],
    payloads: Sequence[dict[str, Any]] | None = None,
    actor: "Staff | None" = None,
    actor_id: int | None = None,
) -> int:
    """Record that ``subject_ids`` changed (one event each) in the current transaction."""
    if not subject_ids:
        return 0
    if payloads is not None and len(payloads) != len(subject_ids):
        raise ValueError("Give one payload per subject.")
    tenant = require_tenant()
    with connection.cursor() as cursor:
        cursor.execute(
            EVENTS_INSERT,
            {
                "tenant": tenant.pk,
                "kind": kind,
                "actor": actor.pk if actor is not None else actor_id,
                "subjects": list(subject_ids),
                "payloads": [
                    json.dumps(p, default=str) for p in payloads or [{}] * len(subject_ids)
                ],
            },
        )
    _dispatch_after_commit(tenant.pk)
    return len(subject_ids)


def event_record(
    kind: str,
    *,
    subject_id: int,
    payload: dict[str, Any] | None = None,
    actor: "Staff | None" = None,
) -> int:
    return events_record(kind, subject_ids=[subject_id], payloads=[payload or {}], actor=actor)


def _deliver(subscriber: Subscriber, events: list[ChangeEvent]) -> None:
    """Hand the events this subscriber has not had yet to it, recording each delivery."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO events_eventdelivery (tenant_id, event_id, subscriber, delivered_at)
            SELECT %s, unnest(%s::bigint[]), %s, now()
            ON CONFLICT ON CONSTRAINT event_delivered_once_per_subscriber DO NOTHING
            RETURNING event_id
            """,
            [events[0].tenant_id, [event.pk for event in events], subscriber.name],
        )
        new = {event_id for (event_id,) in cursor.fetchall()}
    fresh = [event for event in events if event.pk in new]
    if fresh:
        subscriber.handle(fresh)


def _dispatch_batch(events: list[ChangeEvent]) -> None:
    failed: dict[int, str] = {}
    for subscriber in subscribers():
        theirs = [event for event in events if event.kind in subscriber.kinds]
        if not theirs:
            continue
        try:
            # A savepoint each: one subscriber's failure undoes its own work and deliveries
            # only; the others' stand and are not repeated on the next try.
            with transaction.atomic():
                _deliver(subscriber, theirs)
        except Exception as exc:
            logger.exception("subscriber %s failed on %d events", subscriber.name, len(theirs))
            for event in theirs:
                failed[event.pk] = f"{subscriber.name}: {type(exc).__name__}: {exc}"[:2000]
    done = [event.pk for event in events if event.pk not in failed]
    if done:
        ChangeEvent.objects.filter(pk__in=done).update(dispatched_at=Now())
    now = timezone.now()
    for event in events:
        if event.pk in failed:
            backoff = min(timedelta(seconds=30 * 2**event.attempts), MAX_BACKOFF)
            ChangeEvent.objects.filter(pk=event.pk).update(
                attempts=event.attempts + 1,
                next_attempt_at=now + backoff,
                last_error=failed[event.pk],
            )


def events_dispatch(*, batch_size: int = DISPATCH_BATCH) -> int:
    """Dispatch the current tenant's due events; return how many were handled.

    Several dispatchers may run at once (the after-commit task and the sweep): each batch
    is claimed with ``SKIP LOCKED``, so they share the work instead of repeating it.
    """
    return claim_due(
        ChangeEvent.objects.due(), process_batch=_dispatch_batch, batch_size=batch_size
    )


EVENTS_PRUNE = """
WITH old AS (
    SELECT id FROM events_changeevent
     WHERE dispatched_at IS NOT NULL AND occurred_at < %(before)s
     LIMIT %(limit)s
), deliveries AS (
    DELETE FROM events_eventdelivery WHERE event_id IN (SELECT id FROM old)
)
DELETE FROM events_changeevent WHERE id IN (SELECT id FROM old)
"""


def events_prune(*, older_than: timedelta, limit: int = 5000) -> int:
    """Delete up to ``limit`` dispatched events (and their deliveries) older than given.

    In SQL rather than through the ORM: Django's cascade would load every delivery.
    """
    with connection.cursor() as cursor:
        cursor.execute(EVENTS_PRUNE, {"before": timezone.now() - older_than, "limit": limit})
        deleted: int = cursor.rowcount
        return deleted
