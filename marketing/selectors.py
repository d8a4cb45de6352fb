"""Reads of marketing's data that other parts of the product build on."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import connection

from crm.tenancy.context import require_tenant
from customers.models import Product

# The columns of ``monthly_income``, in order.
INCOME_COLUMNS = (
    "customer_id",
    "deposit_interest",
    "loan_interest",
    "fee_income",
    "other_income",
    "estimated",
)

# One customer's estimate: each balance group of the month's snapshot (deposits, loans,
# wealth) times the spread of the products the customer holds in that group, weighted by
# what each holding holds today (snapshots are per customer, not per product), over 12.
# A group whose holdings hold nothing today takes the plain mean of its products' spreads;
# a product without a spread in force earns nothing. Holdings opened after the month do
# not count. The spread in force on the month's last day applies: balances are month-end.
DEPOSIT_GROUP = [Product.Category.DEPOSIT.value]
LOAN_GROUP = [category.value for category in Product.LIABILITY_CATEGORIES]
WEALTH_GROUP = [
    category.value for category in Product.ASSET_CATEGORIES if category not in DEPOSIT_GROUP
]

MONTHLY_INCOME_SQL = """
SELECT c.id AS customer_id,
       CASE WHEN f.id IS NULL THEN coalesce(round(b.deposits * r.deposit_rate / 12, 2), 0)
            ELSE f.deposit_interest END AS deposit_interest,
       CASE WHEN f.id IS NULL THEN coalesce(round(b.loans * r.loan_rate / 12, 2), 0)
            ELSE f.loan_interest END AS loan_interest,
       CASE WHEN f.id IS NULL THEN coalesce(round(b.wealth * r.wealth_rate / 12, 2), 0)
            ELSE f.fee_income END AS fee_income,
       CASE WHEN f.id IS NULL THEN 0.00 ELSE f.other_income END AS other_income,
       f.id IS NULL AS estimated
  FROM customers_customer AS c
  LEFT JOIN marketing_contribution AS f
         ON f.tenant_id = c.tenant_id AND f.customer_id = c.id
        AND f.month = %(income_month)s
  LEFT JOIN customers_balancesnapshot AS b
         ON b.tenant_id = c.tenant_id AND b.customer_id = c.id
        AND b.month = %(income_month)s
  LEFT JOIN (
        SELECT customer_id,
               coalesce(sum(balance * rate) FILTER (WHERE grp = 'deposits')
                            / nullif(sum(balance) FILTER (WHERE grp = 'deposits'), 0),
                        avg(rate) FILTER (WHERE grp = 'deposits')) AS deposit_rate,
               coalesce(sum(balance * rate) FILTER (WHERE grp = 'loans')
                            / nullif(sum(balance) FILTER (WHERE grp = 'loans'), 0),
                        avg(rate) FILTER (WHERE grp = 'loans')) AS loan_rate,
               coalesce(sum(balance * rate) FILTER (WHERE grp = 'wealth')
                            / nullif(sum(balance) FILTER (WHERE grp = 'wealth'), 0),
                        avg(rate) FILTER (WHERE grp = 'wealth')) AS wealth_rate
          FROM (
                SELECT h.customer_id, h.balance, coalesce(sp.annual_rate, 0) AS rate,
                       CASE WHEN p.category = ANY(%(income_deposit_group)s) THEN 'deposits'
                            WHEN p.category = ANY(%(income_loan_group)s) THEN 'loans'
                            WHEN p.category = ANY(%(income_wealth_group)s) THEN 'wealth'
                       END AS grp
                  FROM customers_holding AS h
                  JOIN customers_product AS p
                       ON p.tenant_id = h.tenant_id AND p.id = h.product_id
                  LEFT JOIN marketing_productspread AS sp
                         ON sp.tenant_id = h.tenant_id AND sp.product_id = h.product_id
                        AND sp.valid_from <= %(income_month_end)s
                        AND (sp.valid_until IS NULL OR sp.valid_until >= %(income_month_end)s)
                 WHERE h.tenant_id = %(income_tenant)s
                   AND h.opened_on <= %(income_month_end)s
                   AND h.customer_id >= %(income_first_id)s
                   AND h.customer_id < %(income_end_id)s
               ) AS priced
         GROUP BY customer_id
       ) AS r ON r.customer_id = c.id
 WHERE c.tenant_id = %(income_tenant)s
   AND c.id >= %(income_first_id)s AND c.id < %(income_end_id)s
"""

# Past every bigint id: "no upper bound" for the range parameters.
_NO_END = 2**63 - 1


@dataclass(frozen=True)
class MonthlyIncome:
    customer_id: int
    deposit_interest: Decimal
    loan_interest: Decimal
    fee_income: Decimal
    other_income: Decimal
    estimated: bool

    @property
    def total(self) -> Decimal:
        return self.deposit_interest + self.loan_interest + self.fee_income + self.other_income


def monthly_income(
    month: date, *, customer_ids: tuple[int, int] | None = None
) -> tuple[str, dict[str, Any]]:
    """Return one SQL statement, and its parameters, giving every customer of the current
    bank their income components in ``month`` (its first day).

    The statement's rows have the columns ``INCOME_COLUMNS``: ``customer_id``, then
    ``deposit_interest``, ``loan_interest``, ``fee_income``, ``other_income`` (numeric,
    CNY, either sign, two places) and ``estimated`` (boolean). Where the finance system's
    feed sent the month (a ``Contribution``), its figures are used as they are and
    ``estimated`` is false. Otherwise each figure is estimated from the month's
    ``BalanceSnapshot`` times the annual spread (``ProductSpread``) of the products the
    customer holds, divided by 12: deposits' spread makes deposit interest, loans' and
    cards' (what the customer owes) loan interest, wealth, fund and insurance products'
    fee income; other income is 0; a customer without a snapshot that month gets zeros.
    Every customer of the bank has exactly one row.

    ``customer_ids`` (first, end): only the customers with ``first <= id < end``, for
    passes over a big bank range by range.

    The parameters are named, every name starting with ``income_``, so that a caller can
    put the statement in its own as a sub-select and merge the dictionaries::

        sql, params = monthly_income(month)
        cursor.execute(f"INSERT INTO scores (...) SELECT ... FROM ({sql}) AS income ...",
                       {**params, "run": run_id})

    It filters by the bank's tenant explicitly (the planner then uses the ``(tenant_id,
    ...)`` indexes under row-level security) and reads each table once: customers, the
    month's contributions and snapshots by their unique keys, holdings with their products
    and spreads aggregated per customer by one hash aggregate.
    """
    if month.day != 1:
        raise ValueError("A month is given by its first day.")
    first, end = customer_ids or (0, _NO_END)
    last_day = month.replace(day=calendar.monthrange(month.year, month.month)[1])
    return MONTHLY_INCOME_SQL, {
        "income_tenant": require_tenant().pk,
        "income_month": month,
        "income_month_end": last_day,
        "income_first_id": first,
        "income_end_id": end,
        "income_deposit_group": DEPOSIT_GROUP,
        "income_loan_group": LOAN_GROUP,
        "income_wealth_group": WEALTH_GROUP,
    }


def monthly_income_rows(
    month: date, *, customer_ids: tuple[int, int] | None = None
) -> dict[int, MonthlyIncome]:
    """Run ``monthly_income`` and return its rows by customer id (for small banks, tests
    and single pages; a big bank's job uses the statement inside its own)."""
    sql, params = monthly_income(month, customer_ids=customer_ids)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0]: MonthlyIncome(*row) for row in cursor.fetchall()}
