"""Score a bank's month: contribution, growth potential and the tier each customer holds.

Three set-based passes over the whole bank, in one transaction (a run that dies leaves the
previous month's tiers as they were):

1. Figures: one ``INSERT ... SELECT`` writes every open customer's row of
   ``CustomerValue`` for the month: income by type (the feed's, or estimated from balances,
   ``marketing.selectors.monthly_income``), cost to serve (``channels``), risk cost
   (``customers``; 0 without a row), contribution = income − cost to serve −
   risk cost, and the growth potential's parts (``marketing.potential``). A re-run of the
   month replaces the rows.
2. Tiers, per customer type under the rules in force for the month
   (``TierRules``): the tier the month's figures earn, in the rules' order
   (new → below zero → most valuable → growth → ordinary), then the tier held: a higher
   tier at once, a lower one only after the rules' months in a row below the tier held
   (hysteresis; below zero needs its months in a row already, so it is not delayed
   again), and a manual tier over both while it stands. The most-valuable edge is the
   contribution at the top share's last place, so customers tied with it are in.
3. Customers: the tier is copied to the customer row only where it changed
   (``IS DISTINCT FROM``), with a ``TierChange`` row each, so that a month's run rewrites
   neither a million customers nor their audit trail, nor marks them changed for partners'
   ``updated_since`` syncs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import connection
from django.utils import timezone

from channels.selectors import monthly_service_cost_sql
from crm.months import add_months, month_end
from customers.models import Customer
from customers.selectors import customer_since_sql, monthly_risk_cost_sql
from marketing.models import MANUAL_TIERS_IN_FORCE_SQL, Reason, ScoringRun, TierRuleSet
from marketing.potential import potential_sql
from marketing.selectors import monthly_income, rule_set_for

TIER = Customer.Tier
# Higher is better; "new" stands outside the ladder (no hysteresis into or out of it).
RANK_SQL = (
    f"CASE {{}} WHEN '{TIER.MVC}' THEN 4 WHEN '{TIER.MGC}' THEN 3 "
    f"WHEN '{TIER.ORDINARY}' THEN 2 WHEN '{TIER.BZ}' THEN 1 ELSE 0 END"
)


def rank(column: str) -> str:
    return RANK_SQL.format(column)


# The tier each reason earns: the tier is derived from the reason, so that the rules'
# conditions are written once.
REASON_TIER = {
    Reason.NEW: TIER.NEW,
    Reason.BELOW_ZERO: TIER.BZ,
    Reason.TOP_SHARE: TIER.MVC,
    Reason.THRESHOLD: TIER.MVC,
    Reason.POTENTIAL: TIER.MGC,
    Reason.ORDINARY: TIER.ORDINARY,
}
REASON_TIER_SQL = (
    "CASE {} "
    + " ".join(f"WHEN '{reason}' THEN '{tier}'" for reason, tier in REASON_TIER.items())
    + " END"
)


@dataclass(frozen=True)
class TierRules:
    """The parameters of one version of a bank's tier rules for one customer type."""

    rule_set_id: int
    new_months: int  # customers for fewer months than this are "new"
    below_zero_months: int  # BZ: contribution below zero in each of this many months
    top_share: Decimal | None  # MVC: the top share (percent) by contribution...
    threshold: Decimal | None  # ...or a contribution at least this (CNY)
    potential_threshold: Decimal | None  # MGC: growth potential at least this
    downgrade_months: int  # a lower tier only after this many months in a row below

    @classmethod
    def in_force(cls, *, kind: str, month: date) -> TierRules:
        """The version of the current bank's rules for ``kind`` in force in ``month``."""
        rule_set: TierRuleSet = rule_set_for(kind, month)
        return cls(
            rule_set_id=rule_set.pk,
            new_months=rule_set.new_customer_months,
            below_zero_months=rule_set.bz_months,
            top_share=rule_set.mvc_top_percent,
            threshold=rule_set.mvc_min_contribution,
            potential_threshold=(
                Decimal(rule_set.mgc_min_potential)
                if rule_set.mgc_min_potential is not None
                else None
            ),
            downgrade_months=rule_set.downgrade_months,
        )


