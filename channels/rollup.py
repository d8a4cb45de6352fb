"""The daily roll-up of interactions that the channel analytics read.

For one bank and one day (midnight to midnight in the bank's time zone) three set-based
statements rewrite that day's figures:

- ``DailyChannelRollup``: interactions, transactions, transaction amount and distinct
  customers per channel, branch (the outlet's branch when the contact happened at an
  outlet, else the customer's home branch) and customer tier (the tier the customer has
  when the roll-up runs);
- ``DailyOutletRollup``: the same counts per outlet, for the outlet ranking;
- ``DailyTierPopulation``: active customers per home branch and tier when the roll-up runs,
  the base of cost-to-serve per customer.

A fourth brings each customer's cost to serve of the month up to date
(``MonthlyServiceCost``, which value scoring reads): see ``service_costs`` below.

Each statement aggregates with one GROUP BY, upserts on the table's unique key (leaving
unchanged rows untouched) and deletes the rows of that day that no longer have anything
behind them, so running a day again yields exactly the same rows. The customers table keeps
no history of status, tier or opening date (imported customers carry the import's date): the
nightly run of yesterday is exact, a backfill of an older day counts customers with the
status and tier they have today.

Each statement covers a range of days (grouping by the bank's local day), so one day and a
year are the same statements: ``rollup_day`` rolls up one day, ``rollup_days`` a range in
one pass. ``rollup_day_once`` runs a day through the job-run table (one recorded run per
bank and day); the nightly task and the ``rollup_channels`` command both go through it.
``rollup_days_once`` does a range at once and records a run for each day (the generator's
backfill of a year of contacts).
"""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, time, timedelta

from django.db import connection
from django.utils import timezone

from channels.models import (
    Channel,
    DailyChannelRollup,
    DailyOutletRollup,
    DailyTierPopulation,
    Interaction,
    MonthlyServiceCost,
    Outlet,
)
from crm.jobs.models import JobRun
from crm.jobs.runs import run_once, run_once_per_period
from crm.months import add_months, month_end, month_start
from crm.tenancy.context import require_tenant
from crm.tenancy.models import Tenant
from customers.models import Customer

JOB = "channels.rollup"

CHANNEL_ROLLUP_SQL = """
WITH facts AS (
    SELECT (i.occurred_at AT TIME ZONE %(zone)s)::date AS day,
           i.channel_id,
           COALESCE(o.branch_id, c.home_branch_id) AS branch_id,
           c.tier,
           count(*) AS interactions,
           count(*) FILTER (WHERE i.kind = %(transaction)s) AS transactions,
           COALESCE(sum(i.amount) FILTER (WHERE i.kind = %(transaction)s), 0) AS amount,
           count(DISTINCT i.customer_id) AS customers
      FROM {interaction} i
      JOIN {customer} c ON c.tenant_id = i.tenant_id AND c.id = i.customer_id
      LEFT JOIN {outlet} o ON o.tenant_id = i.tenant_id AND o.id = i.outlet_id
     WHERE i.tenant_id = %(tenant)s
       AND i.occurred_at >= %(start)s AND i.occurred_at < %(end)s
     GROUP BY 1, 2, 3, 4
),
written AS (
    INSERT INTO {rollup} AS r
           (tenant_id, day, channel_id, branch_id, tier,
            interactions, transactions, amount, customers)
    SELECT %(tenant)s, day, channel_id, branch_id, tier,
           interactions, transactions, amount, customers
      FROM facts
    ON CONFLICT (tenant_id, day, channel_id, branch_id, tier) DO UPDATE
       SET interactions = EXCLUDED.interactions,
           transactions = EXCLUDED.transactions,
           amount = EXCLUDED.amount,
           customers = EXCLUDED.customers
     WHERE (r.interactions, r.transactions, r.amount, r.customers)
           IS DISTINCT FROM
           (EXCLUDED.interactions, EXCLUDED.transactions, EXCLUDED.amount, EXCLUDED.customers)
    RETURNING r.day
),
removed AS (
    DELETE FROM {rollup} r
     WHERE r.tenant_id = %(tenant)s AND r.day BETWEEN %(first)s AND %(last)s
       AND NOT EXISTS (
           SELECT FROM facts f
            WHERE f.day = r.day AND f.channel_id = r.channel_id AND f.branch_id = r.branch_id
              AND f.tier = r.tier
       )
    RETURNING r.day
)
SELECT day, count(*) FROM (SELECT day FROM written UNION ALL SELECT day FROM removed) AS t
 GROUP BY day
"""

