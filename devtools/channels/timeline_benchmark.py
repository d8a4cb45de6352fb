"""Measure the customer page and its timeline for a customer with 10,000 contacts.

The issue's promise is that the timeline stays fast for a customer the bank meets every
day (a shop owner, a company's treasurer). ``manage.py benchmark`` runs this section after
the customer pages: one customer of a relationship manager's book is given 10,000
contacts across every channel (once; they stay, under the source ``benchmark-timeline``),
then the RM opens the customer page, filters the timeline by channel and by kind, and
loads more pages deep in the history, through the same stack as the browser (htmx
requests for the fragments).
"""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal
from typing import TextIO

from django.db import connection, transaction
from django.test.utils import override_settings
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from channels import selectors, services
from channels.models import Channel, Interaction, Outlet
from crm.db.owner import database_owner
from crm.tenancy.context import tenant_context
from crm.tenancy.models import Staff, Tenant
from crm.tenancy.roles import Role
from customers.models import Customer
from devtools import benchmark

CONTACTS = 10_000
SOURCE = "benchmark-timeline"
HISTORY = timedelta(days=3 * 365)
DEEP_PAGES = 40  # "load more" positions drawn from the first 40 pages (800 contacts)
HTMX = {"HX-Request": "true"}

FRAGMENT_TARGET = benchmark.LIST_TARGET
PAGE_TARGET = benchmark.PAGE_TARGET

# What a busy customer's contacts look like: kind, share, summary.
CONTACT_MIX = [
    (Interaction.Kind.TRANSACTION, 60, "转账汇款"),
    (Interaction.Kind.ENQUIRY, 15, "账户余额查询"),
    (Interaction.Kind.SERVICE, 12, "对公账户业务办理"),
    (Interaction.Kind.MARKETING, 8, "理财产品推荐"),
    (Interaction.Kind.CALLBACK, 4, "客户经理回访"),
    (Interaction.Kind.COMPLAINT, 1, "手续费投诉"),
]


def busy_customer(tenant: Tenant) -> tuple[Staff, Customer]:
    """A relationship manager of a branch and the first customer of their book."""
    with tenant_context(tenant):
        managers = (
            Staff.objects.filter(is_active=True, branch__depth__gte=1)
            .with_role(Role.RELATIONSHIP_MANAGER)
            .select_related("branch", "tenant")
            .order_by("branch__depth", "pk")
        )
        for manager in managers[:50]:
            customer = Customer.objects.filter(relationship_manager=manager).order_by("pk").first()
            if customer is not None:
                return manager, customer
    raise benchmark.BenchmarkError(
        f"{tenant.code} has no relationship manager with customers: generate it with generate_bank."
    )


def give_contacts(tenant: Tenant, customer: Customer, rng: random.Random) -> int:
    """Top ``customer`` up to ``CONTACTS`` contacts across channels; return how many were added.

    External ids are numbered per customer, so running the benchmark again adds nothing.
    """
    with tenant_context(tenant), transaction.atomic():
        services.standard_catalog_ensure(tenant=tenant)
        missing = CONTACTS - Interaction.objects.filter(customer=customer).count()
        if missing <= 0:
            return 0
        channels = list(Channel.objects.filter(is_active=True))
        outlets_by_channel: dict[int, list[int]] = {}
        for outlet_id, channel_id in Outlet.objects.filter(
            branch_id=customer.home_branch_id
        ).values_list("id", "channel_id"):
            outlets_by_channel.setdefault(channel_id, []).append(outlet_id)
        kinds = [kind for kind, _share, _summary in CONTACT_MIX]
        shares = [share for _kind, share, _summary in CONTACT_MIX]
        summaries = {kind: summary for kind, _share, summary in CONTACT_MIX}
        now = timezone.now()
        rows = []
        for number in range(missing):
            kind = rng.choices(kinds, shares)[0]
            channel = rng.choice(channels)
            outlets = outlets_by_channel.get(channel.pk)
            rows.append(
                Interaction(
                    tenant_id=tenant.pk,
                    customer_id=customer.pk,
                    channel_id=channel.pk,
                    outlet_id=rng.choice(outlets) if outlets else None,
                    kind=kind,
                    direction=Interaction.Direction.OUTBOUND
                    if kind in (Interaction.Kind.MARKETING, Interaction.Kind.CALLBACK)
                    else Interaction.Direction.INBOUND,
                    occurred_at=now - HISTORY * rng.random(),
                    summary=summaries[kind],
                    outcome="已办结",
                    amount=Decimal(rng.randint(100, 50_000_000)) / 100
                    if kind == Interaction.Kind.TRANSACTION
                    else None,
                    source=SOURCE,
                    external_id=f"{customer.pk}-{number}",
                )
            )
        Interaction.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)
        return missing


def deep_cursors(tenant: Tenant, staff: Staff, customer: Customer) -> list[str]:
    """The "load more" positions of the first ``DEEP_PAGES`` pages of the timeline."""
    cursors = []
    after = ""
    with tenant_context(tenant), transaction.atomic():
        for _page in range(DEEP_PAGES):
            page = selectors.timeline_page(staff, customer, after=after)
            if not page.next_cursor:
                break
            cursors.append(page.next_cursor)
            after = page.next_cursor
    return cursors


def cases(customer: Customer, cursors: list[str]) -> list[benchmark.Case]:
    page_url = reverse("customers:detail", args=[customer.pk])
    timeline_url = reverse("channels:timeline", args=[customer.pk])

    def timeline(**query) -> str:
        return f"{timeline_url}?{urlencode(query)}"

    kinds = [*Interaction.Kind.values, selectors.REQUEST_STEPS]
    return [
        benchmark.Case("page", "customer page", PAGE_TARGET, lambda r: page_url),
        benchmark.Case(
            "channel",
            "timeline by channel",
            FRAGMENT_TARGET,
            lambda r: timeline(channel=r.choice(Channel.Kind.values)),
            HTMX,
        ),
        benchmark.Case(
            "kind",
            "timeline by kind",
            FRAGMENT_TARGET,
            lambda r: timeline(kind=r.choice(kinds)),
            HTMX,
        ),
        benchmark.Case(
            "more",
            "timeline, load more",
            FRAGMENT_TARGET,
            lambda r: timeline(after=r.choice(cursors)),
            HTMX,
        ),
    ]


def benchmark_section(tenant: Tenant, *, stdout: TextIO, options: dict) -> int:
    """The timeline section of ``manage.py benchmark`` (registered in DevtoolsConfig.ready)."""
    rng = random.Random(options.get("seed", 1))
    staff, customer = busy_customer(tenant)
    added = give_contacts(tenant, customer, rng)
    if added:
        # Fresh statistics, as autovacuum would give them later: without them the planner
        # takes the customer for one with a handful of contacts and the first runs miss.
        with database_owner(), connection.cursor() as cursor:
            cursor.execute("ANALYZE channels_interaction")
    cursors = deep_cursors(tenant, staff, customer)
    if not cursors:
        raise benchmark.BenchmarkError(f"The timeline of customer {customer.pk} has one page.")
    persona = benchmark.Persona(f"{staff.username}, {staff.branch.name}", staff)
    persona.cases = cases(customer, cursors)
    with override_settings(DEBUG=False):
        measurements = benchmark.measure(
            persona, runs=options.get("runs", 50), warmup=options.get("warmup", 5), rng=rng
        )
    stdout.write(
        f"  customer {customer.number} with {CONTACTS:,} contacts "
        f"({added:,} added now), as {persona.label}"
    )
    return benchmark.report(measurements, stdout)