@dataclass(frozen=True)
class Outcome:
    customers: int
    tier_changes: int


FIGURES_SQL = """
INSERT INTO marketing_customervalue AS v
    (tenant_id, customer_id, month, run_id,
     deposit_interest, loan_interest, fee_income, other_income, income_estimated,
     cost_to_serve, risk_cost, contribution,
     life_stage, means, trend, gap, potential, rule_set_id, earned_tier, tier, reason)
SELECT c.tenant_id, c.id, %(month)s, %(run)s,
       coalesce(i.deposit_interest, 0), coalesce(i.loan_interest, 0),
       coalesce(i.fee_income, 0), coalesce(i.other_income, 0),
       coalesce(i.estimated, true),
       {cost_value}, {risk_value},
       coalesce(i.deposit_interest, 0) + coalesce(i.loan_interest, 0)
         + coalesce(i.fee_income, 0) + coalesce(i.other_income, 0)
         - {cost_value} - {risk_value},
       p.life_stage, p.means, p.trend, p.gap, p.potential,
       CASE c.kind WHEN %(individual)s THEN %(individual_rules)s ELSE %(corporate_rules)s END,
       '', '', ''
FROM customers_customer c
{cost_join}
{risk_join}
LEFT JOIN ({income}) i ON i.customer_id = c.id
JOIN ({potential}) p ON p.customer_id = c.id
WHERE c.tenant_id = %(tenant)s AND c.status <> %(closed)s
ON CONFLICT (tenant_id, customer_id, month) DO UPDATE SET
    run_id = EXCLUDED.run_id,
    deposit_interest = EXCLUDED.deposit_interest, loan_interest = EXCLUDED.loan_interest,
    fee_income = EXCLUDED.fee_income, other_income = EXCLUDED.other_income,
    income_estimated = EXCLUDED.income_estimated, cost_to_serve = EXCLUDED.cost_to_serve,
    risk_cost = EXCLUDED.risk_cost, contribution = EXCLUDED.contribution,
    life_stage = EXCLUDED.life_stage, means = EXCLUDED.means, trend = EXCLUDED.trend,
    gap = EXCLUDED.gap, potential = EXCLUDED.potential, rule_set_id = EXCLUDED.rule_set_id
"""

# The contribution at the top share's last place among the type's customers with a
# positive contribution (None: nobody earns it by share).
EDGE_SQL = """
SELECT v.contribution
FROM marketing_customervalue v
JOIN customers_customer c ON c.id = v.customer_id
WHERE v.tenant_id = %(tenant)s AND v.month = %(month)s AND c.kind = %(kind)s
  AND v.contribution > 0
ORDER BY v.contribution DESC
OFFSET greatest(ceil(%(share)s / 100.0 * (
    SELECT count(*) FROM marketing_customervalue v2
    JOIN customers_customer c2 ON c2.id = v2.customer_id
    WHERE v2.tenant_id = %(tenant)s AND v2.month = %(month)s AND c2.kind = %(kind)s
))::bigint - 1, 0)
LIMIT 1
"""

