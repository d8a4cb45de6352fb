"""A month's income per customer: the feed's figures where sent, else an estimate from
balances and spreads, computed by hand below."""

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection

from customers.models import Product
from marketing.models import Contribution, ProductSpread
from marketing.selectors import INCOME_COLUMNS, monthly_income, monthly_income_rows
from tests.factories import BalanceSnapshotFactory, CustomerFactory, HoldingFactory, ProductFactory

FEBRUARY = date(2026, 2, 1)
JANUARY = date(2026, 1, 1)
D = Decimal


class Bank:
    """Bank A's customers with what each teaches about the estimate."""

    def __init__(self, bank):
        self.bank = bank
        tenant = bank.tenant

        def product(category, *spreads):
            made = ProductFactory(tenant=tenant, category=category)
            for rate, valid_from, valid_until in spreads:
                ProductSpread.objects.create(
                    tenant=tenant,
                    product=made,
                    annual_rate=D(rate),
                    valid_from=valid_from,
                    valid_until=valid_until,
                )
            return made

        def customer():
            return CustomerFactory(home_branch=bank.sub_branch)

        def hold(who, what, balance, opened_on=date(2020, 1, 1)):
            HoldingFactory(customer=who, product=what, balance=D(balance), opened_on=opened_on)

        since_2020 = (date(2020, 1, 1), None)
        current = product(Product.Category.DEPOSIT, ("0.015", *since_2020))
        fixed = product(Product.Category.DEPOSIT, ("0.021", *since_2020))
        # The loan's spread fell from 3 % to 2.4 % on 1 February.
        mortgage = product(
            Product.Category.LOAN,
            ("0.030", date(2020, 1, 1), date(2026, 1, 31)),
            ("0.024", date(2026, 2, 1), None),
        )
        card = product(Product.Category.CARD, ("0.060", *since_2020))
        wealth = product(Product.Category.WEALTH, ("0.006", *since_2020))
        unpriced = product(Product.Category.FUND)
        opened_later = product(Product.Category.DEPOSIT, ("0.500", *since_2020))

        # Holds a bit of everything; what a later account would add must not count.
        self.mixed = customer()
        hold(self.mixed, current, "60000")
        hold(self.mixed, fixed, "40000")
        hold(self.mixed, mortgage, "200000")
        hold(self.mixed, card, "0")
        hold(self.mixed, wealth, "10000")
        hold(self.mixed, unpriced, "10000")
        hold(self.mixed, opened_later, "1000000", opened_on=date(2026, 3, 10))
        for month, loans in ((JANUARY, "190000"), (FEBRUARY, "180000")):
            BalanceSnapshotFactory(
                customer=self.mixed,
                month=month,
                deposits=D("123456.78"),
                loans=D(loans),
                wealth=D("12000"),
                aum=D("135456.78"),
            )
        # Deposits holding nothing today: their spreads count alike.
        self.emptied = customer()
        hold(self.emptied, current, "0")
        hold(self.emptied, fixed, "0")
        BalanceSnapshotFactory(customer=self.emptied, month=FEBRUARY, deposits=D("2400"))
        # The finance system sent February: its figures stand, a loss included.
        self.fed = customer()
        hold(self.fed, current, "500000")
        BalanceSnapshotFactory(customer=self.fed, month=FEBRUARY, deposits=D("500000"))
        Contribution.objects.create(
            tenant=tenant,
            customer=self.fed,
            month=FEBRUARY,
            deposit_interest=D("10.00"),
            loan_interest=D("0.00"),
            fee_income=D("2.50"),
            other_income=D("-900.00"),
        )
        # No balances that month: nothing to estimate from.
        self.unknown = customer()
        hold(self.unknown, current, "80000")


@pytest.fixture
def bank(bank_a, bank_b):
    with bank_a.scope():
        yield Bank(bank_a)


def figures(income):
    return (
        income.deposit_interest,
        income.loan_interest,
        income.fee_income,
        income.other_income,
        income.estimated,
    )


def test_the_estimate_weighs_each_products_spread_by_its_balance(bank):
    income = monthly_income_rows(FEBRUARY)[bank.mixed.pk]

    # deposits: (60,000 × 1.5 % + 40,000 × 2.1 %) / 100,000 = 1.74 % a year;
    #           123,456.78 × 0.0174 / 12 = 179.012331 → 179.01
    # loans: (200,000 × 2.4 % + 0 × 6 %) / 200,000 = 2.4 %; 180,000 × 0.024 / 12 = 360.00
    # wealth: (10,000 × 0.6 % + 10,000 × 0 (no spread)) / 20,000 = 0.3 %;
    #         12,000 × 0.003 / 12 = 3.00
    assert figures(income) == (D("179.01"), D("360.00"), D("3.00"), D("0.00"), True)
    assert income.total == D("542.01")


def test_the_spread_valid_that_month_applies(bank):
    income = monthly_income_rows(JANUARY)[bank.mixed.pk]

    # January's loan spread was 3 %: 190,000 × 0.03 / 12 = 475.00
    assert income.loan_interest == D("475.00")
    assert income.deposit_interest == D("179.01")


def test_a_group_holding_nothing_today_takes_the_mean_of_its_spreads(bank):
    income = monthly_income_rows(FEBRUARY)[bank.emptied.pk]

    # (1.5 % + 2.1 %) / 2 = 1.8 %; 2,400 × 0.018 / 12 = 3.60
    assert figures(income) == (D("3.60"), D("0.00"), D("0.00"), D("0.00"), True)


def test_the_feeds_figures_stand_where_it_sent_the_month(bank):
    rows = monthly_income_rows(FEBRUARY)

    assert figures(rows[bank.fed.pk]) == (D("10.00"), D("0.00"), D("2.50"), D("-900.00"), False)
    assert rows[bank.fed.pk].total == D("-887.50")


def test_a_customer_without_balances_that_month_estimates_to_zero(bank):
    income = monthly_income_rows(FEBRUARY)[bank.unknown.pk]

    assert figures(income) == (D("0.00"), D("0.00"), D("0.00"), D("0.00"), True)


def test_every_customer_of_the_bank_has_one_row_and_no_other_banks(bank, bank_b):
    rows = monthly_income_rows(FEBRUARY)

    from customers.models import Customer

    assert set(rows) == set(Customer.objects.values_list("pk", flat=True))
    assert bank_b.customer.pk not in rows


def test_a_range_of_ids_gives_only_those_customers(bank):
    first, end = bank.emptied.pk, bank.fed.pk + 1

    rows = monthly_income_rows(FEBRUARY, customer_ids=(first, end))

    assert set(rows) == {bank.emptied.pk, bank.fed.pk}
    assert rows[bank.fed.pk].estimated is False


def test_it_is_one_statement_that_nests_as_a_sub_select(bank, django_assert_num_queries):
    sql, params = monthly_income(FEBRUARY)

    with django_assert_num_queries(1), connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*), sum(deposit_interest + loan_interest + fee_income"
            f" + other_income) FILTER (WHERE customer_id = %(who)s) FROM ({sql}) AS income",
            {**params, "who": bank.mixed.pk},
        )
        count, total = cursor.fetchone()

    assert total == D("542.01")
    assert count == len(monthly_income_rows(FEBRUARY))
    assert INCOME_COLUMNS[0] == "customer_id"


def test_a_month_is_its_first_day(bank):
    with pytest.raises(ValueError, match="first day"):
        monthly_income(date(2026, 2, 14))
