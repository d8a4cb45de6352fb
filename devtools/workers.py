"""Rows made in other processes: the generator's chunks, in order, made ahead by a pool."""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterator
from itertools import islice
from typing import Any


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