# earned: the reason the month's figures give, in the rules' order (the tier follows from
# it); held: whether hysteresis keeps the tier of last month (a lower tier is taken only
# after the rules' months in a row below; new and below zero are never delayed, the
# latter having its months in a row already).
TIERS_SQL = """
WITH previous AS (
    SELECT p.customer_id, p.tier
    FROM marketing_customervalue p
    WHERE p.tenant_id = %(tenant)s AND p.month = %(last_month)s
), history AS (
    SELECT h.customer_id,
           count(*) FILTER (WHERE h.month >= %(below_zero_from)s AND h.contribution < 0)
               AS months_below_zero,
           count(*) FILTER (WHERE h.month >= %(downgrade_from)s
                              AND {earned_rank} < {previous_rank}) AS months_below_held
    FROM marketing_customervalue h
    JOIN previous ON previous.customer_id = h.customer_id
    WHERE h.tenant_id = %(tenant)s AND h.month >= %(history_from)s AND h.month < %(month)s
    GROUP BY h.customer_id
), earned AS (
    SELECT v.id, previous.tier AS previous_tier,
           coalesce(history.months_below_held, 0) AS months_below_held,
           m.tier AS manual_tier,
           CASE
             WHEN {since_value} >= %(new_from)s THEN %(r_new)s
             WHEN v.contribution < 0
                  AND coalesce(history.months_below_zero, 0) >= %(below_zero_months)s - 1
               THEN %(r_bz)s
             WHEN v.contribution > 0 AND v.contribution >= %(edge)s THEN %(r_top)s
             WHEN v.contribution > 0 AND v.contribution >= %(threshold)s THEN %(r_threshold)s
             WHEN v.potential >= %(potential)s THEN %(r_potential)s
             ELSE %(r_ordinary)s
           END AS reason
    FROM marketing_customervalue v
    JOIN customers_customer c ON c.tenant_id = v.tenant_id AND c.id = v.customer_id
    {since_join}
    LEFT JOIN previous ON previous.customer_id = v.customer_id
    LEFT JOIN history ON history.customer_id = v.customer_id
    LEFT JOIN ({manual}) m ON m.customer_id = v.customer_id
    WHERE v.tenant_id = %(tenant)s AND v.month = %(month)s AND c.kind = %(kind)s
), held AS (
    SELECT e.*, {earned_tier} AS tier,
           e.manual_tier IS NULL
           AND e.reason NOT IN (%(r_new)s, %(r_bz)s)
           AND {previous_rank_e} > {earned_rank_e}
           AND e.months_below_held < %(downgrade_months)s - 1 AS keeps_previous
    FROM earned e
)
UPDATE marketing_customervalue v
SET earned_tier = h.tier,
    tier = CASE WHEN h.manual_tier IS NOT NULL THEN h.manual_tier
                WHEN h.keeps_previous THEN h.previous_tier
                ELSE h.tier END,
    reason = CASE WHEN h.manual_tier IS NOT NULL THEN %(r_manual)s
                  WHEN h.keeps_previous THEN %(r_held)s
                  ELSE h.reason END
FROM held h
WHERE v.id = h.id
"""

# A manual tier in force today stays on the customer whatever the month scored says: its
# approval put it there at once (scoring last month days later must not take it away).
# The changes are recorded first and the customers then updated from the run's records, by
# the change table's run index: one UPDATE ... FROM a CTE over the same changes let the
# planner, misled by the month's rows not analysed yet, rescan the whole CTE per customer
# (a bank's first tiering of a million customers did not end in 15 minutes).
CHANGES_SQL = """
INSERT INTO marketing_tierchange
    (tenant_id, customer_id, month, from_tier, to_tier, reason, run_id, changed_at)
SELECT %(tenant)s, v.customer_id, %(month)s, c.tier, coalesce(m.tier, v.tier),
       CASE WHEN m.tier IS NULL THEN v.reason ELSE %(r_manual)s END, %(run)s, %(now)s
FROM marketing_customervalue v
JOIN customers_customer c ON c.tenant_id = v.tenant_id AND c.id = v.customer_id
LEFT JOIN ({manual}) m ON m.customer_id = v.customer_id
WHERE v.tenant_id = %(tenant)s AND v.month = %(month)s
  AND c.tier IS DISTINCT FROM coalesce(m.tier, v.tier)
"""

COPY_SQL = """
UPDATE customers_customer c
SET tier = t.to_tier, updated_at = %(now)s
FROM marketing_tierchange t
WHERE t.run_id = %(run)s AND c.tenant_id = t.tenant_id AND c.id = t.customer_id
"""


