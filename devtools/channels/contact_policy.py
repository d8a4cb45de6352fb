"""The contact policy at volume: preferences and holds for ``generate_bank``, and the
``benchmark`` section counting the contactable among every customer of the bank.

The generated bank's consents come from the customers step (45 % answered marketing by SMS,
15 % personalised offers for any channel). This step adds what the policy also weighs, in
shares drawn from a hash of the customer's id (the same bank gets the same rows again):

- 10 % tell the bank how to be contacted: 6 % between 09:00 and 20:00, 2 % until 18:00,
  2 % not at all (do-not-contact);
- 0.3 % are on a contact hold standing for another 25 days (a complaint being handled) and
  0.2 % had one that ended.

The benchmark counts, as the application role under row-level security, the customers the
bank may contact now for each purpose through SMS and through the mobile app (which only
the "any channel" answer speaks for): ``contactable_customers(...).count()``, the median of
three runs after one to warm up, against the issue's target of 2 s for a million customers.
"""

from __future__ import annotations

import statistics
import time
from typing import TextIO

from django.db import connection, transaction

from channels.contact_policy import ContactPurpose, contactable_customers
from crm.tenancy.context import tenant_context
from crm.tenancy.models import Tenant
from customers.models import Customer
from devtools.generation import GenerationContext

TARGET_SECONDS = 2.0
RUNS = 3
CASES = [
    (ContactPurpose.MARKETING, "sms", False),
    (ContactPurpose.MARKETING, "mobile", False),
    (ContactPurpose.PERSONALISED_OFFERS, "sms", False),
    (ContactPurpose.SERVICE, "sms", False),
]

# Each customer's share, 0-999, from hashtext(): the same bank again gets the same rows.
PREFERENCES_SQL = """
INSERT INTO channels_channelpreference
    (tenant_id, customer_id, contact_from, contact_until, do_not_contact, updated_at)
SELECT c.tenant_id, c.id,
       CASE WHEN share < 60 THEN time '09:00' END,
       CASE WHEN share < 60 THEN time '20:00' WHEN share < 80 THEN time '18:00' END,
       share >= 80,
       now()
FROM (SELECT c.tenant_id, c.id, abs(hashtext(c.id::text || %(salt)s)) %% 1000 AS share
      FROM customers_customer c WHERE c.tenant_id = %(tenant)s) c
WHERE share < 100
"""

HOLDS_SQL = """
INSERT INTO channels_contacthold
    (tenant_id, customer_id, reason, source, starts_at, ends_at, created_at)
SELECT c.tenant_id, c.id, '投诉处理中', 'risk.complaint',
       now() - interval '5 days',
       CASE WHEN share < 3 THEN now() + interval '25 days' ELSE now() - interval '2 days' END,
       now() - interval '5 days'
FROM (SELECT c.tenant_id, c.id, abs(hashtext(c.id::text || %(salt)s)) %% 1000 AS share
      FROM customers_customer c WHERE c.tenant_id = %(tenant)s) c
WHERE share < 5
"""


def generate_contact_preferences(context: GenerationContext) -> None:
    """The generation step: preferences and holds of the new bank's customers."""
    clock = time.perf_counter()
    cursor = context.cursor
    parameters = {"tenant": context.tenant.pk, "salt": f"{context.spec.seed}:preference"}
    cursor.execute(PREFERENCES_SQL, parameters)
    context.rows["channel preferences"] = cursor.rowcount
    cursor.execute(HOLDS_SQL, {**parameters, "salt": f"{context.spec.seed}:hold"})
    context.rows["contact holds"] = cursor.rowcount
    context.analysed_tables += ["channels_channelpreference", "channels_contacthold"]
    context.seconds["contact preferences and holds"] = time.perf_counter() - clock


def benchmark_section(tenant: Tenant, *, stdout: TextIO, options: dict) -> int:
    """Count the contactable per purpose and channel; return how many missed the target."""
    missed = 0
    stdout.write(f"  {'purpose, channel':<32}{'contactable':>14}{'median s':>10}   target")
    with tenant_context(tenant):
        for purpose, channel_kind, urgent in CASES:
            contactable = contactable_customers(
                Customer.objects.all(), channel_kind=channel_kind, purpose=purpose, urgent=urgent
            )
            seconds = []
            for run in range(RUNS + 1):
                with transaction.atomic():
                    started = time.perf_counter()
                    count = contactable.count()
                    if run:  # the first run warms the cache
                        seconds.append(time.perf_counter() - started)
            median = statistics.median(seconds)
            met = median <= TARGET_SECONDS
            missed += not met
            stdout.write(
                f"  {f'{purpose.label}, {channel_kind}':<32}{count:>14,}{median:>10.2f}   "
                f"<= {TARGET_SECONDS:.0f} s: {'ok' if met else 'MISSED'}"
            )
            if options.get("explain"):
                with transaction.atomic(), connection.cursor() as cursor:
                    sql, params = contactable.values("pk").query.sql_with_params()
                    cursor.execute(
                        f"EXPLAIN (ANALYZE, BUFFERS) SELECT count(*) FROM ({sql}) q",  # noqa: S608
                        params,
                    )
                    for (line,) in cursor.fetchall():
                        stdout.write(f"      {line}")
    return missed
