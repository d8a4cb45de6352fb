"""Generate a bank of realistic size for measuring the product (``manage.py generate_bank``).

One new tenant, and then what each app's registered generation step makes of it (see
``devtools.registry``): customers makes the organisation (branches, staff with roles,
products) and customers by the million with everything they hold; channels adds outlets,
contacts and service requests. Everything large goes in by COPY inside a load window (see
``bulkload``), in one transaction: either the whole bank is there or nothing is. Then the
loaded tables are analysed, vacuumed after the commit, and each step's after-commit work
(channels' roll-up) runs as the application role.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pghistory
from django.db import connection, transaction
from django.utils import timezone

from crm.db.owner import database_owner
from crm.shell.demo import DEMO_PASSWORD
from crm.tenancy.context import platform_wide, tenant_context
from crm.tenancy.models import Tenant
from devtools.bulkload import Progress, close_window, copy_text, delete_tenant_rows, open_window
from devtools.bulkload import reserve_ids as reserve_model_ids
from devtools.registry import generation_steps, with_defaults
from devtools.workers import worker_count

__all__ = ["BankExists", "BankSpec", "GeneratedBank", "GenerationContext", "generate_bank"]


class BankExists(Exception):
    """A tenant with the code already exists and replacing it was not asked for."""


@dataclass(frozen=True)
class BankSpec:
    """The bank as a whole; what each app makes of it is in ``options`` (its arguments)."""

    code: str = "bigbank"
    name: str = "百川商业银行股份有限公司"
    short_name: str = "百川银行"
    seed: int = 2026
    replace: bool = False
    workers: int | None = None  # processes making rows; None: one per core but one
    chunk_size: int = 10_000
    password: str = DEMO_PASSWORD
    # The registered steps' options by destination, e.g. {"customers": 1_000_000}; those
    # missing take their argument's default.
    options: dict[str, Any] = field(default_factory=dict)


@dataclass
class GeneratedBank:
    tenant: Tenant
    rows: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


@dataclass
class GenerationContext:
    """What a step gets: the bank being generated and the generator's machinery."""

    spec: BankSpec
    options: dict[str, Any]  # every step's options, defaults filled in
    tenant: Tenant
    today: date
    cursor: Any  # psycopg's own cursor, as the owner, in the bank's transaction
    progress: Progress
    rows: dict[str, int]  # what the command reports: add the rows you made
    seconds: dict[str, float]  # and the time each phase took
    # What earlier steps made for later ones (customers: its "organisation").
    made: dict[str, Any] = field(default_factory=dict)
    loaded_tables: list[str] = field(default_factory=list)  # analysed, then vacuumed
    analysed_tables: list[str] = field(default_factory=list)  # analysed only
    after_commit_work: list[tuple[str, Callable[[], None]]] = field(default_factory=list)

    def copy(self, table: str, columns: Iterable[str], data: bytes) -> None:
        """Stream COPY text (tab-separated lines, escaped, each ending in a newline)."""
        copy_text(self.cursor, table, columns, data)

    def reserve_ids(self, model, count: int) -> list[int]:
        return reserve_model_ids(model, count)

    @contextmanager
    def load_window(self, models, *, label: str) -> Iterator[None]:
        """Fill ``models``' tables inside the block, as PostgreSQL's manual advises.

        Their history triggers are off, their secondary indexes and the foreign keys from
        and to them dropped; at the end of the block the indexes are built once and each
        key is checked by one join (``label`` names that phase in the timings). The tables
        are analysed at the end of the generation and vacuumed after the commit.
        """
        tables = [model._meta.db_table for model in models]
        window = open_window(self.cursor, tables)
        yield
        started = time.perf_counter()
        self.progress(f"{label}: indexes and foreign keys")
        close_window(self.cursor, window, self.progress)
        self.seconds[f"{label}: indexes and keys"] = time.perf_counter() - started
        self.loaded_tables.extend(table for table in tables if table not in self.loaded_tables)

    def analyse(self, models) -> None:
        """Have ``models``' tables analysed at the end (small ones the big ones join to)."""
        self.analysed_tables.extend(model._meta.db_table for model in models)

    def workers_for(self, chunks: int) -> int:
        """Processes to make ``chunks`` chunks of rows in (the --workers option, or a default)."""
        return worker_count(self.spec.workers, chunks)

    def after_commit(self, label: str, work: Callable[[], None]) -> None:
        """Run ``work`` once the bank is committed and vacuumed, with the bank current.

        Its time is reported under ``label``. Inside an outer transaction (tests) it runs
        at the end of the generation, in that transaction.
        """
        self.after_commit_work.append((label, work))


def generate_bank(spec: BankSpec, progress: Callable[[str], None] = lambda message: None):
    """Create the bank described by ``spec``; raise BankExists if its code is taken."""
    started = time.perf_counter()
    with database_owner(), pghistory.context(command="generate_bank"):
        with transaction.atomic():
            result, context = _generate(spec, progress)
        # VACUUM cannot run inside a transaction (the tests').
        if context.loaded_tables and not connection.in_atomic_block:
            # Fresh rows have no visibility map yet: without it, every index scan visits
            # the heap and the first readers set hint bits on millions of rows.
            clock = time.perf_counter()
            progress("vacuum")
            with connection.cursor() as cursor:
                cursor.execute(f"VACUUM {', '.join(context.loaded_tables)}")
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
    if spec.replace:
        progress(f"deleting the rows of {tenant.code}")
        delete_tenant_rows(raw, tenant.pk, progress)
        seconds["delete"] = time.perf_counter() - clock

    steps = generation_steps()
    context = GenerationContext(
        spec=spec,
        options=with_defaults(steps, spec.options),
        tenant=tenant,
        today=timezone.localdate(),
        cursor=raw,
        progress=progress,
        rows=result.rows,
        seconds=seconds,
    )
    for step in steps:
        with tenant_context(tenant):
            step.load()(context)

    if context.loaded_tables or context.analysed_tables:
        clock = time.perf_counter()
        # Without statistics the planner takes the new bank for empty tables and joins badly.
        analysed = [*context.loaded_tables, *context.analysed_tables]
        raw.execute(f"ANALYZE {', '.join(dict.fromkeys(analysed))}")
        seconds["analyze"] = time.perf_counter() - clock
    raw.execute("SET CONSTRAINTS ALL DEFERRED")
    result.seconds = seconds
    return result, context