def score_month(*, run: ScoringRun) -> Outcome:
    """Score the run's bank and month (the current tenant's); in the caller's transaction."""
    tenant_id, month = run.tenant_id, run.month
    income_sql, income_params = monthly_income(month)
    cost = monthly_service_cost_sql(month, alias="c")
    risk = monthly_risk_cost_sql(month, alias="c")
    potential, potential_params = potential_sql(tenant_id=tenant_id, month=month)
    rules = {kind: TierRules.in_force(kind=kind, month=month) for kind in Customer.Kind.values}
    with connection.cursor() as cursor:
        cursor.execute(
            FIGURES_SQL.format(
                income=income_sql,
                potential=potential,
                cost_join=cost.join,
                cost_value=cost.value,
                risk_join=risk.join,
                risk_value=risk.value,
            ),
            {
                **income_params,
                **cost.params,
                **risk.params,
                **potential_params,
                "tenant": tenant_id,
                "month": month,
                "run": run.pk,
                "closed": Customer.Status.CLOSED,
                "individual": Customer.Kind.INDIVIDUAL,
                "individual_rules": rules[Customer.Kind.INDIVIDUAL].rule_set_id,
                "corporate_rules": rules[Customer.Kind.CORPORATE].rule_set_id,
            },
        )
        customers = cursor.rowcount
        for kind, kind_rules in rules.items():
            _assign_tiers(cursor, tenant_id=tenant_id, month=month, kind=kind, rules=kind_rules)
        tier_changes = 0
        # Customers hold the tiers of the latest month scored: re-running an older month
        # (a late feed for June, in December) corrects its own rows, not today's tiers.
        later = ScoringRun.objects.filter(month__gt=month, status=ScoringRun.Status.FINISHED)
        if not later.exists():
            copy = {
                "manual_tenant": tenant_id,
                "manual_on": timezone.localdate(),
                "tenant": tenant_id,
                "month": month,
                "run": run.pk,
                "now": timezone.now(),
                "r_manual": Reason.MANUAL,
            }
            cursor.execute(CHANGES_SQL.format(manual=MANUAL_TIERS_IN_FORCE_SQL), copy)
            tier_changes = cursor.rowcount
            cursor.execute(COPY_SQL, copy)
    return Outcome(customers=customers, tier_changes=tier_changes)


def _assign_tiers(cursor, *, tenant_id: int, month: date, kind: str, rules: TierRules) -> None:
    edge = None
    if rules.top_share:
        cursor.execute(
            EDGE_SQL, {"tenant": tenant_id, "month": month, "kind": kind, "share": rules.top_share}
        )
        row = cursor.fetchone()
        edge = row[0] if row else None
    since = customer_since_sql(alias="c")
    below_zero_from = add_months(month, -(rules.below_zero_months - 1))
    downgrade_from = add_months(month, -(rules.downgrade_months - 1))
    sql = TIERS_SQL.format(
        since_join=since.join,
        since_value=since.value,
        manual=MANUAL_TIERS_IN_FORCE_SQL,
        earned_rank=rank("h.earned_tier"),
        previous_rank=rank("previous.tier"),
        earned_tier=REASON_TIER_SQL.format("e.reason"),
        earned_rank_e=rank(REASON_TIER_SQL.format("e.reason")),
        previous_rank_e=rank("e.previous_tier"),
    )
    cursor.execute(
        sql,
        {
            **since.params,
            # A manual tier counts for the month when it stands on the month's last day.
            "manual_tenant": tenant_id,
            "manual_on": month_end(month),
            "tenant": tenant_id,
            "month": month,
            "kind": kind,
            "last_month": add_months(month, -1),
            "history_from": min(below_zero_from, downgrade_from),
            "below_zero_from": below_zero_from,
            "downgrade_from": downgrade_from,
            "below_zero_months": rules.below_zero_months,
            "downgrade_months": rules.downgrade_months,
            # Customers since the first day of the rules' last months (the month scored
            # included) have been customers for less than that many months at its end.
            "new_from": add_months(month, 1 - rules.new_months),
            # No edge (nobody positive): a contribution no one reaches.
            "edge": edge,
            "threshold": rules.threshold,
            "potential": rules.potential_threshold,
            "r_new": Reason.NEW,
            "r_bz": Reason.BELOW_ZERO,
            "r_top": Reason.TOP_SHARE,
            "r_threshold": Reason.THRESHOLD,
            "r_potential": Reason.POTENTIAL,
            "r_ordinary": Reason.ORDINARY,
            "r_manual": Reason.MANUAL,
            "r_held": Reason.HELD,
        },
    )


__all__ = ["Outcome", "TierRules", "score_month"]
