"""What no bank would send is refused at the API's door (crm.bounds, crm.api.fields): huge,
negative or oddly written amounts, dates out of range, numbers for text, 1.5 for an id, and
a refusal never repeats a huge input whole. A poisoned balance can no longer break reads."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from crm import bounds
from customers.models import BalanceSnapshot, Customer, Holding, Product
from customers.services import recompute_aum
from tests.factories import HoldingFactory, ProductFactory

HOLDINGS = "/api/v1/holdings/bulk"
SNAPSHOTS = "/api/v1/balance-snapshots/bulk"
CUSTOMERS = "/api/v1/customers/"
RELATIONSHIPS = "/api/v1/relationships/"
BRANCHES = "/api/v1/branches/"
HUGE = "x" * 100_000


@pytest.fixture
def deposit(bank_a):
    return ProductFactory(tenant=bank_a.tenant, code="DEP", category=Product.Category.DEPOSIT)


def holding(account: str = "A-1", **fields) -> dict:
    return {
        "account_number": account,
        "customer_number": "AAA0001",
        "product_code": "DEP",
        "opened_on": "2024-03-01",
        "status": "active",
        "balance": "1000.00",
        **fields,
    }


def snapshot(**fields) -> dict:
    return {
        "customer_number": "AAA0001",
        "month": "2026-01",
        "deposits": "1000.00",
        "loans": "0.00",
        "wealth": "500.00",
        "aum": "1500.00",
        **fields,
    }


def post(client, url: str, body):
    return client.post(url, body, content_type="application/json")


def errors(response) -> list[tuple[str, str]]:
    assert response.status_code == 400, response.content
    return [(error["attr"], error["code"]) for error in response.json()["errors"]]


def accounts(bank) -> set[str]:
    with bank.scope():
        return set(Holding.objects.values_list("account_number", flat=True))


# --- amounts -----------------------------------------------------------------------------


def test_a_poisoned_balance_is_refused_and_the_customer_stays_readable(
    bank_a, deposit, partner_client
):
    client = partner_client(bank_a.token("holdings:write customers:read"))
    before = accounts(bank_a)
    response = post(client, HOLDINGS, {"items": [holding(balance="9999999999999999.99")]})
    assert errors(response) == [("items.0.balance", "max_digits")]
    assert accounts(bank_a) == before
    assert client.get(f"{CUSTOMERS}{bank_a.customer.pk}/").status_code == 200
    assert client.get(CUSTOMERS).status_code == 200


@pytest.mark.parametrize(
    ("balance", "code"),
    [
        ("1000000000000.01", "max_value"),
        ("-0.01", "min_value"),
        ("１０００.00", "invalid"),  # full-width digits
        ("١٠٠٠", "invalid"),  # Arabic-Indic digits
        ("1e3", "invalid"),
        (True, "invalid"),
        (HUGE, "max_string_length"),
    ],
)
def test_balances_outside_the_bounds_or_not_in_plain_digits_are_refused(
    balance, code, bank_a, deposit, partner_client
):
    client = partner_client(bank_a.token("holdings:write"))
    response = post(client, HOLDINGS, {"items": [holding(balance=balance)]})
    assert errors(response) == [("items.0.balance", code)]


def test_the_largest_balance_is_taken(bank_a, deposit, partner_client):
    client = partner_client(bank_a.token("holdings:write"))
    response = post(client, HOLDINGS, {"items": [holding(balance="1000000000000.00")]})
    assert response.status_code == 200, response.content
    with bank_a.scope():
        assert Customer.objects.get(pk=bank_a.customer.pk).aum >= bounds.MAX_AMOUNT


def test_balances_adding_up_past_a_customers_bound_are_refused(bank_a, deposit, partner_client):
    client = partner_client(bank_a.token("holdings:write"))
    items = [holding(f"A-{n}", balance=str(bounds.MAX_AMOUNT)) for n in range(11)]
    response = post(client, HOLDINGS, {"items": items})
    assert set(errors(response)) == {(f"items.{n}.balance", "customer_total") for n in range(11)}
    assert "A-0" not in accounts(bank_a)


def test_the_customers_other_holdings_count_towards_the_bound(bank_a, deposit, partner_client):
    with bank_a.scope():
        for _n in range(10):
            HoldingFactory(customer=bank_a.customer, product=deposit, balance=bounds.MAX_AMOUNT)
    client = partner_client(bank_a.token("holdings:write"))
    response = post(client, HOLDINGS, {"items": [holding("A-NEW", balance="100.00")]})
    assert errors(response) == [("items.0.balance", "customer_total")]


def test_a_reloaded_account_replaces_its_balance_rather_than_adding_to_it(
    bank_a, deposit, partner_client
):
    with bank_a.scope():
        for n in range(10):
            HoldingFactory(
                customer=bank_a.customer,
                product=deposit,
                account_number=f"A-{n}",
                balance=bounds.MAX_AMOUNT - 10_000,
            )
    client = partner_client(bank_a.token("holdings:write"))
    response = post(client, HOLDINGS, {"items": [holding("A-0", balance=str(bounds.MAX_AMOUNT))]})
    assert response.status_code == 200, response.content


@pytest.mark.parametrize(
    ("figures", "attr", "code"),
    [
        ({"aum": "10000000000000.01"}, "aum", "max_value"),
        ({"deposits": "-1.00"}, "deposits", "min_value"),
        ({"loans": "٣"}, "loans", "invalid"),
        ({"month": "1899-12"}, "month", "too_early"),
        ({"month": "２０２６-01"}, "month", "invalid"),
    ],
)
def test_monthly_balances_outside_the_bounds_are_refused(
    figures, attr, code, bank_a, partner_client
):
    client = partner_client(bank_a.token("snapshots:write"))
    response = post(client, SNAPSHOTS, {"items": [snapshot(**figures)]})
    assert errors(response) == [(f"items.0.{attr}", code)]
    with bank_a.scope():
        assert not BalanceSnapshot.objects.filter(customer=bank_a.customer, month__year=2026)


def test_a_month_that_has_not_come_is_refused(bank_a, partner_client):
    next_month = (timezone.localdate().replace(day=1) + timedelta(days=32)).strftime("%Y-%m")
    client = partner_client(bank_a.token("snapshots:write"))
    response = post(client, SNAPSHOTS, {"items": [snapshot(month=next_month)]})
    assert errors(response) == [("items.0.month", "future")]


def test_the_database_refuses_a_poisoned_balance_written_around_the_api(bank_a, deposit):
    with bank_a.scope(), pytest.raises(IntegrityError), transaction.atomic():
        HoldingFactory(customer=bank_a.customer, product=deposit, balance=Decimal("1e15"))


def test_the_aum_is_clamped_rather_than_overflowing(bank_a, deposit, partner_client):
    """Balances stored before the bounds (or by a writer that skips the checks) cannot make
    the customer's AUM overflow: it stops at the bound of one customer, and reads work."""
    with bank_a.scope():
        for _n in range(11):
            HoldingFactory(customer=bank_a.customer, product=deposit, balance=bounds.MAX_AMOUNT)
        recompute_aum([bank_a.customer.pk])
        assert Customer.objects.get(pk=bank_a.customer.pk).aum == bounds.MAX_CUSTOMER_TOTAL
    client = partner_client(bank_a.token("customers:read"))
    response = client.get(f"{CUSTOMERS}{bank_a.customer.pk}/")
    assert response.json()["aum"] == f"{bounds.MAX_CUSTOMER_TOTAL:.2f}"


