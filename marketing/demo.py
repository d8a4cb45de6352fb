"""Demo data of marketing: the demo banks' tier service policy, BZ steering included;
the standard spreads for every product, and a year of monthly contribution from the
finance system for most demo customers, a few of them below zero in some months.
Then the bank is tiered by the real scoring job, its last months one after the other.
Deterministic; contributions only added when the bank has none yet, months only scored
once."""

from __future__ import annotations

import random
from datetime import date
from decimal import Decimal

from django.utils import timezone

from crm.shell.demo import DemoBank
from crm.tenancy.models import Tenant
from customers.models import BalanceSnapshot, Customer
from marketing import selectors, services
from marketing.models import Contribution
from marketing.services import (
    STANDARD_SPREADS,
    ContributionValues,
    contributions_record,
    standard_spreads_give,
)


def load_service_policy(tenant: Tenant, bank: DemoBank) -> None:
    """Give the bank its default policy; steer BZ to the catalog's channels if it names none.

    A bank is created before its channel catalog (channels' loader makes it), so its default
    BZ policy found no channel to suggest; the demo fills them in once the catalog exists.
    """
    services.service_policies_ensure(tenant=tenant)
    policy = selectors.service_policy_for(Customer.Tier.BZ)
    if policy is None or policy.suggested_channels:
        return
    services.service_policy_update(
        tier=policy.tier,
        contact_cadence_days=policy.contact_cadence_days,
        requires_relationship_manager=policy.requires_relationship_manager,
        max_book_size=policy.max_book_size,
        privileges=policy.privileges,
        suggested_channel_ids=services.default_channel_ids(Customer.Tier.BZ),
    )


# Since when the demo banks have priced their products.
SPREADS_FROM = date(2020, 1, 1)
FED_MONTHS = 12  # the feed started a year ago; older months are estimated
FED_SHARE = 0.7  # customers the finance system reports on
BELOW_ZERO_SHARE = 0.1  # of those, customers who cost the bank in some months
CENT = Decimal("0.01")


SCORED_MONTHS = 3  # the default rules' streaks (below zero, downgrades) need 3 months


def load_marketing(tenant: Tenant, bank: DemoBank) -> None:
    standard_spreads_give(valid_from=SPREADS_FROM)
    if not Contribution.objects.exists():
        _load_contributions(bank)
    services.scoring_catch_up(months=SCORED_MONTHS, today=timezone.localdate())


def _load_contributions(bank: DemoBank) -> None:
    rng = random.Random(f"{bank.code}-contribution")
    snapshots = list(
        BalanceSnapshot.objects.order_by("customer_id", "month").values_list(
            "customer_id", "month", "deposits", "loans", "wealth"
        )
    )
    months = sorted({month for _c, month, *_figures in snapshots})[-FED_MONTHS:]
    fed = {}
    for customer_id in sorted({row[0] for row in snapshots}):
        if rng.random() < FED_SHARE:
            fed[customer_id] = rng.random() < BELOW_ZERO_SHARE
    rows = []
    for customer_id, month, deposits, loans, wealth in snapshots:
        if customer_id not in fed or month not in months:
            continue
        deposit_interest = _monthly(rng, deposits, STANDARD_SPREADS["deposit"])
        loan_interest = _monthly(rng, loans, STANDARD_SPREADS["loan"])
        fee_income = _monthly(rng, wealth, STANDARD_SPREADS["wealth"])
        other_income = Decimal(rng.randrange(0, 5000)) * CENT
        if fed[customer_id] and rng.random() < 0.5:
            # A write-off or a waived fee: the month costs more than it brings.
            income = deposit_interest + loan_interest + fee_income
            other_income = -(income + Decimal(rng.randrange(10_000, 500_000)) * CENT)
        rows.append(
            ContributionValues(
                customer_id=customer_id,
                month=month,
                deposit_interest=deposit_interest,
                loan_interest=loan_interest,
                fee_income=fee_income,
                other_income=other_income,
            )
        )
    contributions_record(contributions=rows, partner=None)


def _monthly(rng: random.Random, balance: Decimal, annual_rate: Decimal) -> Decimal:
    """A month's income on ``balance``: its spread's twelfth, give or take a fifth."""
    noise = Decimal(rng.randint(80, 120)) / 100
    return (balance * annual_rate / 12 * noise).quantize(CENT)
