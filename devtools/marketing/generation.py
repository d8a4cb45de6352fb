"""Marketing's generation step: the standard spreads for the bank's products, and monthly
contribution figures from the finance system for about 70 % of customers.

The figures are derived from the monthly balances the customers step made, in the
database, by one ``INSERT ... SELECT`` into the contribution table while it is in a load
window (no indexes, no history triggers): 17 M rows for 1,000,000 customers and 24 months
would otherwise make a round trip through Python and COPY for nothing the database does
not already hold. Deterministic: which customers are fed, their noise and their losses
come from a hash of the customer's id and the bank's seed, not from ``random()``.

About 5 % of the fed customers cost the bank in some months (a write-off, waived fees):
their other income then outweighs the rest, so that the month's total is below zero.
"""

from __future__ import annotations

import time
from datetime import date

from django.utils import timezone

from crm.months import add_months
from devtools.generation import GenerationContext
from marketing import services
from marketing.models import Contribution, ProductSpread
from marketing.services import STANDARD_SPREADS

FED_PER_10000 = 7_000  # customers the finance system reports on
BELOW_ZERO_PER_10000 = 350  # of all customers: 5 % of the fed ones
# Since when the generated bank has priced its products: before any balance.
SPREADS_FROM = date(2000, 1, 1)

SPREADS_INSERT = """
INSERT INTO marketing_productspread (tenant_id, product_id, annual_rate, valid_from)
SELECT p.tenant_id, p.id, rates.annual_rate, %(valid_from)s
  FROM customers_product AS p
  JOIN unnest(%(categories)s::varchar[], %(rates)s::numeric[]) AS rates(category, annual_rate)
       ON rates.category = p.category
 WHERE p.tenant_id = %(tenant)s
"""

# u: the customer's draw in [0, 1); m: the customer-month's. A month's figure is its
# balance's spread over 12, give or take a fifth.
CONTRIBUTIONS_INSERT = """
INSERT INTO marketing_contribution
       (tenant_id, customer_id, month, deposit_interest, loan_interest, fee_income,
        other_income, received_at)
SELECT s.tenant_id, s.customer_id, s.month,
       round(s.deposits * %(deposit)s / 12 * (0.8 + 0.4 * m), 2),
       round(s.loans * %(loan)s / 12 * (0.8 + 0.4 * m), 2),
       round(s.wealth * %(wealth)s / 12 * (0.8 + 0.4 * m), 2),
       CASE WHEN u * 10000 < %(below_zero)s AND m < 0.5
            THEN -round((s.deposits * %(deposit)s + s.loans * %(loan)s
                         + s.wealth * %(wealth)s) / 12 * 1.2 + 100 + 4000 * m, 2)
            ELSE round(50 * m, 2)
       END,
       least(s.month + interval '1 month 5 days', %(now)s)
  FROM customers_balancesnapshot AS s
 CROSS JOIN LATERAL (
       SELECT abs(hashint8extended(s.customer_id, %(seed)s) %% 1000003) / 1000003.0 AS u,
              abs(hashint8extended(s.customer_id,
                                   %(seed)s + 1 + (s.month - DATE '2000-01-01'))
                  %% 1000003) / 1000003.0 AS m
       ) AS draw
 WHERE s.tenant_id = %(tenant)s
   AND s.month >= %(first_month)s
   AND u * 10000 < %(fed)s
"""


def generate_marketing(context: GenerationContext) -> None:
    """The generation step: spreads for every product, then the contribution feed."""
    raw = context.cursor
    clock = time.perf_counter()
    # A replaced bank lost its rules and policies with its rows; a new one has them.
    services.ensure_default_rule_sets(context.tenant)
    services.service_policies_ensure(tenant=context.tenant)
    categories = list(STANDARD_SPREADS)
    raw.execute(
        SPREADS_INSERT,
        {
            "tenant": context.tenant.pk,
            "valid_from": SPREADS_FROM,
            "categories": [str(category) for category in categories],
            "rates": [STANDARD_SPREADS[category] for category in categories],
        },
    )
    context.rows["product spreads"] = raw.rowcount
    context.analyse([ProductSpread])
    if context.options["scored_months"]:
        context.after_commit("scoring", lambda: _score(context))
    months = context.options["contribution_months"]
    if not months:
        context.seconds["spreads"] = time.perf_counter() - clock
        return
    raw.execute(
        "SELECT max(month) FROM customers_balancesnapshot WHERE tenant_id = %s",
        [context.tenant.pk],
    )
    (latest,) = raw.fetchone()
    if latest is None:  # no balances, nothing to report on
        return
    first_month = add_months(latest, 1 - months)
    context.progress(f"contributions: {months} months from {first_month:%Y-%m}")
    with context.load_window([Contribution], label="contributions"):
        raw.execute(
            CONTRIBUTIONS_INSERT,
            {
                "tenant": context.tenant.pk,
                "seed": context.spec.seed,
                "first_month": first_month,
                "fed": FED_PER_10000,
                "below_zero": BELOW_ZERO_PER_10000,
                "deposit": STANDARD_SPREADS["deposit"],
                "loan": STANDARD_SPREADS["loan"],
                "wealth": STANDARD_SPREADS["wealth"],
                "now": timezone.now(),
            },
        )
        context.rows["contributions"] = raw.rowcount
    context.seconds["contributions"] = time.perf_counter() - clock


def _score(context: GenerationContext) -> None:
    """Tier the bank as the nightly chain would have: the last months scored by the real
    job, after the channel roll-up has written their cost to serve."""
    months = context.options["scored_months"]
    context.progress(f"scoring: the last {months} months due")
    runs = services.scoring_catch_up(months=months, today=context.today)
    context.rows["scored customer-months"] = sum(run.customers for run in runs)
    context.rows["tier changes"] = sum(run.tier_changes for run in runs)