# --- dates -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("opened_on", "code"),
    [
        ("1899-12-31", "too_early"),
        ("0001-01-01", "too_early"),
        ("２０２４-03-01", "invalid"),
        ("٢٠٢٤-03-01", "invalid"),
    ],
)
def test_opening_dates_out_of_range_or_not_in_plain_digits_are_refused(
    opened_on, code, bank_a, deposit, partner_client
):
    client = partner_client(bank_a.token("holdings:write"))
    response = post(client, HOLDINGS, {"items": [holding(opened_on=opened_on)]})
    assert errors(response) == [("items.0.opened_on", code)]


def test_an_account_opened_tomorrow_is_refused(bank_a, deposit, partner_client):
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    client = partner_client(bank_a.token("holdings:write"))
    response = post(client, HOLDINGS, {"items": [holding(opened_on=tomorrow)]})
    assert errors(response) == [("items.0.opened_on", "future")]


def new_customer(bank, **fields) -> dict:
    return {
        "number": "AAA9001",
        "kind": "individual",
        "name": "AAA王五",
        "phone": "13700000000",
        "home_branch": bank.sub_branch.pk,
        **fields,
    }


@pytest.mark.parametrize(
    ("birth_date", "code"),
    [("1899-12-31", "invalid"), ("１９９０-01-01", "invalid"), ("2999-01-01", "invalid")],
)
def test_birth_dates_out_of_range_are_refused(birth_date, code, bank_a, partner_client):
    client = partner_client(bank_a.token("customers:write"))
    response = post(client, CUSTOMERS, new_customer(bank_a, birth_date=birth_date))
    assert errors(response) == [("birth_date", code)]


