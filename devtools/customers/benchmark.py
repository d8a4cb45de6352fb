"""Customers' benchmark section: the customer list and the customer page.

The list unfiltered, a name prefix search, a surname, a given name, the phone's last four
digits with the surname or the birth year, a phone search and a branch subtree with a tier,
and the customer page, as a head-office member and as a branch's relationship manager:
p50/p95 server time and queries per request against the targets (list p95 <= 60 ms and
<= 10 queries; page p95 <= 80 ms and <= 20 queries). With ``--explain`` it prints each
page's plans on customer tables, as the application role with the tenant set.
"""

from __future__ import annotations

import random
from typing import TextIO

from django.db import transaction
from django.test.utils import override_settings
from django.urls import reverse
from django.utils.http import urlencode

from crm import pii
from crm.tenancy.context import tenant_context
from crm.tenancy.models import Branch, Staff, Tenant
from crm.tenancy.roles import Role
from customers.models import Customer
from devtools.benchmark import (
    LIST_TARGET,
    PAGE_TARGET,
    BenchmarkError,
    Case,
    Measurement,
    Persona,
    explain,
    measure,
    report,
)

SAMPLES = 200  # customers drawn per persona to search for and open


def benchmark_section(tenant: Tenant, *, stdout: TextIO, options: dict) -> int:
    """The customer pages, as each persona; returns how many figures missed their target."""
    rng = random.Random(options.get("seed", 1))
    personas_ = personas(tenant)
    for persona in personas_:
        prepare(tenant, persona, rng)
    # As in production: no query log, no debug templates.
    with override_settings(DEBUG=False):
        results = [
            measure(persona, runs=options.get("runs", 50), warmup=options.get("warmup", 5), rng=rng)
            for persona in personas_
        ]
    missed = 0
    stdout.write(
        "server time per request; queries: the most SQL statements of any request "
        "(with BEGIN/COMMIT/savepoints, which Django also logs, in brackets)"
    )
    for persona, measurements in zip(personas_, results, strict=True):
        stdout.write("")
        stdout.write(f"as {persona.label}")
        missed += report(measurements, stdout)
    if options.get("explain"):
        _explain(tenant, results, stdout)
    return missed


def _explain(tenant: Tenant, results: list[list[Measurement]], stdout: TextIO) -> None:
    for measurements in results:
        for measurement in measurements:
            stdout.write("")
            stdout.write(f"=== {measurement.case.label}, as {measurement.persona.label}")
            for who, sql, plan in explain(tenant, measurement):
                stdout.write(f"--- {who}")
                stdout.write(sql)
                for line in plan:
                    stdout.write(f"    {line}")


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
                .only("pk", "name", "given_name", "kind", "birth_date", "phone_encrypted")
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
    people = [
        customer
        for customer in customers
        if customer.kind == Customer.Kind.INDIVIDUAL and customer.phone_encrypted
    ]
    if not people:
        raise BenchmarkError(f"{tenant.code} has no individual customers with a phone.")
    # The given name as the database derived it; the surname is what comes before it.
    surnames = [
        customer.name[: len(customer.name) - len(customer.given_name)] for customer in people
    ]
    given_names = [customer.given_name for customer in people]
    # The forms counter staff type: "尾号5678 张" and "5678 1985" (see selectors).
    tails_with_surname = [
        f"尾号{pii.decrypt(customer.phone_encrypted)[-4:]} {surname}"
        for customer, surname in zip(people, surnames, strict=True)
    ]
    tails_with_year = [
        f"{pii.decrypt(customer.phone_encrypted)[-4:]} {customer.birth_date.year}"
        for customer in people
        if customer.birth_date
    ]
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
        Case("surname", "surname search", LIST_TARGET, lambda r: listing(q=r.choice(surnames))),
        Case(
            "given_name",
            "given-name search",
            LIST_TARGET,
            lambda r: listing(q=r.choice(given_names)),
        ),
        Case(
            "tail_name",
            "phone tail + surname",
            LIST_TARGET,
            lambda r: listing(q=r.choice(tails_with_surname)),
        ),
        Case(
            "tail_year",
            "phone tail + birth year",
            LIST_TARGET,
            lambda r: listing(q=r.choice(tails_with_year or tails_with_surname)),
        ),
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
