"""Core banking's bulk loads: idempotent by natural key, all or nothing, per-item errors."""

from datetime import date
from decimal import Decimal

import pytest

from customers.models import BalanceSnapshot, Customer, Holding, Product
from tests.factories import BalanceSnapshotFactory, HoldingFactory, ProductFactory

HOLDINGS = "/api/v1/holdings/bulk"
SNAPSHOTS = "/api/v1/balance-snapshots/bulk"


@pytest.fixture
def products(bank_a, bank_b):
    """Bank A's catalogue; bank B has a product code of its own that A lacks."""
    ProductFactory(tenant=bank_b.tenant, code="ZZZ-ONLY", category=Product.Category.DEPOSIT)
    return {
        category: ProductFactory(tenant=bank_a.tenant, code=code, category=category)
        for code, category in [
            ("DEP", Product.Category.DEPOSIT),
            ("WM", Product.Category.WEALTH),
            ("LOAN", Product.Category.LOAN),
        ]
    }


def holding(account: str, customer: str = "AAA0001", **fields) -> dict:
    return {
        "account_number": account,
        "customer_number": customer,
        "product_code": "DEP",
        "opened_on": "2024-03-01",
        "status": "active",
        "balance": "1000.00",
        **fields,
    }


def snapshot(month: str, customer: str = "AAA0001", **fields) -> dict:
    return {
        "customer_number": customer,
        "month": month,
        "deposits": "1000.00",
        "loans": "0.00",
        "wealth": "500.00",
        "aum": "1500.00",
        **fields,
    }


def post(client, url: str, items: list[dict]):
    return client.post(url, {"items": items}, content_type="application/json")


def holding_state(bank) -> dict[str, tuple]:
    """Every holding of the bank and how many change events the bank's holdings have."""
    with bank.scope():
        rows = {
            h.account_number: (h.customer_id, h.product_id, h.status, h.balance, h.updated_at)
            for h in Holding.objects.all()
        }
        return {"rows": rows, "events": Holding.pgh_event_model.objects.count()}


def aum_of(bank, number: str) -> Decimal:
    with bank.scope():
        return Customer.objects.get(number=number).aum


def attrs(response) -> list[tuple[str, str]]:
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["type"] == "validation_error"
    assert all(error["detail"] for error in body["errors"])
    return [(error["attr"], error["code"]) for error in body["errors"]]


# --- holdings --------------------------------------------------------------------------


def test_holdings_are_created_and_aum_recomputed(bank_a, products, partner_client):
    items = [
        holding("A-1", balance="1000.50"),
        holding("A-2", product_code="WM", balance="20000"),
        holding("A-3", product_code="LOAN", balance="300000.00"),  # a loan is not an asset
        holding("A-4", balance="7000.00", status="closed"),  # nor is a closed account
        holding("A-5", customer="AAA0002", balance="42.00"),
    ]
    response = post(partner_client(bank_a.token("holdings:write")), HOLDINGS, items)
    assert response.status_code == 200, response.content
    assert response.json() == {"created": 5, "updated": 0, "unchanged": 0}
    with bank_a.scope():
        created = Holding.objects.select_related("customer", "product").get(account_number="A-2")
    assert (created.customer.number, created.product.code) == ("AAA0001", "WM")
    assert created.balance == Decimal("20000.00") and created.opened_on == date(2024, 3, 1)
    # The fixture's 50,000.00 deposit counts too.
    assert aum_of(bank_a, "AAA0001") == Decimal("71000.50")
    assert aum_of(bank_a, "AAA0002") == Decimal("42.00")


def test_replaying_a_batch_changes_nothing(bank_a, products, partner_client):
    client = partner_client(bank_a.token("holdings:write"))
    items = [holding(f"A-{n}", balance=f"{n}00.00") for n in range(1, 6)]
    assert post(client, HOLDINGS, items).json()["created"] == 5
    before = holding_state(bank_a)
    with bank_a.scope():
        customer_events = Customer.pgh_event_model.objects.count()
    response = post(client, HOLDINGS, items)
    assert response.json() == {"created": 0, "updated": 0, "unchanged": 5}
    # No new history event, not even updated_at moved.
    assert holding_state(bank_a) == before
    with bank_a.scope():
        assert Customer.pgh_event_model.objects.count() == customer_events


def test_a_changed_item_updates_only_that_holding(bank_a, products, partner_client):
    client = partner_client(bank_a.token("holdings:write"))
    items = [holding(f"A-{n}") for n in range(1, 4)]
    post(client, HOLDINGS, items)
    before = holding_state(bank_a)
    items[1] = holding("A-2", balance="2500.00")
    response = post(client, HOLDINGS, [*items, holding("A-9")])
    assert response.json() == {"created": 1, "updated": 1, "unchanged": 2}
    after = holding_state(bank_a)
    assert after["events"] == before["events"] + 2  # one update, one insert
    assert after["rows"]["A-2"][3] == Decimal("2500.00")
    assert after["rows"]["A-2"][4] > before["rows"]["A-2"][4]
    assert after["rows"]["A-1"] == before["rows"]["A-1"]
    with bank_a.scope():
        event = Holding.pgh_event_model.objects.filter(account_number="A-2").latest("pgh_id")
    assert event.pgh_label == "update"
    assert event.pgh_context["partner_name"] == bank_a.partner.name


