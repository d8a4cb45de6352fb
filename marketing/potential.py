"""Growth potential: how much more a customer could bring the bank, 0 to 100 (MGC's measure).

Four parts of up to 25 points each, every one of them shown to staff (and in the customer's
personal-data copy) so that the score can be explained:

- Life stage (individuals): 25 points from 25 to 44 years old at the month's end, 15 from 18
  to 24 or 45 to 54, 5 from 55 to 64, none otherwise or when the birth date is unknown.
- Means: individuals by income band (none 0, below 50,000 a year 0, then 8, 16, 22 and 25
  above a million); companies by size (micro 5, small 12, medium 18, large 25).
- AUM trend: growth of AUM over the twelve months to the month scored, from the earliest
  month-end balance in that window (a customer of six months is measured over six); 50 %
  growth or more earns all 25 points, shrinking earns none.
- Product gap: how many product categories (deposit, loan, wealth...) peers hold on average
  beyond the customer's own; peers are customers of the same type and segment (income band,
  or company size) in the bank. Three categories short or more earns all 25 points.

Companies have no life stage: their other three parts are scaled from 75 to 100 points.

``potential_sql`` is one statement over the whole bank (a window over peers, one index probe
per customer for each balance), for the scoring job's ``INSERT ... SELECT``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import connection

from crm.months import add_months, month_end
from customers.models import Customer, Holding

POINTS = Decimal(25)
FULL_TREND_GROWTH = Decimal("0.5")
FULL_GAP_CATEGORIES = Decimal(3)
INCOME_POINTS = {
    Customer.IncomeBand.BELOW_50K: 0,
    Customer.IncomeBand.FROM_50K: 8,
    Customer.IncomeBand.FROM_150K: 16,
    Customer.IncomeBand.FROM_500K: 22,
    Customer.IncomeBand.ABOVE_1M: 25,
}
SIZE_POINTS = {
    Customer.CompanySize.MICRO: 5,
    Customer.CompanySize.SMALL: 12,
    Customer.CompanySize.MEDIUM: 18,
    Customer.CompanySize.LARGE: 25,
}


def _points_case(column: str, points: dict[str, int]) -> str:
    """A CASE over the choice values, written from the tables above (no input reaches it)."""
    arms = " ".join(f"WHEN '{value}' THEN {score}" for value, score in points.items())
    return f"CASE {column} {arms} ELSE 0 END"


POTENTIAL_SQL = f"""
WITH held AS (
    SELECT h.customer_id, count(DISTINCT p.category) AS categories
    FROM customers_holding h
    JOIN customers_product p ON p.id = h.product_id
    WHERE h.tenant_id = %(tenant)s AND h.status = '{Holding.Status.ACTIVE}'
      AND h.opened_on <= %(month_end)s
    GROUP BY h.customer_id
), base AS (
    SELECT c.id AS customer_id, c.kind,
           date_part('year', age(%(month_end)s::date, c.birth_date)) AS years,
           {_points_case("c.income_band", INCOME_POINTS)} AS income_points,
           {_points_case("c.company_size", SIZE_POINTS)} AS size_points,
           coalesce(held.categories, 0) AS categories,
           avg(coalesce(held.categories, 0)) OVER (
               PARTITION BY c.kind,
                            CASE c.kind WHEN '{Customer.Kind.INDIVIDUAL}' THEN c.income_band
                                        ELSE c.company_size END
           ) AS peer_categories,
           latest.aum AS aum_now, earliest.aum AS aum_then
    FROM customers_customer c
    LEFT JOIN held ON held.customer_id = c.id
    LEFT JOIN customers_balancesnapshot latest
           ON latest.tenant_id = c.tenant_id AND latest.customer_id = c.id
          AND latest.month = %(month)s
    LEFT JOIN LATERAL (
        SELECT s.aum FROM customers_balancesnapshot s
        WHERE s.tenant_id = c.tenant_id AND s.customer_id = c.id
          AND s.month >= %(window_start)s AND s.month < %(month)s
        ORDER BY s.month LIMIT 1
    ) earliest ON true
    WHERE c.tenant_id = %(tenant)s
), parts AS (
    SELECT customer_id, kind,
           CASE WHEN kind <> '{Customer.Kind.INDIVIDUAL}' OR years IS NULL THEN 0
                WHEN years BETWEEN 25 AND 44 THEN 25
                WHEN years BETWEEN 18 AND 24 OR years BETWEEN 45 AND 54 THEN 15
                WHEN years BETWEEN 55 AND 64 THEN 5
                ELSE 0 END AS life_stage,
           CASE kind WHEN '{Customer.Kind.INDIVIDUAL}' THEN income_points
                     ELSE size_points END AS means,
           CASE WHEN aum_now IS NULL OR aum_then IS NULL OR aum_then <= 0 THEN 0
                ELSE {POINTS} * least(greatest((aum_now - aum_then) / aum_then, 0)
                                      / {FULL_TREND_GROWTH}, 1) END AS trend,
           {POINTS} * least(greatest(peer_categories - categories, 0)
                            / {FULL_GAP_CATEGORIES}, 1) AS gap
    FROM base
)
SELECT customer_id,
       round(life_stage, 2) AS life_stage, round(means, 2) AS means,
       round(trend, 2) AS trend, round(gap, 2) AS gap,
       round(CASE kind WHEN '{Customer.Kind.INDIVIDUAL}' THEN life_stage + means + trend + gap
                       ELSE (means + trend + gap) * 4 / 3 END, 2) AS potential
FROM parts
"""  # noqa: S608 (what is formatted in are this module's constants; values are parameters)


def potential_sql(*, tenant_id: int, month: date) -> tuple[str, dict]:
    """The statement and its parameters: one row per customer of the bank (customer_id,
    life_stage, means, trend, gap, potential), for the month starting ``month``."""
    return POTENTIAL_SQL, {
        "tenant": tenant_id,
        "month": month,
        "month_end": month_end(month),
        "window_start": add_months(month, -11),
    }


@dataclass(frozen=True)
class Potential:
    life_stage: Decimal
    means: Decimal
    trend: Decimal
    gap: Decimal
    potential: Decimal


def growth_potentials(*, tenant_id: int, month: date) -> dict[int, Potential]:
    """Every customer's potential for ``month``, by customer id (tests and small banks; the
    scoring job uses ``potential_sql`` inside its own statement)."""
    sql, params = potential_sql(tenant_id=tenant_id, month=month)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0]: Potential(*row[1:]) for row in cursor.fetchall()}