OUTLET_ROLLUP_SQL = """
WITH facts AS (
    SELECT (i.occurred_at AT TIME ZONE %(zone)s)::date AS day,
           i.outlet_id,
           count(*) AS interactions,
           count(*) FILTER (WHERE i.kind = %(transaction)s) AS transactions,
           COALESCE(sum(i.amount) FILTER (WHERE i.kind = %(transaction)s), 0) AS amount
      FROM {interaction} i
     WHERE i.tenant_id = %(tenant)s
       AND i.occurred_at >= %(start)s AND i.occurred_at < %(end)s
       AND i.outlet_id IS NOT NULL
     GROUP BY 1, 2
),
written AS (
    INSERT INTO {rollup} AS r
           (tenant_id, day, outlet_id, interactions, transactions, amount)
    SELECT %(tenant)s, day, outlet_id, interactions, transactions, amount
      FROM facts
    ON CONFLICT (tenant_id, day, outlet_id) DO UPDATE
       SET interactions = EXCLUDED.interactions,
           transactions = EXCLUDED.transactions,
           amount = EXCLUDED.amount
     WHERE (r.interactions, r.transactions, r.amount)
           IS DISTINCT FROM (EXCLUDED.interactions, EXCLUDED.transactions, EXCLUDED.amount)
    RETURNING r.day
),
removed AS (
    DELETE FROM {rollup} r
     WHERE r.tenant_id = %(tenant)s AND r.day BETWEEN %(first)s AND %(last)s
       AND NOT EXISTS (SELECT FROM facts f WHERE f.day = r.day AND f.outlet_id = r.outlet_id)
    RETURNING r.day
)
SELECT day, count(*) FROM (SELECT day FROM written UNION ALL SELECT day FROM removed) AS t
 GROUP BY day
"""

POPULATION_SQL = """
WITH facts AS (
    SELECT c.home_branch_id AS branch_id, c.tier, count(*) AS customers
      FROM {customer} c
     WHERE c.tenant_id = %(tenant)s AND c.status = %(active)s
     GROUP BY 1, 2
),
written AS (
    INSERT INTO {population} AS p (tenant_id, day, branch_id, tier, customers)
    SELECT %(tenant)s, d.day::date, f.branch_id, f.tier, f.customers
      FROM facts f
     CROSS JOIN generate_series(%(first)s::date, %(last)s::date, interval '1 day') AS d(day)
    ON CONFLICT (tenant_id, day, branch_id, tier) DO UPDATE
       SET customers = EXCLUDED.customers
     WHERE p.customers IS DISTINCT FROM EXCLUDED.customers
    RETURNING p.day
),
removed AS (
    DELETE FROM {population} p
     WHERE p.tenant_id = %(tenant)s AND p.day BETWEEN %(first)s AND %(last)s
       AND NOT EXISTS (
           SELECT FROM facts f WHERE f.branch_id = p.branch_id AND f.tier = p.tier
       )
    RETURNING p.day
)
SELECT day, count(*) FROM (SELECT day FROM written UNION ALL SELECT day FROM removed) AS t
 GROUP BY day
"""


# A customer's cost to serve of a month: every contact of theirs in the bank's local month,
# at its channel's cost per transaction. Two statements, for two amounts of work:
#
# The whole month, all customers at once: one range read of the month's contacts on
# ``interaction_time`` and one GROUP BY, with the rows of customers who no longer have a
# contact that month deleted. A backfill runs it once per month (never once per day), and
# the nightly run of a month's last day runs it too, so that the month scoring reads is
# complete whatever arrived late.
# Measured as the application role on a generated bank of 50,000 customers with 20 contacts
# each (1,000,000 contacts over a year), on a busy machine: a month 0.6 s, a night 0.1 s, the
# year's backfill 12 s; the month's read grows with its contacts (a million customers: about
# 1.7 million a month), a night's with the day's customers.
SERVICE_COST_MONTH_SQL = """
WITH per_channel AS MATERIALIZED (
    SELECT i.customer_id, i.channel_id, count(*) AS contacts
      FROM {interaction} i
     WHERE i.tenant_id = %(tenant)s
       AND i.occurred_at >= %(month_start)s AND i.occurred_at < %(month_end)s
     GROUP BY 1, 2
),
facts AS ({costed}),
written AS (
    INSERT INTO {cost} AS r (tenant_id, month, customer_id, contacts, cost)
    SELECT %(tenant)s, %(month)s, customer_id, contacts, cost
      FROM facts
    ON CONFLICT (tenant_id, month, customer_id) DO UPDATE
       SET contacts = EXCLUDED.contacts, cost = EXCLUDED.cost
     WHERE (r.contacts, r.cost) IS DISTINCT FROM (EXCLUDED.contacts, EXCLUDED.cost)
    RETURNING 1
),
removed AS (
    DELETE FROM {cost} r
     WHERE r.tenant_id = %(tenant)s AND r.month = %(month)s
       AND NOT EXISTS (SELECT FROM facts f WHERE f.customer_id = r.customer_id)
    RETURNING 1
)
SELECT (SELECT count(*) FROM written) + (SELECT count(*) FROM removed)
"""

