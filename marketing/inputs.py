"""What scoring reads from other tables, each as SQL parts with named parameters, so that
``marketing.scoring`` joins them all in one statement over the bank.

Customers without a row count as zero: no cost to serve, no risk cost; income is the
feed's where it came, else estimated from balances (``selectors.monthly_income``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from channels.selectors import monthly_service_cost_sql
from customers.selectors import MonthlyFigureSql, customer_since_sql, monthly_risk_cost_sql
from marketing.models import ManualTier, TierRuleSet
from marketing.selectors import monthly_income, rule_set_for

__all__ = [
    "MonthlyFigureSql",
    "TierRules",
    "cost_to_serve",
    "customer_since",
    "income",
    "manual_tiers",
    "risk_cost",
    "tier_rules",
]


@dataclass(frozen=True)
class TierRules:
    """The parameters of one version of a bank's tier rules for one customer type."""

    rule_set_id: int
    version: int
    new_months: int  # customers for fewer months than this are "new"
    below_zero_months: int  # BZ: contribution below zero in each of this many months
    top_share: Decimal | None  # MVC: the top share (percent) by contribution...
    threshold: Decimal | None  # ...or a contribution at least this (CNY)
    potential_threshold: Decimal | None  # MGC: growth potential at least this
    downgrade_months: int  # a lower tier only after this many months in a row below


def tier_rules(*, kind: str, month: date) -> TierRules:
    """The version of the bank's rules for ``kind`` in force in ``month``."""
    rule_set: TierRuleSet = rule_set_for(kind, month)
    return TierRules(
        rule_set_id=rule_set.pk,
        version=rule_set.version,
        new_months=rule_set.new_customer_months,
        below_zero_months=rule_set.bz_months,
        top_share=rule_set.mvc_top_percent,
        threshold=rule_set.mvc_min_contribution,
        potential_threshold=(
            Decimal(rule_set.mgc_min_potential) if rule_set.mgc_min_potential is not None else None
        ),
        downgrade_months=rule_set.downgrade_months,
    )


def income(*, month: date) -> tuple[str, dict]:
    """Each customer's income by type for ``month``: a sub-select (``customer_id``,
    ``deposit_interest``, ``loan_interest``, ``fee_income``, ``other_income``,
    ``estimated``)."""
    return monthly_income(month)


def cost_to_serve(*, month: date, alias: str = "c") -> MonthlyFigureSql:
    return monthly_service_cost_sql(month, alias=alias)


def risk_cost(*, month: date, alias: str = "c") -> MonthlyFigureSql:
    return monthly_risk_cost_sql(month, alias=alias)


def customer_since(*, alias: str = "c") -> MonthlyFigureSql:
    return customer_since_sql(alias=alias)


MANUAL_TIERS_SQL = f"""
SELECT m.customer_id, m.tier FROM {ManualTier._meta.db_table} m
WHERE m.tenant_id = %(manual_tenant)s AND m.withdrawn_at IS NULL
  AND m.starts_on <= %(manual_on)s AND m.expires_on >= %(manual_on)s
"""  # noqa: S608 (the table name is the model's)


def manual_tiers(*, tenant_id: int, on: date) -> tuple[str, dict]:
    """The manual tiers in force on ``on`` (``ManualTier.objects.in_force``, as SQL):
    a sub-select (``customer_id``, ``tier``)."""
    return MANUAL_TIERS_SQL, {"manual_tenant": tenant_id, "manual_on": on}
