"""Set-based upserts of what core banking reports: holdings and monthly balances.

One statement per batch whatever its size. A row whose values are all unchanged is not
written at all, so replaying a batch adds no history event and leaves ``updated_at`` alone.
Callers validate the batch first (one row per natural key, customers and products of the
bank); these functions only write.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from crm.events.services import events_record
from crm.tenancy.context import require_tenant
from customers.services import recompute_aum


@dataclass(frozen=True)
class UpsertCounts:
    created: int
    updated: int
    unchanged: int


@dataclass(frozen=True)
class HoldingValues:
    account_number: str
    customer_id: int
    product_id: int
    opened_on: date
    status: str
    balance: Decimal


@dataclass(frozen=True)
class BalanceSnapshotValues:
    customer_id: int
    month: date
    deposits: Decimal
    loans: Decimal
    wealth: Decimal
    aum: Decimal


# The CTEs share one snapshot: "previous" sees each account's holder before the upsert, so
# that an account moved to another customer also recomputes its former holder's AUM.
# xmax = 0 marks a row this statement inserted rather than updated.
HOLDINGS_UPSERT = """
WITH previous AS (
    SELECT account_number, customer_id
      FROM customers_holding
     WHERE tenant_id = %(tenant)s AND account_number = ANY(%(accounts)s::varchar[])
), written AS (
    INSERT INTO customers_holding AS h
           (tenant_id, account_number, customer_id, product_id, opened_on, status, balance,
            updated_at)
    SELECT %(tenant)s::bigint, batch.*, %(now)s::timestamptz
      FROM unnest(%(accounts)s::varchar[], %(customers)s::bigint[], %(products)s::bigint[],
                  %(opened)s::date[], %(statuses)s::varchar[], %(balances)s::numeric[])
           AS batch(account_number, customer_id, product_id, opened_on, status, balance)
    ON CONFLICT (tenant_id, account_number) DO UPDATE
       SET customer_id = excluded.customer_id,
           product_id = excluded.product_id,
           opened_on = excluded.opened_on,
           status = excluded.status,
           balance = excluded.balance,
           updated_at = excluded.updated_at
     WHERE (h.customer_id, h.product_id, h.opened_on, h.status, h.balance)
           IS DISTINCT FROM (excluded.customer_id, excluded.product_id, excluded.opened_on,
                             excluded.status, excluded.balance)
    RETURNING h.account_number, h.customer_id, xmax = 0 AS created
)
SELECT written.customer_id, previous.customer_id, written.created
  FROM written LEFT JOIN previous USING (account_number)
"""

SNAPSHOTS_UPSERT = """
INSERT INTO customers_balancesnapshot AS s
       (tenant_id, customer_id, month, deposits, loans, wealth, aum)
SELECT %(tenant)s::bigint, batch.*
  FROM unnest(%(customers)s::bigint[], %(months)s::date[], %(deposits)s::numeric[],
              %(loans)s::numeric[], %(wealth)s::numeric[], %(aum)s::numeric[])
       AS batch(customer_id, month, deposits, loans, wealth, aum)
ON CONFLICT (tenant_id, customer_id, month) DO UPDATE
   SET deposits = excluded.deposits,
       loans = excluded.loans,
       wealth = excluded.wealth,
       aum = excluded.aum
 WHERE (s.deposits, s.loans, s.wealth, s.aum)
       IS DISTINCT FROM (excluded.deposits, excluded.loans, excluded.wealth, excluded.aum)
RETURNING xmax = 0 AS created, s.customer_id
"""


def _require_unique(keys: list, what: str) -> None:
    # PostgreSQL refuses to upsert one row twice in a statement; say why before it does.
    if len(set(keys)) != len(keys):
        raise ValueError(f"Each {what} may appear only once in a batch.")


@transaction.atomic
def holdings_upsert(*, holdings: Sequence[HoldingValues]) -> UpsertCounts:
    """Create new accounts and update changed ones, then recompute the holders' AUM."""
    if not holdings:
        return UpsertCounts(0, 0, 0)
    accounts = [holding.account_number for holding in holdings]
    _require_unique(accounts, "account number")
    with connection.cursor() as cursor:
        cursor.execute(
            HOLDINGS_UPSERT,
            {
                "tenant": require_tenant().pk,
                "now": timezone.now(),
                "accounts": accounts,
                "customers": [holding.customer_id for holding in holdings],
                "products": [holding.product_id for holding in holdings],
                "opened": [holding.opened_on for holding in holdings],
                "statuses": [holding.status for holding in holdings],
                "balances": [holding.balance for holding in holdings],
            },
        )
        written = cursor.fetchall()
    holders = {customer_id for row in written for customer_id in row[:2] if customer_id}
    recompute_aum(holders)
    events_record("customers.holdings.changed", subject_ids=sorted(holders))  # outbox, per holder
    created = sum(1 for *_customers, was_created in written if was_created)
    return UpsertCounts(created, len(written) - created, len(holdings) - len(written))


@transaction.atomic
def balance_snapshots_upsert(*, snapshots: Sequence[BalanceSnapshotValues]) -> UpsertCounts:
    """Create new monthly balances and update changed ones (one per customer and month)."""
    if not snapshots:
        return UpsertCounts(0, 0, 0)
    _require_unique([(s.customer_id, s.month) for s in snapshots], "customer and month")
    with connection.cursor() as cursor:
        cursor.execute(
            SNAPSHOTS_UPSERT,
            {
                "tenant": require_tenant().pk,
                "customers": [snapshot.customer_id for snapshot in snapshots],
                "months": [snapshot.month for snapshot in snapshots],
                "deposits": [snapshot.deposits for snapshot in snapshots],
                "loans": [snapshot.loans for snapshot in snapshots],
                "wealth": [snapshot.wealth for snapshot in snapshots],
                "aum": [snapshot.aum for snapshot in snapshots],
            },
        )
        written = cursor.fetchall()
    created = sum(1 for was_created, _customer in written if was_created)
    events_record("customers.balance_snapshot.changed", subject_ids=[c for _new, c in written])
    return UpsertCounts(created, len(written) - created, len(snapshots) - len(written))
