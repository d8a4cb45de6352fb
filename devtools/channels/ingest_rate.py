"""Measure how many contacts a second ``POST /api/v1/interactions/bulk`` takes in.

Batches go through the whole stack a partner's call goes through: Django's test client, the
OAuth2 bearer token of a partner application of the bank, throttling, the tenant's row-level
security as the application role, checking every item, one set-based insert, one
transaction per call and its commit (with the deferred foreign-key checks). Each run sends
new external ids, so every contact is really written; they stay in the bank afterwards,
under the source ``benchmark``. The request bodies are built before the clock starts: a
partner's serialization is not the server's work.

Call it with a bank that has customers (``generate_bank`` makes one)::

    from devtools.channels.ingest_rate import measure_ingest
    measure_ingest(tenant, batches=20, batch_size=1000, stdout=self.stdout)
"""

from __future__ import annotations

import json
import math
import random
import secrets
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TextIO

from django.conf import settings
from django.db import connection, transaction
from django.test import Client
from django.test.utils import override_settings
from django.urls import reverse
from django.utils import timezone
from oauth2_provider.models import get_access_token_model

from channels import services
from channels.models import Channel, Interaction, Outlet
from crm.api.scopes import SCOPES
from crm.tenancy.context import platform_wide, tenant_context
from crm.tenancy.models import PartnerApplication, Tenant
from customers.models import Customer
from devtools.benchmark import BenchmarkError

TARGET_PER_SECOND = 5000
SOURCE = "benchmark"
CUSTOMER_SAMPLE = 20_000  # customers the contacts are spread over
TOKEN_LIFETIME = timedelta(hours=1)

# The mix of contacts a bank's partner systems report: kind, share, summary.
CONTACTS = [
    (Interaction.Kind.TRANSACTION, 50, "转账汇款"),
    (Interaction.Kind.ENQUIRY, 20, "余额及理财产品咨询"),
    (Interaction.Kind.SERVICE, 15, "挂失补卡"),
    (Interaction.Kind.MARKETING, 10, "理财产品推荐短信"),
    (Interaction.Kind.COMPLAINT, 3, "投诉手续费"),
    (Interaction.Kind.CALLBACK, 2, "客户经理回访"),
]


class IngestBenchmarkError(Exception):
    pass


@dataclass
class IngestMeasurement:
    batches: int
    batch_size: int
    milliseconds: list[float] = field(default_factory=list)  # per call
    queries: list[int] = field(default_factory=list)  # SQL statements per call

    @property
    def interactions(self) -> int:
        return self.batches * self.batch_size

    @property
    def per_second(self) -> float:
        return self.interactions / (sum(self.milliseconds) / 1000)

    def percentile(self, share: float) -> float:
        ordered = sorted(self.milliseconds)
        return ordered[max(0, math.ceil(share * len(ordered)) - 1)]

    @property
    def met(self) -> bool:
        return self.per_second >= TARGET_PER_SECOND


def measure_ingest(
    tenant: Tenant,
    *,
    batches: int,
    batch_size: int = 1000,
    stdout: TextIO,
    warmup: int = 1,
    seed: int | None = None,
) -> IngestMeasurement:
    """Post ``batches`` batches of ``batch_size`` new contacts for ``tenant``; print the rate.

    ``warmup`` batches go first and are not counted. Prints interactions per second, p50
    and p95 milliseconds per call and the statements per call, and returns the figures.
    """
    if batches < 1 or not 1 <= batch_size <= 1000 or warmup < 0:
        raise ValueError("batches >= 1, 1 <= batch_size <= 1000 and warmup >= 0, please.")
    rng = random.Random(seed)
    with tenant_context(tenant):
        customers, channels = _customers_and_channels(tenant)
        application = _partner_application(tenant)
    run = uuid.uuid4().hex[:12]
    bodies = [
        _batch_body(rng, run, number, batch_size, customers, channels)
        for number in range(warmup + batches)
    ]
    token = _issue_token(application)
    client = Client(HTTP_HOST=_host(), headers={"authorization": f"Bearer {token}"})
    url = reverse("interaction-bulk")
    measurement = IngestMeasurement(batches=batches, batch_size=batch_size)
    statements = 0

    def count(execute, sql, params, many, context):
        nonlocal statements
        statements += 1
        return execute(sql, params, many, context)

    try:
        # As in production: no query log.
        with override_settings(DEBUG=False), connection.execute_wrapper(count):
            for number, body in enumerate(bodies):
                statements = 0
                started = time.perf_counter()
                response = client.post(url, body, content_type="application/json")
                elapsed = (time.perf_counter() - started) * 1000
                if response.status_code == 429:
                    raise IngestBenchmarkError(
                        "The partner throttle (API_RATE_LIMIT) stopped the benchmark: measure "
                        "fewer batches or raise the limit."
                    )
                if response.status_code != 200 or response.json()["created"] != batch_size:
                    raise IngestBenchmarkError(
                        f"POST {url}: {response.status_code} {response.content[:500]!r}"
                    )
                if number >= warmup:
                    measurement.milliseconds.append(elapsed)
                    measurement.queries.append(statements)
    finally:
        with platform_wide():
            get_access_token_model().objects.filter(application=application).delete()
        # The bank is left as it was found: the measured contacts are not real ones.
        with tenant_context(tenant), transaction.atomic():
            removed, _by_model = Interaction.objects.filter(
                source=SOURCE, external_id__prefix=f"{run}-"
            ).delete()
    _report(measurement, tenant, len(customers), stdout)
    stdout.write(f"  {removed:,} contacts sent for the measurement, removed again\n")
    return measurement


