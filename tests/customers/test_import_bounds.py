"""Import files are held to the same bounds as the partner API (crm.bounds): amounts and
dates in plain digits and within range, a customer's total within its bound, and a refusal
never repeats a huge cell whole."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from crm import bounds
from crm.tenancy.roles import Role
from customers.intake.checks import check_customer_rows, check_holding_rows
from customers.models import Holding, Product
from tests.factories import HoldingFactory, ProductFactory


@pytest.fixture(autouse=True)
def _in_bank_a_in_english(bank_a):
    with bank_a.scope(), translation.override("en"):
        yield


@pytest.fixture
def manager(bank_a):
    return bank_a[Role.BRANCH_MANAGER]


@pytest.fixture
def deposit(bank_a):
    return ProductFactory(tenant=bank_a.tenant, code="DEP", category=Product.Category.DEPOSIT)


def holding_row(line: int = 2, **cells) -> dict:
    return {
        "line": line,
        "account_number": f"IMPORT-{line:06d}",
        "customer_number": "AAA0001",
        "product_code": "DEP",
        "opened_on": "2024-03-01",
        "status": "active",
        "balance": "1000.00",
        **cells,
    }


def reasons(check) -> list[str]:
    return [reason for problem in check.problems for reason in problem.reasons]


@pytest.mark.parametrize(
    ("balance", "reason"),
    [
        ("1,000,000,000,000.01", "at most 1,000,000,000,000 yuan"),
        ("9999999999999999.99", "at most 1,000,000,000,000 yuan"),
        ("-5", "zero or more"),
        ("１０００", "is not an amount"),
        ("١٠٠٠", "is not an amount"),
        ("1e3", "is not an amount"),
        ("NaN", "is not an amount"),
    ],
)
def test_balances_outside_the_bounds_or_not_in_plain_digits_are_refused(
    balance, reason, manager, deposit
):
    check = check_holding_rows([holding_row(balance=balance)], actor=manager)
    assert not check.ok
    assert reason in " ".join(reasons(check))


def test_the_largest_balance_is_taken(manager, deposit):
    check = check_holding_rows([holding_row(balance="1,000,000,000,000.00")], actor=manager)
    assert check.ok, check.problems


def test_rows_adding_up_past_a_customers_bound_are_refused(bank_a, manager, deposit):
    with_ten = [holding_row(line, balance=str(bounds.MAX_AMOUNT - 1)) for line in range(2, 12)]
    assert check_holding_rows(with_ten[:9], actor=manager).ok
    HoldingFactory(customer=bank_a.customer, product=deposit, balance=Decimal("100000.00"))
    check = check_holding_rows(with_ten, actor=manager)
    assert [problem.line for problem in check.problems] == list(range(2, 12))
    assert "would add up to more than 10,000,000,000,000 yuan" in reasons(check)[0]


@pytest.mark.parametrize(
    ("opened_on", "reason"),
    [
        ("1899-12-31", "The opening date is before 1900."),
        ("２０２４-03-01", "is not a date"),
        ("٢٠٢٤/03/01", "is not a date"),
    ],
)
def test_opening_dates_out_of_range_or_not_in_plain_digits_are_refused(
    opened_on, reason, manager, deposit
):
    check = check_holding_rows([holding_row(opened_on=opened_on)], actor=manager)
    assert reason in " ".join(reasons(check))


def test_a_birth_date_in_other_digits_is_refused(bank_a, manager):
    row = {
        "line": 2,
        "number": "AAA9001",
        "kind": "individual",
        "name": "AAA王五",
        "phone": "13700000000",
        "birth_date": "１９９０-01-01",
        "home_branch": bank_a.sub_branch.code,
    }
    check = check_customer_rows([row], actor=manager)
    assert "is not a date" in " ".join(reasons(check))


def test_a_huge_cell_is_not_repeated_whole(manager, deposit):
    huge = "x" * 100_000
    check = check_holding_rows(
        [holding_row(product_code=huge, status=huge, balance=huge, opened_on=huge)],
        actor=manager,
    )
    assert len(reasons(check)) >= 4
    assert all(len(reason) < 400 for reason in reasons(check))


def test_the_admin_form_refuses_a_balance_past_the_bound(bank_a, deposit):
    holding = Holding(
        tenant=bank_a.tenant,
        customer=bank_a.customer,
        product=deposit,
        account_number="6222-ADMIN",
        opened_on=bounds.today(),
        balance=bounds.MAX_AMOUNT + Decimal("0.01"),
    )
    with pytest.raises(ValidationError) as refused:
        holding.full_clean()
    assert set(refused.value.message_dict) == {"balance"}


def test_the_admin_form_refuses_a_balance_taking_the_customer_past_the_bound(bank_a, deposit):
    for _n in range(10):
        HoldingFactory(customer=bank_a.customer, product=deposit, balance=bounds.MAX_AMOUNT)
    holding = Holding(
        tenant=bank_a.tenant,
        customer=bank_a.customer,
        product=deposit,
        account_number="6222-ADMIN",
        opened_on=bounds.today(),
        balance=Decimal("1.00"),
    )
    with pytest.raises(ValidationError) as refused:
        holding.full_clean()
    assert set(refused.value.message_dict) == {"balance"}
