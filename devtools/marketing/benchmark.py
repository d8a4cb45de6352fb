"""``benchmark``'s scoring section: a month of the whole bank scored and tiered, timed.

The latest scored month is scored again as an administrator's re-run does it
(``services.scoring_rerun``: the three passes of ``marketing.scoring`` — figures, tiers,
the copy of changed tiers to customers — and the run's record), as the application role
under row-level security, in a transaction rolled back after each run so that the bank is
left as it was. The first run is reported apart (its pages mostly not in shared buffers
yet; a truly cold run needs a restarted server, see docs/benchmarks.md), then the median
of the warm ones, against the issue's 60 s for a million customers. ``--explain`` adds one
run that prints each statement's plan (EXPLAIN ANALYZE, BUFFERS), not timed.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import TextIO

from django.db import connection, transaction
from django.db.models import Max

from crm.tenancy.context import tenant_context
from crm.tenancy.models import Staff, Tenant
from crm.tenancy.roles import Role
from marketing.models import ScoringRun
from marketing.services import scoring_rerun

TARGET_SECONDS = 60.0
WARM_RUNS = 2
# The statements of the scoring passes: each names the table the passes write.
SCORING_TABLE = "marketing_customervalue"


def benchmark_section(tenant: Tenant, *, stdout: TextIO, options: dict) -> int:
    """Time the scoring of the latest scored month; return how many targets were missed."""
    with tenant_context(tenant):
        month = ScoringRun.objects.filter(status=ScoringRun.Status.FINISHED).aggregate(
            latest=Max("month")
        )["latest"]
        if month is None:
            stdout.write("  no scored month: generate the bank with --scored-months 1 or more")
            return 1
        admin = Staff.objects.filter(tenant=tenant, groups__name=Role.TENANT_ADMIN).first()
        seconds = []
        for attempt in range(1 + WARM_RUNS + bool(options.get("explain"))):
            explaining = attempt > WARM_RUNS
            with transaction.atomic():
                started = time.perf_counter()
                with statement_plans(stdout) if explaining else nullcontext():
                    run = scoring_rerun(month=month, actor=admin, reason="benchmark")
                if not explaining:
                    seconds.append(time.perf_counter() - started)
                transaction.set_rollback(True)
    first, warm = seconds[0], statistics.median(seconds[1:])
    met = warm <= TARGET_SECONDS
    stdout.write(
        f"  {month:%Y-%m}: {run.customers:,} customers, {run.tier_changes:,} tier changes "
        f"(a re-run: the customers hold the month's tiers already)"
    )
    stdout.write(f"  {'first run':<32}{first:>10.1f} s")
    stdout.write(
        f"  {'warm, median of ' + str(WARM_RUNS):<32}{warm:>10.1f} s   "
        f"<= {TARGET_SECONDS:.0f} s: {'ok' if met else 'MISSED'}"
    )
    return int(not met)


@contextmanager
def statement_plans(stdout: TextIO) -> Iterator[None]:
    """Print the plan of each scoring statement run inside, then run it for real.

    EXPLAIN ANALYZE runs the statement too: it does so in a savepoint rolled back at once,
    so that the real statement finds the rows as they were.
    """

    def explain(execute, sql, params, many, context):
        if not many and SCORING_TABLE in sql:
            raw = context["cursor"].cursor  # psycopg's own: not through this wrapper again
            with transaction.atomic():
                raw.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
                plan = [line for (line,) in raw.fetchall()]
                transaction.set_rollback(True)
            stdout.write(f"    {sql.split()[0]} ... ({len(sql):,} characters of SQL)")
            for line in plan:
                stdout.write(f"      {line}")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(explain):
        yield