# The contacts are counted per customer and channel first and priced after: joined to the
# channels inside the scan, PostgreSQL (which expects one channel row under row-level
# security) read the month once per channel.
COSTED_SQL = """
    SELECT p.customer_id, sum(p.contacts)::integer AS contacts,
           sum(p.contacts * ch.cost_per_transaction) AS cost
      FROM per_channel p
      JOIN {channel} ch ON ch.tenant_id = %(tenant)s AND ch.id = p.channel_id
     GROUP BY 1
"""

# One day of a month: only the customers with a contact that day, each re-added from their
# own contacts of the month through ``interaction_timeline`` (tenant, customer, time), so a
# night reads about a day's contacts and their customers' month, never the whole month.
# Every customer it rewrites has a contact that month, so there is nothing to delete.
SERVICE_COST_DAY_SQL = """
WITH touched AS (
    SELECT DISTINCT i.customer_id
      FROM {interaction} i
     WHERE i.tenant_id = %(tenant)s
       AND i.occurred_at >= %(day_start)s AND i.occurred_at < %(day_end)s
),
per_channel AS MATERIALIZED (
    SELECT i.customer_id, i.channel_id, count(*) AS contacts
      FROM touched t
      JOIN {interaction} i
        ON i.tenant_id = %(tenant)s AND i.customer_id = t.customer_id
       AND i.occurred_at >= %(month_start)s AND i.occurred_at < %(month_end)s
     GROUP BY 1, 2
),
facts AS ({costed}),
written AS (
    INSERT INTO {cost} AS r (tenant_id, month, customer_id, contacts, cost)
    SELECT %(tenant)s, %(month)s, customer_id, contacts, cost
      FROM facts
    ON CONFLICT (tenant_id, month, customer_id) DO UPDATE
       SET contacts = EXCLUDED.contacts, cost = EXCLUDED.cost
     WHERE (r.contacts, r.cost) IS DISTINCT FROM (EXCLUDED.contacts, EXCLUDED.cost)
    RETURNING 1
)
SELECT count(*) FROM written
"""


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


TABLES = {
    "interaction": Interaction,
    "customer": Customer,
    "outlet": Outlet,
}


def day_bounds(tenant: Tenant, day: date) -> tuple[datetime, datetime]:
    """Return the first instant of ``day`` and of the next day in the bank's time zone."""
    tz = zoneinfo.ZoneInfo(tenant.time_zone)
    return (
        datetime.combine(day, time.min, tzinfo=tz),
        datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz),
    )


def yesterday(tenant: Tenant) -> date:
    """The last complete day in the bank's time zone."""
    return timezone.localdate(timezone=zoneinfo.ZoneInfo(tenant.time_zone)) - timedelta(days=1)


def service_cost_passes(first_day: date, last_day: date) -> list[tuple[date, date | None]]:
    """How ``service_costs`` covers ``first_day`` to ``last_day``: (month, day) pairs.

    ``day`` None recomputes the whole month for everyone: a month whose last day lies in the
    range (the month is over: scoring reads it next), and a month with several days in it
    (a backfill: one read of the month beats a read per day). A single day inside a month
    recomputes only that day's customers.
    """
    passes: list[tuple[date, date | None]] = []
    month = month_start(first_day)
    while month <= last_day:
        month_last = month_end(month)
        covered_first, covered_last = max(first_day, month), min(last_day, month_last)
        if covered_last == month_last or covered_first != covered_last:
            passes.append((month, None))
        else:
            passes.append((month, covered_first))
        month = add_months(month, 1)
    return passes


def service_costs(*, first_day: date, last_day: date) -> int:
    """Bring the current bank's customers' costs to serve up to date for the contacts of
    ``first_day`` to ``last_day``; return the rows written or deleted.

    Idempotent: rows are recomputed from all of the month's contacts, so running a day again
    writes nothing, and a contact that arrived late is counted when any day of its
    customer's month is rolled up again, at the latest by the month's last day.
    """
    tenant = require_tenant()
    tables = {
        "interaction": _table(Interaction),
        "cost": _table(MonthlyServiceCost),
        "costed": COSTED_SQL.format(channel=_table(Channel)),
    }
    touched = 0
    with connection.cursor() as cursor:
        for month, day in service_cost_passes(first_day, last_day):
            starts_at, _ = day_bounds(tenant, month)
            ends_at, _ = day_bounds(tenant, add_months(month, 1))
            params = {
                "tenant": tenant.pk,
                "month": month,
                "month_start": starts_at,
                "month_end": ends_at,
            }
            if day is None:
                cursor.execute(SERVICE_COST_MONTH_SQL.format(**tables), params)
            else:
                day_start, day_end = day_bounds(tenant, day)
                params |= {"day_start": day_start, "day_end": day_end}
                cursor.execute(SERVICE_COST_DAY_SQL.format(**tables), params)
            touched += cursor.fetchone()[0]
    return touched


