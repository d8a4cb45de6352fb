"""Measure the customer pages of a (generated) bank the way staff use them.

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
from django.urls import reverse
from django.utils.http import urlencode

from crm import pii
from crm.tenancy.context import tenant_context
from crm.tenancy.models import Branch, Staff, Tenant
from crm.tenancy.roles import Role
from customers.models import Customer

SAMPLES = 200  # customers drawn per persona to search for and open


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


def personas(tenant: Tenant) -> list[Persona]:
    """A head-office member who sees the whole bank and a relationship manager of a branch."""
    with tenant_context(tenant):
        staff = Staff.objects.filter(tenant=tenant, is_active=True).select_related(
            "branch", "tenant"
        )
        readers = [
            member
            for member in staff.filter(branch__depth=0).order_by("pk")
            if member.has_perm("customers.view_customer")
        ]
        # A daily user of the list rather than the administrator or the auditor.
        readers.sort(key=lambda member: not member.has_role(Role.MARKETING_MANAGER))
        head_office = readers[0] if readers else None
        managers = staff.with_role(Role.RELATIONSHIP_MANAGER).order_by("branch__depth", "pk")
        # The RM highest in the tree below the head office: a branch's whole subtree.
        branch_rm = managers.filter(branch__depth__gte=1).first() or managers.first()
    if head_office is None or branch_rm is None:
        raise BenchmarkError(
            f"{tenant.code} needs an active head-office member who may view customers and an "
            "active relationship manager: generate it with generate_bank."
        )
    return [
        Persona(f"head office ({head_office.username}, {head_office.branch.name})", head_office),
        Persona(f"branch RM ({branch_rm.username}, {branch_rm.branch.name})", branch_rm),
    ]


def prepare(tenant: Tenant, persona: Persona, rng: random.Random) -> None:
    """Draw what this persona will look for, from customers in their scope."""
    staff = persona.staff
    with tenant_context(tenant), transaction.atomic():
        in_scope = Customer.objects.in_scope(staff)
        bounds = Customer.objects.order_by("pk").values_list("pk", flat=True)
        low, high = bounds.first(), bounds.reverse().first()
        if low is None:
            raise BenchmarkError(f"{tenant.code} has no customers.")
        samples: dict[int, Customer] = {}
        for _ in range(SAMPLES):
            customer = (
                in_scope.filter(pk__gte=rng.randint(low, high))
                .only("pk", "name", "phone_encrypted")
                .order_by("pk")
                .first()
            )
            if customer is not None:
                samples[customer.pk] = customer
        if not samples:
            raise BenchmarkError(f"{staff.username} sees no customers.")
        branches = list(Branch.objects.in_scope(staff).filter(is_active=True))
    customers = list(samples.values())
    phones = [
        pii.decrypt(customer.phone_encrypted) for customer in customers if customer.phone_encrypted
    ]
    if not phones:
        raise BenchmarkError(f"{tenant.code}'s customers have no phone numbers to search for.")
    prefixes = [customer.name[:2] for customer in customers]
    # Branches with sub-branches, below the head office when there are any (a subtree, not
    # the whole bank).
    parents = {branch.parent_id for branch in branches}
    subtrees = [branch for branch in branches if branch.pk in parents]
    subtrees = [branch for branch in subtrees if branch.parent_id] or subtrees or branches
    list_url = reverse("customers:list")

    def listing(**query) -> str:
        return f"{list_url}?{urlencode(query)}" if query else list_url

    persona.cases = [
        Case("list", "list, unfiltered", LIST_TARGET, lambda r: listing()),
        Case("name", "name prefix search", LIST_TARGET, lambda r: listing(q=r.choice(prefixes))),
        Case("phone", "phone search (exact)", LIST_TARGET, lambda r: listing(q=r.choice(phones))),
        Case(
            "filtered",
            "branch subtree + tier",
            LIST_TARGET,
            lambda r: listing(branch=r.choice(subtrees).pk, tier=r.choice(Customer.Tier.values)),
        ),
        Case(
            "page",
            "customer page",
            PAGE_TARGET,
            lambda r: reverse("customers:detail", args=[r.choice(customers).pk]),
        ),
    ]


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


def database_figures() -> list[tuple[str, str]]:
    """PostgreSQL's version and the size of the customer tables (all tenants, with indexes)."""
    tables = (
        "customers_customer",
        "customers_holding",
        "customers_balancesnapshot",
        "customers_assignment",
    )
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        figures = [("PostgreSQL", cursor.fetchone()[0])]
        for table in tables:
            cursor.execute("SELECT pg_size_pretty(pg_total_relation_size(%s::regclass))", [table])
            figures.append((table, cursor.fetchone()[0]))
    return figures


# Sections other apps add to `manage.py benchmark` (customers imports none of them): each is
# called with the tenant, the command's stdout and its options, prints its figures and
# returns how many of them missed their target.
SectionFunction = Callable[..., int]
_sections: dict[str, SectionFunction] = {}


def register_section(name: str, function: SectionFunction) -> None:
    _sections[name] = function


def extra_sections() -> list[tuple[str, SectionFunction]]:
    return sorted(_sections.items())
