"""Growth potential, hand-computed for a few customers of one segment and one company."""

from datetime import date
from decimal import Decimal

from crm.months import add_months
from customers.models import Customer, Holding, Product
from marketing.potential import growth_potentials
from tests.factories.customers import (
    BalanceSnapshotFactory,
    CustomerFactory,
    HoldingFactory,
    ProductFactory,
)

JUNE = date(2026, 6, 1)


def customer(bank, **fields):
    return CustomerFactory(home_branch=bank.branch, **fields)


def hold(bank, owner, category, *, opened_on=date(2020, 1, 1), status=Holding.Status.ACTIVE):
    product = ProductFactory(tenant=bank.tenant, category=category)
    HoldingFactory(customer=owner, product=product, opened_on=opened_on, status=status)


def balance(owner, month, aum):
    BalanceSnapshotFactory(customer=owner, month=month, aum=Decimal(aum), deposits=Decimal(aum))


def test_each_part_and_the_total_as_computed_by_hand(bank_a, bank_b):
    band = Customer.IncomeBand.FROM_150K  # 16 points
    young = customer(bank_a, income_band=band, birth_date=date(1990, 3, 1))  # 36: 25 points
    old = customer(bank_a, income_band=band, birth_date=date(1960, 1, 1))  # 66: none
    unknown = customer(bank_a, income_band=band)
    company = customer(
        bank_a, kind=Customer.Kind.CORPORATE, company_size=Customer.CompanySize.MEDIUM
    )
    C = Product.Category
    hold(bank_a, young, C.DEPOSIT)
    hold(bank_a, young, C.WEALTH)
    hold(bank_a, young, C.FUND, status=Holding.Status.CLOSED)  # closed: not held
    for category in (C.DEPOSIT, C.LOAN, C.WEALTH, C.FUND):
        hold(bank_a, old, category)
    hold(bank_a, old, C.INSURANCE, opened_on=date(2026, 7, 5))  # after the month
    hold(bank_a, unknown, C.DEPOSIT)
    hold(bank_a, unknown, C.CARD)
    hold(bank_a, company, C.LOAN)
    balance(young, date(2025, 7, 1), "100000")  # the window's first month
    balance(young, date(2025, 6, 1), "1")  # before the window: ignored
    balance(young, JUNE, "130000")  # +30 %
    balance(unknown, date(2026, 3, 1), "50000")
    balance(unknown, JUNE, "40000")  # shrinking
    balance(company, date(2025, 7, 1), "1000000")
    balance(company, JUNE, "2000000")  # doubled: all the points
    # Another bank's customer of the same segment is nobody's peer here.
    other = customer(bank_b, income_band=band)
    for category in (C.DEPOSIT, C.LOAN, C.WEALTH, C.FUND, C.INSURANCE, C.CARD):
        hold(bank_b, other, category)

    with bank_a.scope():
        scores = growth_potentials(tenant_id=bank_a.tenant.pk, month=JUNE)

    # Peers hold (2 + 4 + 2) / 3 categories: two short of 8/3 is 2/3 of one, 25 × 2/9.
    gap = Decimal("5.56")
    assert scores[young.pk].life_stage == 25
    assert scores[young.pk].means == 16
    assert scores[young.pk].trend == Decimal("15.00")  # 25 × 0.3 / 0.5
    assert scores[young.pk].gap == gap
    assert scores[young.pk].potential == Decimal("61.56")  # 25 + 16 + 15 + 5.5556
    assert (scores[old.pk].life_stage, scores[old.pk].gap, scores[old.pk].potential) == (0, 0, 16)
    assert scores[unknown.pk].trend == 0
    assert scores[unknown.pk].potential == Decimal("21.56")
    # A company: no life stage; size 18 + trend 25 + no gap, scaled by 4/3.
    assert scores[company.pk].means == 18
    assert scores[company.pk].trend == 25
    assert scores[company.pk].potential == Decimal("57.33")
    assert other.pk not in scores


def test_months_are_counted_across_years():
    assert add_months(date(2026, 6, 1), -11) == date(2025, 7, 1)
    assert add_months(date(2026, 12, 1), 1) == date(2027, 1, 1)
    assert add_months(date(2026, 1, 1), -1) == date(2025, 12, 1)
