"""Customers' generation step: the organisation, then customers by the million.

Branches, sub-branches, staff with roles and a product catalog of every category; then
customers with names, encrypted and blind-indexed identity and phone numbers, holdings, a
relationship-manager history, consents, relationships and monthly balance snapshots. The
customers are made chunk by chunk in worker processes (``population``) and streamed in by
COPY while the customer tables are in a load window.
"""

from __future__ import annotations

import random
import time

from crm.tenancy.models import Branch, Staff, StaffRole
from customers.models import (
    Assignment,
    BalanceSnapshot,
    Consent,
    Customer,
    CustomerRelationship,
    Holding,
    Product,
)
from devtools.customers import population
from devtools.customers.organisation import Organisation, create_organisation
from devtools.generation import GenerationContext
from devtools.workers import made_in_workers

# The tables that get millions of rows (and the small ones whose foreign keys point at them).
LOADED_MODELS = (Customer, Holding, BalanceSnapshot, CustomerRelationship, Assignment, Consent)
# Small, but a planner that still believes them empty joins them badly to the big ones.
ORGANISATION_MODELS = (Branch, Staff, StaffRole, Product)

TABLES = {
    "customers": (Customer, population.CUSTOMER_COLUMNS),
    "holdings": (Holding, population.HOLDING_COLUMNS),
    "relationships": (CustomerRelationship, population.RELATIONSHIP_COLUMNS),
    "assignments": (Assignment, population.ASSIGNMENT_COLUMNS),
    "consents": (Consent, population.CONSENT_COLUMNS),
}


def organisation_of(context: GenerationContext) -> Organisation:
    """The organisation this step made, for the steps after it."""
    return context.made["organisation"]


def generate_customers(context: GenerationContext) -> None:
    """The generation step: organisation, customers and their balances."""
    options = context.options
    clock = time.perf_counter()
    rng = random.Random(context.spec.seed)
    organisation = create_organisation(
        tenant=context.tenant,
        rng=rng,
        branches=options["branches"],
        sub_branches=options["sub_branches"],
        managers_per_sub_branch=options["managers_per_sub_branch"],
        password=context.spec.password,
    )
    context.made["organisation"] = organisation
    context.analyse(ORGANISATION_MODELS)
    rows = context.rows
    rows["branches"] = 1 + len(organisation.branches) + len(organisation.sub_branches)
    rows["staff"] = len(organisation.staff)
    rows["products"] = len(organisation.products)
    context.seconds["organisation"] = time.perf_counter() - clock
    context.progress(
        f"organisation: {rows['branches']} branches, {rows['staff']} staff, "
        f"{rows['products']} products"
    )

    months = 0 if options["no_snapshots"] else options["months"]
    plan = population.Plan(
        tenant_id=context.tenant.pk,
        seed=context.spec.seed,
        today=context.today,
        months=months,
        individual_homes=tuple(organisation.individual_homes),
        corporate_homes=tuple(organisation.corporate_homes),
        products=tuple(organisation.products),
    )
    raw = context.cursor
    with context.load_window(LOADED_MODELS, label="customers"):
        clock = time.perf_counter()
        raw.execute(
            "CREATE TEMPORARY TABLE bankgen_totals (customer_id bigint, first_month date, "
            "deposits_fen bigint, loans_fen bigint, wealth_fen bigint, trend real) "
            "ON COMMIT DROP"
        )
        _load_customers(context, plan, options["customers"])
        context.seconds["customers"] = time.perf_counter() - clock
        if months:
            clock = time.perf_counter()
            context.progress(f"monthly balances: {months} months")
            rows["balance snapshots"] = _insert_snapshots(raw, plan)
            context.seconds["balance snapshots"] = time.perf_counter() - clock
        raw.execute("DROP TABLE bankgen_totals")


def _make_chunk(
    plan: population.Plan, number: int, first_index: int, ids: list[int]
) -> dict[str, tuple[int, bytes]]:
    return population.make_chunk(plan, number, first_index, ids).encoded()


def _load_customers(context: GenerationContext, plan: population.Plan, total: int) -> None:
    """Make the customers chunk by chunk (in worker processes) and COPY each chunk in."""
    chunk_size = context.spec.chunk_size
    chunks = -(-total // chunk_size)

    def jobs():
        for number in range(chunks):
            first = number * chunk_size
            count = min(chunk_size, total - first)
            yield number, first, context.reserve_ids(Customer, count)

    started = time.perf_counter()
    done = 0
    report_every = max(1, chunks // 20)
    made = made_in_workers(_make_chunk, plan, jobs(), context.workers_for(chunks))
    for number, chunk in enumerate(made):
        for key, (model, columns) in TABLES.items():
            count, data = chunk[key]
            context.copy(model._meta.db_table, columns, data)
            context.rows[key] = context.rows.get(key, 0) + count
        context.copy("bankgen_totals", population.TOTAL_COLUMNS, chunk["totals"][1])
        done += chunk["customers"][0]
        if (number + 1) % report_every == 0 or done == total:
            elapsed = time.perf_counter() - started
            context.progress(
                f"customers: {done:,} of {total:,} ({done / total:.0%}), "
                f"{elapsed:.0f} s, {done / elapsed:,.0f}/s"
            )


def _insert_snapshots(raw, plan: population.Plan) -> int:
    """Derive each customer's monthly balances from their current ones, in the database.

    The latest month equals today's balances; going back, deposits and wealth follow the
    customer's trend with monthly noise and loans were higher (they amortise).
    """
    raw.execute(
        """
        INSERT INTO customers_balancesnapshot
               (tenant_id, customer_id, month, deposits, loans, wealth, aum)
        SELECT %(tenant)s, t.customer_id, s.month,
               s.deposits::numeric / 100, s.loans::numeric / 100, s.wealth::numeric / 100,
               (s.deposits + s.wealth)::numeric / 100
          FROM bankgen_totals AS t
         CROSS JOIN LATERAL (
               SELECT (%(latest)s::date - make_interval(months => k))::date AS month,
                      CASE WHEN k = 0 THEN t.deposits_fen
                           ELSE round(t.deposits_fen * greatest(
                                0, 1 - t.trend * k + (random() - 0.5) * 0.1))::bigint
                      END AS deposits,
                      round(t.loans_fen * (1 + 0.004 * k))::bigint AS loans,
                      CASE WHEN k = 0 THEN t.wealth_fen
                           ELSE round(t.wealth_fen * greatest(
                                0, 1 - 1.5 * t.trend * k + (random() - 0.5) * 0.16))::bigint
                      END AS wealth
                 FROM generate_series(0, %(months)s - 1) AS k
               ) AS s
         WHERE s.month >= t.first_month
        """,
        {"tenant": plan.tenant_id, "latest": plan.latest_month, "months": plan.months},
    )
    return raw.rowcount