def test_an_account_moved_to_another_customer_recomputes_both(bank_a, products, partner_client):
    client = partner_client(bank_a.token("holdings:write"))
    post(client, HOLDINGS, [holding("A-1", balance="800.00")])
    assert aum_of(bank_a, "AAA0001") == Decimal("50800.00")
    response = post(client, HOLDINGS, [holding("A-1", customer="AAA0002", balance="800.00")])
    assert response.json() == {"created": 0, "updated": 1, "unchanged": 0}
    assert aum_of(bank_a, "AAA0001") == Decimal("50000.00")
    assert aum_of(bank_a, "AAA0002") == Decimal("800.00")


def test_one_bad_item_among_many_refuses_the_whole_batch(bank_a, products, partner_client):
    client = partner_client(bank_a.token("holdings:write"))
    post(client, HOLDINGS, [holding("A-0", balance="1.00")])
    before = holding_state(bank_a)
    items = [holding(f"A-{n}") for n in range(200)]  # A-0 would be an update
    items[137]["customer_number"] = "AAA-NOBODY"
    response = post(client, HOLDINGS, items)
    assert attrs(response) == [("items.137.customer_number", "does_not_exist")]
    assert holding_state(bank_a) == before
    assert aum_of(bank_a, "AAA0001") == Decimal("50001.00")


def test_every_bad_item_is_reported_with_its_index_and_field(bank_a, products, partner_client):
    items = [
        holding("A-0"),
        holding("A-1", balance="12.345"),
        {key: value for key, value in holding("A-2").items() if key != "opened_on"},
        holding("A-3", product_code="NOPE"),
        holding("A-0", balance="5.00"),  # the same account as item 0
        holding("A-5", status="frozen"),
        holding("A-6", colour="blue"),
        "A-7",
        holding("A-8", opened_on="2024-02-30", customer="AAA-NOBODY"),
        holding("A-9", balance="NaN"),
        holding("A-10", product_code="ZZZ-ONLY"),
        holding("A-11"),
        holding("A-12", customer="AAA-NOBODY", product_code="NOPE"),
    ]
    response = post(partner_client(bank_a.token()), HOLDINGS, items)
    assert attrs(response) == [
        ("items.1.balance", "max_decimal_places"),
        ("items.2.opened_on", "required"),
        ("items.3.product_code", "does_not_exist"),
        ("items.4.account_number", "duplicate"),
        ("items.5.status", "invalid_choice"),
        ("items.6.colour", "unknown_field"),
        ("items.7.non_field_errors", "invalid"),
        ("items.8.opened_on", "invalid"),
        ("items.9.balance", "invalid"),
        ("items.10.product_code", "does_not_exist"),
        ("items.12.customer_number", "does_not_exist"),
        ("items.12.product_code", "does_not_exist"),
    ]
    assert not any(account.startswith("A-") for account in holding_state(bank_a)["rows"])


def test_more_than_1000_items_are_refused(bank_a, products, partner_client):
    items = [holding(f"A-{n}") for n in range(1001)]
    response = post(partner_client(bank_a.token()), HOLDINGS, items)
    assert attrs(response) == [("items", "max_length")]
    with bank_a.scope():
        assert not Holding.objects.filter(account_number__in=["A-0", "A-1000"]).exists()


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"items": []}, [("items", "min_length")]),
        ({}, [("items", "required")]),
        ({"items": "A-1"}, [("items", "not_a_list")]),
        ([holding("A-1")], [("non_field_errors", "invalid")]),
        ({"items": [holding("A-1")], "mode": "replace"}, [("mode", "unknown_field")]),
    ],
)
def test_a_malformed_body_is_a_validation_error(body, expected, bank_a, products, partner_client):
    client = partner_client(bank_a.token())
    response = client.post(HOLDINGS, body, content_type="application/json")
    assert attrs(response) == expected


def test_a_batch_of_1000_takes_a_handful_of_queries(
    bank_a, products, partner_client, django_assert_max_num_queries
):
    client = partner_client(bank_a.token("holdings:write"))
    items = [
        holding(f"A-{n}", customer=("AAA0001", "AAA0002")[n % 2], product_code=("DEP", "WM")[n % 2])
        for n in range(1000)
    ]
    # token, tenant, customers, their other holdings' total, products, the upsert, the AUM,
    # the change events, the batch's audit record, and savepoints: never per item
    with django_assert_max_num_queries(14):  # with the savepoint that keeps a refusal's record
        response = post(client, HOLDINGS, items)
    assert response.json() == {"created": 1000, "updated": 0, "unchanged": 0}