# --- identifiers -----------------------------------------------------------------------


@pytest.mark.parametrize("number", [1.5, 1001, ["A-1"], None])
def test_an_account_number_must_be_text(number, bank_a, deposit, partner_client):
    client = partner_client(bank_a.token("holdings:write"))
    response = post(client, HOLDINGS, {"items": [holding(account_number=number)]})
    assert errors(response) == [("items.0.account_number", "null" if number is None else "invalid")]


@pytest.mark.parametrize("branch", ["half", "string", "float_of_a_real_id", "huge"])
def test_a_branch_id_must_be_a_whole_number(branch, bank_a, partner_client):
    value = {
        "half": bank_a.sub_branch.pk + 0.5,
        "string": "abc",
        "float_of_a_real_id": float(bank_a.sub_branch.pk),
        "huge": 2**70,
    }[branch]
    client = partner_client(bank_a.token("customers:write"))
    response = post(client, CUSTOMERS, new_customer(bank_a, home_branch=value))
    assert response.status_code == 400, response.content
    assert [error["attr"] for error in response.json()["errors"]] == ["home_branch"]
    with bank_a.scope():
        assert not Customer.objects.filter(number="AAA9001").exists()


@pytest.mark.parametrize("value", ["1.5", "１", "99999999999999999999999"])
def test_a_branch_filter_must_be_a_whole_number(value, bank_a, partner_client):
    client = partner_client(bank_a.token("customers:read branches:read"))
    for url in (
        f"{CUSTOMERS}?home_branch={value}",
        f"{CUSTOMERS}?branch_within={value}",
        f"{BRANCHES}?parent={value}",
        f"{BRANCHES}?within={value}",
    ):
        response = client.get(url)
        assert response.status_code == 400, (url, response.content)


# --- echoes ----------------------------------------------------------------------------


def test_a_huge_choice_is_not_repeated_in_the_refusal(bank_a, deposit, partner_client):
    client = partner_client(bank_a.token("holdings:write"))
    response = post(client, HOLDINGS, {"items": [holding(status=HUGE)]})
    assert errors(response) == [("items.0.status", "invalid_choice")]
    assert len(response.content) < 2_000


def test_a_huge_unknown_field_name_is_not_repeated_in_the_refusal(bank_a, partner_client):
    client = partner_client(bank_a.token("customers:write"))
    response = post(client, CUSTOMERS, new_customer(bank_a, **{HUGE: 1}))
    assert response.status_code == 400
    assert len(response.content) < 2_000


def test_a_huge_relationship_kind_is_not_repeated_in_the_refusal(bank_a, partner_client):
    client = partner_client(bank_a.token("relationships:write"))
    body = {"from_customer_number": "AAA0001", "to_customer_number": "AAA0002", "kind": HUGE}
    response = post(client, RELATIONSHIPS, body)
    assert errors(response) == [("kind", "invalid_choice")]
    assert len(response.content) < 2_000


# --- the schema says so ----------------------------------------------------------------


def test_the_schema_states_the_amount_bounds(client, db):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    balance = schema["components"]["schemas"]["HoldingItem"]["properties"]["balance"]
    # Text or a JSON number (crm.api.schema): no sign, never negative; at most the bound.
    text, number = balance["oneOf"]
    assert text["pattern"] == r"^(\d{1,13}(\.\d{0,2})?|\.\d{1,2})$"
    assert (number["minimum"], number["maximum"]) == (0, 1_000_000_000_000)
