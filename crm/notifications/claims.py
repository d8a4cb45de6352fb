"""Claim due work in small batches, so that reminders and escalations survive dead workers.

A periodic job asks for the rows that are due (a reminder not yet sent, a deadline not yet
escalated) and hands each to ``process``, which writes its notification and marks the row
done. Each batch is one transaction that locks its rows with ``FOR UPDATE SKIP LOCKED``:

- two workers never take the same row, and neither waits for the other;
- a worker killed mid-batch rolls its batch back, and the next periodic run claims those
  rows again, because they are still due in the database. Nothing depends on the broker
  redelivering the task (the embedded broker deletes a message when it is fetched; Redis
  redelivers only after an hour);
- the notification's unique key catches what locking cannot: a row processed again after
  a commit whose acknowledgement was lost.

Between batches the job run's heart beats (``crm.jobs.runs.heartbeat``), so a killed run
is recognised as stale within minutes.
"""

import logging
from collections.abc import Callable
from typing import TypeVar

from django.db import models, transaction

from crm.jobs.runs import heartbeat

logger = logging.getLogger(__name__)

BATCH_SIZE = 50

_M = TypeVar("_M", bound=models.Model)


class StillDue(RuntimeError):
    """``process`` left a row due: claiming again would take it forever."""


def claim_due(
    due: models.QuerySet[_M],
    *,
    process: Callable[[_M], None] | None = None,
    process_batch: Callable[[list[_M]], None] | None = None,
    batch_size: int = BATCH_SIZE,
    max_batches: int | None = None,
) -> int:
    """Process every row of ``due`` once, ``batch_size`` rows per transaction.

    ``due`` must select only rows that still need work, and ``process(row)`` must make the
    row leave ``due`` (mark it sent, escalated, expired) in the same transaction in which it
    writes the notification; ``process_batch(rows)`` does the same for a whole batch at
    once. Returns how many rows were processed. Call it outside any transaction: each
    batch commits on its own.
    """
    if (process is None) == (process_batch is None):
        raise TypeError("Give either process or process_batch.")
    if transaction.get_connection().in_atomic_block:
        raise RuntimeError("claim_due commits batch by batch: call it outside a transaction.")
    processed = 0
    batches = 0
    while max_batches is None or batches < max_batches:
        with transaction.atomic():
            # of=("self",): lock the due rows only, not rows of joined tables.
            rows = list(
                due.select_for_update(skip_locked=True, of=("self",)).order_by("pk")[:batch_size]
            )
            if not rows:
                break
            if process_batch is not None:
                process_batch(rows)
            elif process is not None:  # always, given the check above
                for row in rows:
                    process(row)
            if due.filter(pk__in=[row.pk for row in rows]).exists():
                raise StillDue(f"{due.model.__name__}: process() left a claimed row due.")
        processed += len(rows)
        batches += 1
        heartbeat()
        logger.info("claimed and processed %d due %s rows", len(rows), due.model.__name__)
    return processed