def test_another_banks_customers_are_unknown_and_nothing_is_written(
    bank_a, bank_b, products, partner_client
):
    items = [holding("A-1"), holding("A-2", customer="ZZZ0001"), holding("A-3")]
    response = post(partner_client(bank_a.token()), HOLDINGS, items)
    assert attrs(response) == [("items.1.customer_number", "does_not_exist")]
    assert "ZZZ" not in response.content.decode()
    assert not any(account.startswith("A-") for account in holding_state(bank_a)["rows"])
    with bank_b.scope():
        assert Holding.objects.filter(customer=bank_b.customer).count() == 1


def test_the_same_account_number_in_another_bank_is_left_alone(
    bank_a, bank_b, products, partner_client
):
    with bank_b.scope():
        foreign = HoldingFactory(customer=bank_b.customer, account_number="SHARED-1")
    before = holding_state(bank_b)
    response = post(partner_client(bank_a.token()), HOLDINGS, [holding("SHARED-1")])
    assert response.json() == {"created": 1, "updated": 0, "unchanged": 0}
    assert holding_state(bank_b) == before
    with bank_a.scope():
        assert Holding.objects.get(account_number="SHARED-1").customer_id == bank_a.customer.pk
    with bank_b.scope():
        assert Holding.objects.get(pk=foreign.pk).customer_id == bank_b.customer.pk


@pytest.mark.parametrize("scope", ["customers:write", "snapshots:write", "customers:read"])
def test_loading_holdings_needs_the_holdings_scope(scope, bank_a, products, partner_client):
    response = post(partner_client(bank_a.token(scope)), HOLDINGS, [holding("A-1")])
    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "permission_denied"
    with bank_a.scope():
        assert not Holding.objects.filter(account_number="A-1").exists()


def test_bulk_endpoints_answer_only_post(bank_a, partner_client):
    client = partner_client(bank_a.token())
    assert client.get(HOLDINGS).status_code == 405
    assert client.get(SNAPSHOTS).status_code == 405
    # What the endpoint offers comes before what the token may do (issue 13).
    assert partner_client(bank_a.token("customers:read")).get(HOLDINGS).status_code == 405


# --- monthly balances ------------------------------------------------------------------


def test_snapshots_are_created_and_replaying_changes_nothing(bank_a, partner_client):
    client = partner_client(bank_a.token("snapshots:write"))
    items = [
        snapshot("2025-11"),
        snapshot("2025-12-01"),
        snapshot("2025-12", customer="AAA0002", loans="300000.00"),
    ]
    assert post(client, SNAPSHOTS, items).json() == {"created": 3, "updated": 0, "unchanged": 0}
    assert post(client, SNAPSHOTS, items).json() == {"created": 0, "updated": 0, "unchanged": 3}
    with bank_a.scope():
        months = set(
            BalanceSnapshot.objects.filter(customer=bank_a.customer).values_list("month", flat=True)
        )
        corporate = BalanceSnapshot.objects.get(customer=bank_a.other_customer)
    assert months == {date(2025, 11, 1), date(2025, 12, 1)}
    assert corporate.loans == Decimal("300000.00") and corporate.aum == Decimal("1500.00")


def test_a_changed_snapshot_is_updated(bank_a, partner_client):
    BalanceSnapshotFactory(customer=bank_a.customer, month=date(2025, 12, 1))
    client = partner_client(bank_a.token("snapshots:write"))
    response = post(client, SNAPSHOTS, [snapshot("2025-12", aum="99999.99"), snapshot("2026-01")])
    assert response.json() == {"created": 1, "updated": 1, "unchanged": 0}
    with bank_a.scope():
        updated = BalanceSnapshot.objects.get(customer=bank_a.customer, month=date(2025, 12, 1))
    assert updated.aum == Decimal("99999.99") and updated.deposits == Decimal("1000.00")


def test_bad_snapshots_are_reported_and_nothing_is_written(bank_a, bank_b, partner_client):
    items = [
        snapshot("2025-10"),
        snapshot("2025-12-15"),
        snapshot("2025-13"),
        snapshot("2025-10-01"),  # the same customer and month as item 0
        snapshot("2025-09", customer="ZZZ0001"),
        snapshot("2025-08", deposits=""),
        snapshot("2025-07", aum=None),
        snapshot("2025-06", customer="AAA0002"),
    ]
    response = post(partner_client(bank_a.token()), SNAPSHOTS, items)
    assert attrs(response) == [
        ("items.1.month", "invalid"),
        ("items.2.month", "invalid"),
        ("items.3.month", "duplicate"),
        ("items.4.customer_number", "does_not_exist"),
        ("items.5.deposits", "invalid"),
        ("items.6.aum", "null"),
    ]
    with bank_a.scope():
        assert not BalanceSnapshot.objects.exists()
    with bank_b.scope():
        assert not BalanceSnapshot.objects.exists()


def test_loading_snapshots_needs_the_snapshots_scope(bank_a, partner_client):
    client = partner_client(bank_a.token("holdings:write"))
    response = post(client, SNAPSHOTS, [snapshot("2026-01")])
    assert response.status_code == 403
    with bank_a.scope():
        assert not BalanceSnapshot.objects.exists()
