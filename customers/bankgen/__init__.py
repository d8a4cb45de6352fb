"""Generate a bank of realistic size for measuring the product (``manage.py generate_bank``).

One new tenant with a head office, branches and sub-branches, their staff with roles, a
product catalog of every category, and then customers by the million: names, encrypted and
blind-indexed identity and phone numbers, holdings, a relationship-manager history,
consents, relationships and monthly balance snapshots. Everything large goes in by COPY
(see ``bulkload``), in one transaction: either the whole bank is there or nothing is.
Apps above customers add their own rows through ``register_generation_step`` (see
``steps``): channels adds contacts and service requests.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import pghistory
from django.db import connection, transaction
from django.utils import timezone

from crm.db.owner import database_owner
from crm.shell.demo import DEMO_PASSWORD
from crm.tenancy.context import platform_wide, tenant_context
from crm.tenancy.models import Branch, Staff, StaffRole, Tenant
from customers.bankgen import population
from customers.bankgen.bulkload import (
    close_window,
    copy_text,
    delete_tenant_rows,
    open_window,
    reserve_ids,
)
from customers.bankgen.organisation import create_organisation
from customers.bankgen.steps import (
    GenerationContext,
    generation_steps,
    made_in_workers,
    register_generation_step,
    worker_count,
)
from customers.models import (
    Assignment,
    BalanceSnapshot,
    Consent,
    Customer,
    CustomerRelationship,
    Holding,
    Product,
)

# The tables that get millions of rows (and the small ones whose foreign keys point at them).
LOADED_MODELS = (Customer, Holding, BalanceSnapshot, CustomerRelationship, Assignment, Consent)
# Small, but a planner that still believes them empty joins them badly to the big ones.
ORGANISATION_MODELS = (Branch, Staff, StaffRole, Product)

__all__ = [
    "LOADED_MODELS",
    "BankExists",
    "BankSpec",
    "GeneratedBank",
    "GenerationContext",
    "generate_bank",
    "register_generation_step",
]


class BankExists(Exception):
    """A tenant with the code already exists and replacing it was not asked for."""


@dataclass(frozen=True)
class BankSpec:
    code: str = "bigbank"
    name: str = "百川商业银行股份有限公司"
    short_name: str = "百川银行"
    customers: int = 1_000_000
    months: int = 24  # of balance snapshots; 0 for none
    branches: int = 30
    sub_branches: int = 10  # per branch
    managers_per_sub_branch: int = 5
    seed: int = 2026
    replace: bool = False
    workers: int | None = None  # processes making rows; None: one per core but one
    chunk_size: int = 10_000
    password: str = DEMO_PASSWORD
    # Contacts per customer over the last twelve months, made by the channels app's step
    # (0: none, and no channel data at all).
    interactions_per_customer: int = 0


@dataclass
class GeneratedBank:
    tenant: Tenant
    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def generate_bank(spec: BankSpec, progress: Callable[[str], None] = lambda message: None):
    """Create the bank described by ``spec``; raise BankExists if its code is taken."""
    started = time.perf_counter()
    with database_owner(), pghistory.context(command="generate_bank"):
        with transaction.atomic():
            result, context = _generate(spec, progress)
        if not connection.in_atomic_block:  # VACUUM cannot run inside a transaction
            # Fresh rows have no visibility map yet: without it, every index scan visits
            # the heap and the first readers set hint bits on millions of rows.
            clock = time.perf_counter()
            progress("vacuum")
            tables = [*_tables(LOADED_MODELS), *context.loaded_tables]
            with connection.cursor() as cursor:
                cursor.execute(f"VACUUM {', '.join(tables)}")
            result.seconds["vacuum"] = time.perf_counter() - clock
    # As the application role, under row-level security, like the application's own jobs.
    with tenant_context(result.tenant):
        for label, work in context.after_commit_work:
            clock = time.perf_counter()
            work()
            result.seconds[label] = time.perf_counter() - clock
    result.seconds["total"] = time.perf_counter() - started
    return result


def _generate(spec: BankSpec, progress) -> tuple[GeneratedBank, GenerationContext]:
    raw = connection.connection.cursor()  # psycopg's own: COPY, and no Django wrappers
    # Logged in as the owner (database_owner()), which may alter the tables and whose
    # policy shows every row. Pending deferred checks (from the caller's transaction) must
    # run now: ALTER TABLE refuses otherwise.
    raw.execute("SET CONSTRAINTS ALL IMMEDIATE")
    seconds: dict[str, float] = {}
    clock = time.perf_counter()

    with platform_wide():
        tenant = Tenant.objects.filter(code=spec.code).first()
        if tenant is not None and not spec.replace:
            raise BankExists(spec.code)
        if tenant is None:
            tenant = Tenant.objects.create(
                code=spec.code, name=spec.name, short_name=spec.short_name
            )
    result = GeneratedBank(tenant=tenant)
    window = open_window(raw, _tables(LOADED_MODELS))
    if spec.replace:
        progress(f"deleting the rows of {tenant.code}")
        delete_tenant_rows(raw, tenant.pk, window, progress)
        seconds["delete"] = time.perf_counter() - clock
        clock = time.perf_counter()

    rng = random.Random(spec.seed)
    with tenant_context(tenant):
        organisation = create_organisation(
            tenant=tenant,
            rng=rng,
            branches=spec.branches,
            sub_branches=spec.sub_branches,
            managers_per_sub_branch=spec.managers_per_sub_branch,
            password=spec.password,
        )
    result.rows["branches"] = 1 + len(organisation.branches) + len(organisation.sub_branches)
    result.rows["staff"] = len(organisation.staff)
    result.rows["products"] = len(organisation.products)
    seconds["organisation"] = time.perf_counter() - clock
    progress(
        f"organisation: {result.rows['branches']} branches, {result.rows['staff']} staff, "
        f"{result.rows['products']} products"
    )

    clock = time.perf_counter()
    plan = population.Plan(
        tenant_id=tenant.pk,
        seed=spec.seed,
        today=timezone.localdate(),
        months=spec.months,
        individual_homes=tuple(organisation.individual_homes),
        corporate_homes=tuple(organisation.corporate_homes),
        products=tuple(organisation.products),
    )
    raw.execute(
        "CREATE TEMPORARY TABLE bankgen_totals (customer_id bigint, first_month date, "
        "deposits_fen bigint, loans_fen bigint, wealth_fen bigint, trend real) ON COMMIT DROP"
    )
    _load_customers(raw, spec, plan, result, progress)
    seconds["customers"] = time.perf_counter() - clock

    if spec.months:
        clock = time.perf_counter()
        progress(f"monthly balances: {spec.months} months")
        result.rows["balance snapshots"] = _insert_snapshots(raw, plan)
        seconds["balance snapshots"] = time.perf_counter() - clock
    raw.execute("DROP TABLE bankgen_totals")

    # Other apps' rows (contacts, requests...), while the customer tables are still open.
    context = GenerationContext(
        spec=spec,
        tenant=tenant,
        organisation=organisation,
        today=plan.today,
        cursor=raw,
        progress=progress,
        rows=result.rows,
        seconds=seconds,
    )
    for _name, step in generation_steps():
        with tenant_context(tenant):
            step(context)

    clock = time.perf_counter()
    progress("indexes and foreign keys")
    close_window(raw, window, progress)
    seconds["indexes and keys"] = time.perf_counter() - clock
    clock = time.perf_counter()
    # Without statistics the planner takes the new bank for empty tables and joins badly.
    analysed = [*_tables((*LOADED_MODELS, *ORGANISATION_MODELS)), *context.loaded_tables]
    raw.execute(f"ANALYZE {', '.join(analysed)}")
    seconds["analyze"] = time.perf_counter() - clock
    raw.execute("SET CONSTRAINTS ALL DEFERRED")
    result.seconds = seconds
    return result, context


def _tables(models) -> list[str]:
    return [model._meta.db_table for model in models]


TABLES = {
    "customers": (Customer, population.CUSTOMER_COLUMNS),
    "holdings": (Holding, population.HOLDING_COLUMNS),
    "relationships": (CustomerRelationship, population.RELATIONSHIP_COLUMNS),
    "assignments": (Assignment, population.ASSIGNMENT_COLUMNS),
    "consents": (Consent, population.CONSENT_COLUMNS),
}


def _make_chunk(
    plan: population.Plan, number: int, first_index: int, ids: list[int]
) -> dict[str, tuple[int, bytes]]:
    return population.make_chunk(plan, number, first_index, ids).encoded()


def _load_customers(raw, spec: BankSpec, plan, result: GeneratedBank, progress) -> None:
    """Make the customers chunk by chunk (in worker processes) and COPY each chunk in."""
    total = spec.customers
    chunks = -(-total // spec.chunk_size)
    workers = worker_count(spec.workers, chunks)

    def jobs():
        for number in range(chunks):
            first = number * spec.chunk_size
            count = min(spec.chunk_size, total - first)
            yield number, first, reserve_ids(Customer, count)

    started = time.perf_counter()
    done = 0
    report_every = max(1, chunks // 20)
    for number, chunk in enumerate(made_in_workers(_make_chunk, plan, jobs(), workers)):
        for key, (model, columns) in TABLES.items():
            count, data = chunk[key]
            copy_text(raw, model._meta.db_table, columns, data)
            result.rows[key] = result.rows.get(key, 0) + count
        copy_text(raw, "bankgen_totals", population.TOTAL_COLUMNS, chunk["totals"][1])
        done += chunk["customers"][0]
        if (number + 1) % report_every == 0 or done == total:
            elapsed = time.perf_counter() - started
            progress(
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