def rollup_days(*, first_day: date, last_day: date) -> dict[date, int]:
    """Rewrite the current bank's figures of ``first_day`` to ``last_day``, in one pass.

    Returns the rows of the daily figures written or deleted per day (days with none are
    left out); the customers' monthly costs to serve are brought up to date too
    (``service_costs``). Runs in the caller's transaction, as the current tenant. The
    nightly job rolls up one day; a backfill of a year reads its contacts once instead of
    once per day.
    """
    tenant = require_tenant()
    start, _ = day_bounds(tenant, first_day)
    _, end = day_bounds(tenant, last_day)
    params = {
        "tenant": tenant.pk,
        "zone": tenant.time_zone,
        "first": first_day,
        "last": last_day,
        "start": start,
        "end": end,
        "transaction": Interaction.Kind.TRANSACTION.value,
        "active": Customer.Status.ACTIVE.value,
    }
    tables = {name: _table(model) for name, model in TABLES.items()}
    statements = [
        CHANNEL_ROLLUP_SQL.format(rollup=_table(DailyChannelRollup), **tables),
        OUTLET_ROLLUP_SQL.format(rollup=_table(DailyOutletRollup), **tables),
        POPULATION_SQL.format(population=_table(DailyTierPopulation), **tables),
    ]
    touched: dict[date, int] = {}
    with connection.cursor() as cursor:
        if last_day > first_day:
            # The distinct customers of many days of contacts are counted by sorting them.
            cursor.execute("SET LOCAL work_mem = '256MB'")
        for statement in statements:
            cursor.execute(statement, params)
            for day, count in cursor.fetchall():
                touched[day] = touched.get(day, 0) + count
    # Not in the days' counts: a cost row belongs to a month, which every day of it (and a
    # range or its days one by one) may rewrite, so its count would differ by how one ran.
    service_costs(first_day=first_day, last_day=last_day)
    return touched


def rollup_day(*, day: date) -> int:
    """Rewrite the current bank's figures of ``day``; return the rows written or deleted.

    Runs in the caller's transaction (``run_once`` gives it one), as the current tenant.
    """
    return sum(rollup_days(first_day=day, last_day=day).values())


def rollup_days_once(*, first_day: date, last_day: date) -> list[JobRun]:
    """Roll up the days of ``first_day`` to ``last_day`` not rolled up yet, in one pass.

    Each day is recorded as its own run in the job-run table (``run_once_per_period``), so
    the nightly job and ``rollup_channels`` skip it as they skip a day they did themselves.
    The pass covers the first to the last day still to do; days between them that were
    done already are rewritten with the same figures (the statements are idempotent).
    Returns the finished runs.
    """
    if first_day > last_day:
        return []
    periods = [
        (first_day + timedelta(days=offset)).isoformat()
        for offset in range((last_day - first_day).days + 1)
    ]

    def work(claimed: list[str]) -> dict[str, int]:
        days = sorted(date.fromisoformat(period) for period in claimed)
        touched = rollup_days(first_day=days[0], last_day=days[-1])
        return {day.isoformat(): touched.get(day, 0) for day in days}

    return run_once_per_period(job=JOB, periods=periods, work=work)


def rollup_day_once(*, day: date, force: bool = False) -> JobRun | None:
    """Roll up ``day`` for the current bank unless that day's run is already done.

    Returns the finished run, or None when the day had been rolled up before. ``force``
    recomputes a day already done (after late interactions arrived, e.g. a partner's
    replayed batch): the statements are idempotent, so this only brings the figures up to
    date, and the day's run row records one more attempt.
    """
    tenant = require_tenant()
    period = day.isoformat()
    if force:
        # The run row is kept (one per bank and day); marking it failed lets run_once
        # claim it again, which it does at once, counting one more attempt.
        JobRun.objects.filter(
            job=JOB, tenant_id=tenant.pk, period=period, status=JobRun.Status.SUCCEEDED
        ).update(status=JobRun.Status.FAILED, error="recomputed on request")
    return run_once(job=JOB, period=period, work=lambda: rollup_day(day=day))
