"""Steps that other apps add to ``generate_bank`` (customers imports none of them).

An app above customers registers a function in its ``AppConfig.ready()``::

    from customers.bankgen import register_generation_step
    register_generation_step("channels", "channels.bankgen.generate_channels")

``generate_bank`` calls each registered function, in the order of registration, once the
customers and their balances are loaded: inside the bank's one transaction, as the tables'
owner, with the new bank as the current tenant and the customer tables still in their load
window (no secondary indexes, foreign keys or history triggers until the generator closes
it). The function gets a ``GenerationContext``: the options, the tenant and its
organisation, COPY, worker processes, a load window of its own for the tables it fills, and
a way to run work after the commit.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from itertools import islice
from typing import TYPE_CHECKING, Any

from django.utils.module_loading import import_string

from customers.bankgen.bulkload import Progress, close_window, copy_text, open_window, reserve_ids

if TYPE_CHECKING:
    from crm.tenancy.models import Tenant
    from customers.bankgen import BankSpec
    from customers.bankgen.organisation import Organisation

GenerationFunction = Callable[["GenerationContext"], None]
_steps: dict[str, GenerationFunction | str] = {}


def register_generation_step(name: str, function: GenerationFunction | str) -> None:
    """Have ``generate_bank`` call ``function(context)`` after loading the customers.

    ``function`` may be a dotted path, imported when a bank is generated (so that
    registering costs nothing at start-up). Registering a name again replaces its step.
    """
    _steps[name] = function


def generation_steps() -> list[tuple[str, GenerationFunction]]:
    return [
        (name, import_string(function) if isinstance(function, str) else function)
        for name, function in _steps.items()
    ]


@dataclass
class GenerationContext:
    """What a step gets: the bank being generated and the generator's machinery."""

    spec: BankSpec
    tenant: Tenant
    organisation: Organisation
    today: date
    cursor: Any  # psycopg's own cursor, as the owner, in the bank's transaction
    progress: Progress
    rows: dict[str, int]  # what the command reports: add the rows you made
    seconds: dict[str, float]  # and the time each phase took
    loaded_tables: list[str] = field(default_factory=list)
    after_commit_work: list[tuple[str, Callable[[], None]]] = field(default_factory=list)

    def copy(self, table: str, columns: Iterable[str], data: bytes) -> None:
        """Stream COPY text (tab-separated lines, escaped, each ending in a newline)."""
        copy_text(self.cursor, table, columns, data)

    def reserve_ids(self, model, count: int) -> list[int]:
        return reserve_ids(model, count)

    @contextmanager
    def load_window(self, models, *, label: str) -> Iterator[None]:
        """Fill ``models``' tables inside the block, the way the customer tables are filled.

        Their history triggers are off, their secondary indexes and the foreign keys from
        and to them dropped; at the end of the block the indexes are built once and each
        key is checked by one join (``label`` names that phase in the timings). The tables
        are analysed with the customer tables and vacuumed after the commit.
        """
        tables = [model._meta.db_table for model in models]
        window = open_window(self.cursor, tables)
        yield
        started = time.perf_counter()
        self.progress(f"{label}: indexes and foreign keys")
        close_window(self.cursor, window, self.progress)
        self.seconds[f"{label}: indexes and keys"] = time.perf_counter() - started
        self.loaded_tables.extend(table for table in tables if table not in self.loaded_tables)

    def workers_for(self, chunks: int) -> int:
        """Processes to make ``chunks`` chunks of rows in (the --workers option, or a default)."""
        return worker_count(self.spec.workers, chunks)

    def after_commit(self, label: str, work: Callable[[], None]) -> None:
        """Run ``work`` once the bank is committed and vacuumed, with the bank current.

        Its time is reported under ``label``. Inside an outer transaction (tests) it runs
        at the end of the generation, in that transaction.
        """
        self.after_commit_work.append((label, work))


# --- rows made in other processes ------------------------------------------------------------


def worker_count(workers: int | None, chunks: int) -> int:
    """``workers`` if given, else one per core but one (the database needs the other)."""
    if workers is not None:
        return workers
    return max(1, (os.cpu_count() or 2) - 1) if chunks > 2 else 0


_worker_make: Callable | None = None
_worker_plan: Any = None


def _start_worker(make: Callable, plan: Any) -> None:
    global _worker_make, _worker_plan
    _worker_make, _worker_plan = make, plan


def _run_in_worker(job: tuple) -> Any:
    return _worker_make(_worker_plan, *job)


def made_in_workers(make: Callable, plan: Any, jobs: Iterator[tuple], workers: int) -> Iterator:
    """Yield ``make(plan, *job)`` for each job, in order; with workers, made ahead elsewhere.

    ``make`` must be a module-level function and its results picklable; with ``workers`` 0
    everything runs in this process. Jobs are taken lazily, at most two per worker ahead
    of the consumer, so the parent may read them from the database as it goes.
    """
    jobs = iter(jobs)
    if not workers:
        for job in jobs:
            yield make(plan, *job)
        return
    # fork: the workers inherit the configured settings (keys for crm.pii) and never use
    # the parent's database connection.
    context = multiprocessing.get_context("fork")
    with context.Pool(workers, initializer=_start_worker, initargs=(make, plan)) as pool:
        pending = deque(
            pool.apply_async(_run_in_worker, (job,)) for job in islice(jobs, workers * 2)
        )
        while pending:
            result = pending.popleft().get()
            job = next(jobs, None)
            if job is not None:
                pending.append(pool.apply_async(_run_in_worker, (job,)))
            yield result