def _customers_and_channels(tenant: Tenant) -> tuple[list[str], list[tuple[str, list[str]]]]:
    """Customer numbers to use, and each active channel's code with its outlets' codes."""
    customers = list(
        Customer.objects.order_by("pk").values_list("number", flat=True)[:CUSTOMER_SAMPLE]
    )
    if not customers:
        raise IngestBenchmarkError(
            f"{tenant.code} has no customers: generate it with generate_bank."
        )
    if not Channel.objects.exists():
        with transaction.atomic():
            services.standard_catalog_ensure(tenant=tenant)
    outlets: dict[int, list[str]] = {}
    for channel_id, code in Outlet.objects.filter(is_active=True).values_list("channel_id", "code"):
        outlets.setdefault(channel_id, []).append(code)
    channels = [
        (code, outlets.get(pk, []))
        for pk, code in Channel.objects.filter(is_active=True).values_list("pk", "code")
    ]
    if not channels:
        raise IngestBenchmarkError(f"{tenant.code} has no active channel.")
    return customers, channels


def _partner_application(tenant: Tenant) -> PartnerApplication:
    """The bank's benchmark partner, created with every scope the first time."""
    client_id = f"{tenant.code}-ingest-benchmark"
    scopes = " ".join(sorted(SCOPES))
    with transaction.atomic():
        application = PartnerApplication.objects.filter(client_id=client_id).first()
        if application is None:
            application = PartnerApplication.objects.create(
                tenant=tenant,
                name="Ingest benchmark",
                client_id=client_id,
                client_secret=secrets.token_urlsafe(32),
                client_type=PartnerApplication.CLIENT_CONFIDENTIAL,
                authorization_grant_type=PartnerApplication.GRANT_CLIENT_CREDENTIALS,
                scope=scopes,
            )
        elif application.scope != scopes or not application.is_active:
            application.scope, application.is_active = scopes, True
            application.save(update_fields=["scope", "is_active", "updated"])
    return application


def _issue_token(application: PartnerApplication) -> str:
    token = secrets.token_urlsafe(32)
    with platform_wide(), transaction.atomic():
        get_access_token_model().objects.create(
            application=application,
            token=token,
            expires=timezone.now() + TOKEN_LIFETIME,
            scope="interactions:write",
        )
    return token


def _batch_body(
    rng: random.Random,
    run: str,
    number: int,
    size: int,
    customers: list[str],
    channels: list[tuple[str, list[str]]],
) -> bytes:
    kinds = [kind for kind, _share, _summary in CONTACTS]
    shares = [share for _kind, share, _summary in CONTACTS]
    summaries = {kind: summary for kind, _share, summary in CONTACTS}
    now = timezone.now()
    items = []
    for index, kind in enumerate(rng.choices(kinds, shares, k=size)):
        channel, outlets = rng.choice(channels)
        item = {
            "source": SOURCE,
            "external_id": f"{run}-{number}-{index}",
            "customer_number": rng.choice(customers),
            "channel": channel,
            "kind": kind,
            "direction": "outbound" if kind == Interaction.Kind.MARKETING else "inbound",
            "occurred_at": (now - timedelta(seconds=rng.randint(0, 30 * 86400))).isoformat(),
            "summary": summaries[kind],
            "outcome": "已办结",
        }
        if kind == Interaction.Kind.TRANSACTION:
            item["amount"] = f"{rng.randint(100, 5_000_000) / 100:.2f}"
        if outlets:
            item["outlet"] = rng.choice(outlets)
        items.append(item)
    return json.dumps({"items": items}, ensure_ascii=False).encode()


def _host() -> str:
    for host in settings.ALLOWED_HOSTS:
        if host != "*" and not host.startswith("."):
            return host
    return "localhost"


def _report(measurement: IngestMeasurement, tenant: Tenant, customers: int, stdout) -> None:
    verdict = "ok" if measurement.met else "MISSED"
    stdout.write(
        f"interactions through POST /api/v1/interactions/bulk ({tenant.code}, contacts spread "
        f"over {customers:,} customers): {measurement.batches} calls of "
        f"{measurement.batch_size:,}\n"
    )
    stdout.write(
        f"  {measurement.per_second:,.0f} interactions/s; per call p50 "
        f"{measurement.percentile(0.5):.1f} ms, p95 {measurement.percentile(0.95):.1f} ms, "
        f"{max(measurement.queries)} SQL statements per call; "
        f"target >= {TARGET_PER_SECOND:,}/s: {verdict}\n"
    )


def benchmark_section(tenant: Tenant, *, stdout: TextIO, options: dict) -> int:
    """The ingest section of ``manage.py benchmark`` (registered in DevtoolsConfig.ready)."""
    batches = options.get("ingest_batches", 20)
    if batches <= 0:
        stdout.write("  skipped (--ingest-batches 0)")
        return 0
    try:
        return 0 if measure_ingest(tenant, batches=batches, stdout=stdout).met else 1
    except IngestBenchmarkError as error:
        raise BenchmarkError(str(error)) from None
