"""Set-based loading of contacts that partner systems report (call center, app, WeChat...).

One ``INSERT ... SELECT FROM unnest(...)`` per batch whatever its size, so a batch of 1,000
costs one round trip. Each contact carries the source system's id; the pair is unique per
bank, and a contact already loaded is skipped by ``ON CONFLICT DO NOTHING``: replaying a
batch creates nothing twice, even when two replays run at once. Callers validate the batch
first (customers, channels, outlets and requests of the bank, one item per source id);
this module only writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from crm.events.services import events_record
from crm.tenancy.context import require_tenant


@dataclass(frozen=True, slots=True)
class InteractionValues:
    customer_id: int
    channel_id: int
    kind: str
    direction: str
    occurred_at: datetime
    source: str
    external_id: str
    summary: str = ""
    outcome: str = ""
    amount: Decimal | None = None
    outlet_id: int | None = None
    service_request_id: int | None = None


@dataclass(frozen=True)
class IngestCounts:
    created: int
    duplicates: int


# The conflict target names the partial unique index by its columns and predicate; the
# predicate must imply the index's (NOT external_id = ''), or PostgreSQL finds no index.
INTERACTIONS_INSERT = """
INSERT INTO channels_interaction
       (tenant_id, customer_id, channel_id, outlet_id, service_request_id, kind, direction,
        occurred_at, summary, outcome, amount, source, external_id, created_at)
SELECT %(tenant)s::bigint, batch.*, %(now)s::timestamptz
  FROM unnest(%(customers)s::bigint[], %(channels)s::bigint[], %(outlets)s::bigint[],
              %(requests)s::bigint[], %(kinds)s::varchar[], %(directions)s::varchar[],
              %(times)s::timestamptz[], %(summaries)s::varchar[], %(outcomes)s::varchar[],
              %(amounts)s::numeric[], %(sources)s::varchar[], %(external_ids)s::varchar[])
       AS batch(customer_id, channel_id, outlet_id, service_request_id, kind, direction,
                occurred_at, summary, outcome, amount, source, external_id)
ON CONFLICT (tenant_id, source, external_id) WHERE external_id <> '' DO NOTHING
RETURNING id, customer_id
"""


# One statement is all or nothing by itself: no savepoint is needed around it.
@transaction.atomic(savepoint=False)
def interactions_ingest(*, interactions: Sequence[InteractionValues]) -> IngestCounts:
    """Record contacts not recorded yet; return how many were new and how many known.

    Every contact needs its source system's id: without one a replay could not be told
    from a new contact.
    """
    if not interactions:
        return IngestCounts(0, 0)
    if any(not interaction.external_id for interaction in interactions):
        raise ValueError("Every interaction loaded in bulk needs its source system's id.")
    with connection.cursor() as cursor:
        cursor.execute(
            INTERACTIONS_INSERT,
            {
                "tenant": require_tenant().pk,
                "now": timezone.now(),
                "customers": [i.customer_id for i in interactions],
                "channels": [i.channel_id for i in interactions],
                "outlets": [i.outlet_id for i in interactions],
                "requests": [i.service_request_id for i in interactions],
                "kinds": [i.kind for i in interactions],
                "directions": [i.direction for i in interactions],
                "times": [i.occurred_at for i in interactions],
                "summaries": [i.summary for i in interactions],
                "outcomes": [i.outcome for i in interactions],
                "amounts": [i.amount for i in interactions],
                "sources": [i.source for i in interactions],
                "external_ids": [i.external_id for i in interactions],
            },
        )
        written = cursor.fetchall()
    created = len(written)
    events_record(  # outbox: one statement for the batch
        "channels.interaction.created",
        subject_ids=[pk for pk, _customer in written],
        payloads=[{"customer_id": customer_id} for _pk, customer_id in written],
    )
    return IngestCounts(created=created, duplicates=len(interactions) - created)
