"""Measure pages of a (generated) bank the way staff use them: the sections' machinery.

Each page is requested through Django's test client, so the whole stack runs: middleware,
the tenant's row-level security as the application role, the view, the templates. The
server time of each request is taken with ``time.perf_counter`` and its queries counted
with ``CaptureQueriesContext``; every run asks for something else (another name, phone,
branch or customer) so that one lucky cached row does not make the figures.
"""

from __future__ import annotations

import logging
import math
import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from crm.tenancy.context import tenant_context
from crm.tenancy.models import Staff, Tenant


@dataclass(frozen=True)
class Target:
    p95_ms: float
    max_queries: int


LIST_TARGET = Target(p95_ms=60, max_queries=10)
PAGE_TARGET = Target(p95_ms=80, max_queries=20)


@dataclass
class Case:
    key: str
    label: str
    target: Target
    url: Callable[[random.Random], str]
    headers: dict[str, str] = field(default_factory=dict)  # e.g. htmx's HX-Request


@dataclass
class Persona:
    label: str
    staff: Staff
    cases: list[Case] = field(default_factory=list)


# Django logs transaction control with the queries; it is not a query of the page's.
TRANSACTION_CONTROL = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b", re.IGNORECASE)


@dataclass
class Measurement:
    persona: Persona
    case: Case
    milliseconds: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)  # SQL statements per request
    statements: list[int] = field(default_factory=list)  # with BEGIN, COMMIT, savepoints
    sql: list[str] = field(default_factory=list)  # of the first measured request

    def percentile(self, share: float) -> float:
        ordered = sorted(self.milliseconds)
        return ordered[max(0, math.ceil(share * len(ordered)) - 1)]

    @property
    def max_queries(self) -> int:
        return max(self.queries)

    @property
    def max_statements(self) -> int:
        return max(self.statements)

    @property
    def met(self) -> bool:
        return (
            self.percentile(0.95) <= self.case.target.p95_ms
            and self.max_queries <= self.case.target.max_queries
        )


class BenchmarkError(Exception):
    pass


def _host() -> str:
    for host in settings.ALLOWED_HOSTS:
        if host != "*" and not host.startswith("."):
            return host
    return "localhost"


def measure(persona: Persona, *, runs: int, warmup: int, rng: random.Random) -> list[Measurement]:
    client = Client(HTTP_HOST=_host())
    axes = logging.getLogger("axes")
    level = axes.level
    axes.setLevel(logging.WARNING)  # one log-in per persona is not news
    try:
        client.force_login(persona.staff)
    finally:
        axes.setLevel(level)
    results = []
    for case in persona.cases:
        measurement = Measurement(persona, case)
        for run in range(warmup + runs):
            url = case.url(rng)
            with CaptureQueriesContext(connection) as captured:
                started = time.perf_counter()
                response = client.get(url, headers=case.headers)
                elapsed = (time.perf_counter() - started) * 1000
            if response.status_code != 200:
                raise BenchmarkError(
                    f"GET {url} as {persona.staff.username}: {response.status_code}"
                )
            if run < warmup:
                continue
            statements = [query["sql"] for query in captured.captured_queries]
            queries = [sql for sql in statements if not TRANSACTION_CONTROL.match(sql)]
            if not measurement.sql:
                measurement.sql = queries
            measurement.milliseconds.append(elapsed)
            measurement.queries.append(len(queries))
            measurement.statements.append(len(statements))
        results.append(measurement)
    return results


def report(measurements: list[Measurement], stdout) -> int:
    """Print one line per page measured; return how many missed their target."""
    missed = 0
    stdout.write(f"  {'page':<24}{'p50 ms':>9}{'p95 ms':>9}{'queries':>13}   target")
    for measurement in measurements:
        target = measurement.case.target
        verdict = "ok" if measurement.met else "MISSED"
        missed += not measurement.met
        queries = f"{measurement.max_queries} ({measurement.max_statements})"
        stdout.write(
            f"  {measurement.case.label:<24}"
            f"{measurement.percentile(0.5):>9.1f}{measurement.percentile(0.95):>9.1f}"
            f"{queries:>13}   "
            f"p95 <= {target.p95_ms:.0f} ms, <= {target.max_queries} queries: {verdict}"
        )
    return missed


def explain(tenant: Tenant, measurement: Measurement) -> list[tuple[str, str, list[str]]]:
    """Plans of the request's queries, as the application role with the tenant set sees them.

    Returns (role and tenant the plan ran as, query, plan lines) per query.
    """
    plans = []
    for sql in measurement.sql:
        if not sql.lstrip().upper().startswith("SELECT"):
            continue
        with tenant_context(tenant), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT current_user, app_current_tenant()")
            role, claimed_tenant = cursor.fetchone()
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
            lines = [row[0] for row in cursor.fetchall()]
        plans.append((f"as {role}, claimed tenant {claimed_tenant}", sql, lines))
    return plans


def database_figures(tables: list[str]) -> list[tuple[str, str]]:
    """PostgreSQL's version and the size of ``tables`` (all tenants, with indexes)."""
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        figures = [("PostgreSQL", cursor.fetchone()[0])]
        for table in tables:
            cursor.execute("SELECT pg_size_pretty(pg_total_relation_size(%s::regclass))", [table])
            figures.append((table, cursor.fetchone()[0]))
    return figures
