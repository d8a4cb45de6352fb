"""Marketing's actions: what the API, the admin and the jobs call to change its data."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from crm.tenancy.context import require_tenant
from crm.tenancy.models import PartnerApplication
from customers.models import Product
from marketing.models import ProductSpread

# A mid-sized Chinese bank's funds-transfer-pricing spreads a year, by product category:
# what a yuan of deposits earns over its transfer price, what a yuan lent earns over its
# funding cost, what a yuan in wealth products earns in fees. E-banking holds no balance.
STANDARD_SPREADS = {
    Product.Category.DEPOSIT: Decimal("0.015000"),
    Product.Category.LOAN: Decimal("0.025000"),
    Product.Category.CARD: Decimal("0.060000"),
    Product.Category.WEALTH: Decimal("0.006000"),
    Product.Category.FUND: Decimal("0.008000"),
    Product.Category.INSURANCE: Decimal("0.010000"),
}


@dataclass(frozen=True)
class ContributionValues:
    customer_id: int
    month: date
    deposit_interest: Decimal
    loan_interest: Decimal
    fee_income: Decimal
    other_income: Decimal


@dataclass(frozen=True)
class ContributionCounts:
    created: int
    updated: int
    unchanged: int


# One statement per batch. A customer-month sent again replaces its figures; one sent
# again with the same figures is not written at all (no history event, its time of
# receipt and sender stay those of the figures). xmax = 0 marks a row this statement
# inserted rather than updated.
CONTRIBUTIONS_UPSERT = """
INSERT INTO marketing_contribution AS c
       (tenant_id, customer_id, month, deposit_interest, loan_interest, fee_income,
        other_income, partner_id, received_at)
SELECT %(tenant)s::bigint, batch.*, %(partner)s::bigint, %(now)s::timestamptz
  FROM unnest(%(customers)s::bigint[], %(months)s::date[], %(deposit)s::numeric[],
              %(loan)s::numeric[], %(fee)s::numeric[], %(other)s::numeric[])
       AS batch(customer_id, month, deposit_interest, loan_interest, fee_income, other_income)
ON CONFLICT (tenant_id, customer_id, month) DO UPDATE
   SET deposit_interest = excluded.deposit_interest,
       loan_interest = excluded.loan_interest,
       fee_income = excluded.fee_income,
       other_income = excluded.other_income,
       partner_id = excluded.partner_id,
       received_at = excluded.received_at
 WHERE (c.deposit_interest, c.loan_interest, c.fee_income, c.other_income)
       IS DISTINCT FROM (excluded.deposit_interest, excluded.loan_interest,
                         excluded.fee_income, excluded.other_income)
RETURNING xmax = 0 AS created
"""


@transaction.atomic
def contributions_record(
    *, contributions: Sequence[ContributionValues], partner: PartnerApplication | None
) -> ContributionCounts:
    """Store customers' monthly income as the finance system reports it, one row per
    customer and month, in one statement.

    Callers check the batch first (customers of the current bank, past months, figures
    within ``crm.bounds``, each customer-month once); the table's constraints refuse the
    rest.
    """
    if not contributions:
        return ContributionCounts(0, 0, 0)
    keys = [(item.customer_id, item.month) for item in contributions]
    if len(set(keys)) != len(keys):
        # PostgreSQL refuses to upsert one row twice in a statement; say why before it does.
        raise ValueError("Each customer and month may appear only once in a batch.")
    with connection.cursor() as cursor:
        cursor.execute(
            CONTRIBUTIONS_UPSERT,
            {
                "tenant": require_tenant().pk,
                "partner": partner.pk if partner is not None else None,
                "now": timezone.now(),
                "customers": [item.customer_id for item in contributions],
                "months": [item.month for item in contributions],
                "deposit": [item.deposit_interest for item in contributions],
                "loan": [item.loan_interest for item in contributions],
                "fee": [item.fee_income for item in contributions],
                "other": [item.other_income for item in contributions],
            },
        )
        written = cursor.fetchall()
    created = sum(1 for (was_created,) in written if was_created)
    return ContributionCounts(created, len(written) - created, len(contributions) - len(written))


@transaction.atomic
def standard_spreads_give(*, valid_from: date) -> int:
    """Give each product of the current bank that has no spread yet its category's
    standard spread, from ``valid_from`` on; return how many were given."""
    priced = ProductSpread.objects.values("product_id")
    spreads = [
        ProductSpread(
            tenant_id=product.tenant_id,
            product=product,
            annual_rate=STANDARD_SPREADS[product.category],
            valid_from=valid_from,
        )
        for product in Product.objects.exclude(pk__in=priced)
        if product.category in STANDARD_SPREADS
    ]
    ProductSpread.objects.bulk_create(spreads)
    return len(spreads)
