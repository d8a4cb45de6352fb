"""The finance system's contribution feed: all or nothing, replay-safe, per-item errors."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from crm.audit.models import FeedBatch
from marketing.models import Contribution

URL = "/api/v1/contributions/bulk"


def item(month: str = "2026-03", customer: str = "AAA0001", **fields) -> dict:
    return {
        "customer_number": customer,
        "month": month,
        "deposit_interest": "120.50",
        "loan_interest": 300,
        "fee_income": "15.00",
        "other_income": "-40.25",
        **fields,
    }


def post(client, items):
    return client.post(URL, {"items": items}, content_type="application/json")


def rows(bank) -> dict[tuple[str, date], tuple]:
    with bank.scope():
        return {
            (c.customer.number, c.month): (
                c.deposit_interest,
                c.loan_interest,
                c.fee_income,
                c.other_income,
                c.partner_id,
                c.received_at,
            )
            for c in Contribution.objects.select_related("customer")
        }


def attrs(response) -> list[tuple[str, str]]:
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["type"] == "validation_error"
    return [(error["attr"], error["code"]) for error in body["errors"]]


@pytest.fixture
def client(bank_a, partner_client):
    return partner_client(bank_a.token("contributions:write"))


def test_a_batch_is_stored_with_its_sender(bank_a, client):
    response = post(client, [item("2026-03"), item("2026-04", "AAA0002", other_income=0)])

    assert response.status_code == 200, response.content
    assert response.json() == {"created": 2, "updated": 0, "unchanged": 0}
    stored = rows(bank_a)
    deposit, loan, fee, other, partner, _received = stored[("AAA0001", date(2026, 3, 1))]
    assert (deposit, loan, fee, other) == (
        Decimal("120.50"),
        Decimal("300.00"),
        Decimal("15.00"),
        Decimal("-40.25"),
    )
    assert partner == bank_a.partner.pk
    assert stored[("AAA0002", date(2026, 4, 1))][3] == Decimal("0.00")


def test_replaying_a_batch_changes_nothing(bank_a, client):
    items = [item("2026-03"), item("2026-04")]
    post(client, items)
    before = rows(bank_a)
    with bank_a.scope():
        events = Contribution.pgh_event_model.objects.count()

    response = post(client, items)

    assert response.json() == {"created": 0, "updated": 0, "unchanged": 2}
    assert rows(bank_a) == before
    with bank_a.scope():
        assert Contribution.pgh_event_model.objects.count() == events


def test_a_month_sent_again_replaces_its_figures(bank_a, client):
    post(client, [item("2026-03"), item("2026-04")])
    april = rows(bank_a)[("AAA0001", date(2026, 4, 1))]

    response = post(client, [item("2026-03", deposit_interest="99.99")])

    assert response.json() == {"created": 0, "updated": 1, "unchanged": 0}
    stored = rows(bank_a)
    assert stored[("AAA0001", date(2026, 3, 1))][0] == Decimal("99.99")
    assert stored[("AAA0001", date(2026, 4, 1))] == april
    assert len(stored) == 3  # the two months, and the fixture's January


def test_one_bad_item_refuses_the_whole_batch(bank_a, client):
    before = rows(bank_a)

    response = post(client, [item("2026-03"), item("2026-04", fee_income="abc")])

    assert attrs(response) == [("items.1.fee_income", "invalid")]
    assert rows(bank_a) == before
    with bank_a.scope():
        assert FeedBatch.objects.filter(feed="contributions:write").get().refused == 1


@pytest.mark.parametrize(
    ("fields", "attr", "code"),
    [
        ({"customer_number": "NOBODY"}, "customer_number", "does_not_exist"),
        ({"month": "2026-13"}, "month", "invalid"),
        ({"month": "2026-03-15"}, "month", "invalid"),
        ({"month": "1899-12"}, "month", "too_early"),
        ({"deposit_interest": "1000000000000.01"}, "deposit_interest", "max_value"),
        ({"loan_interest": "-1000000000000.01"}, "loan_interest", "min_value"),
        ({"fee_income": "1e5"}, "fee_income", "invalid"),
        ({"fee_income": "NaN"}, "fee_income", "invalid"),
        ({"other_income": "１２"}, "other_income", "invalid"),
        ({"other_income": True}, "other_income", "invalid"),
        ({"other_income": "1.001"}, "other_income", "max_decimal_places"),
        ({"other_income": None}, "other_income", "null"),
    ],
)
def test_each_bad_input_is_named_by_index_and_field(bank_a, client, fields, attr, code):
    before = rows(bank_a)

    response = post(client, [item("2026-02"), {**item("2026-03"), **fields}])

    assert attrs(response) == [(f"items.1.{attr}", code)]
    assert rows(bank_a) == before


def test_every_bad_item_is_reported_at_once(bank_a, client):
    response = post(
        client,
        [
            item("2026-03"),
            item("2026-03"),  # the same customer-month again
            item("2026-04", customer="NOBODY"),
            item("2026-05", deposit_interest="x"),
        ],
    )

    assert attrs(response) == [
        ("items.1.month", "duplicate"),
        ("items.2.customer_number", "does_not_exist"),
        ("items.3.deposit_interest", "invalid"),
    ]
    assert set(rows(bank_a)) == {("AAA0001", date(2026, 1, 1))}  # the fixture's only


def test_a_month_in_the_future_is_refused(bank_a, client):
    next_month = (timezone.localdate().replace(day=28) + timedelta(days=5)).strftime("%Y-%m")

    response = post(client, [item(next_month)])

    assert attrs(response) == [("items.0.month", "future")]


def test_the_current_month_is_the_banks(bank_a, client, monkeypatch):
    """At 20:00 UTC on the last day of November it is already December in Shanghai."""
    late_in_november = datetime(2026, 11, 30, 20, 0, tzinfo=UTC)
    monkeypatch.setattr(timezone, "now", lambda: late_in_november)

    accepted = post(client, [item("2026-12")])
    refused = post(client, [item("2027-01")])

    assert accepted.status_code == 200, accepted.content
    assert attrs(refused) == [("items.0.month", "future")]


def test_another_banks_customer_number_is_unknown(bank_a, bank_b, client):
    response = post(client, [item("2026-03", customer="ZZZ0001")])

    assert attrs(response) == [("items.0.customer_number", "does_not_exist")]
    with bank_b.scope():
        assert not Contribution.objects.filter(month=date(2026, 3, 1)).exists()


@pytest.mark.parametrize("scope", ["snapshots:write", "customers:read"])
def test_the_feed_needs_the_contributions_scope(bank_a, partner_client, scope):
    response = post(partner_client(bank_a.token(scope)), [item()])

    assert response.status_code == 403
    assert ("AAA0001", date(2026, 3, 1)) not in rows(bank_a)


def test_a_full_batch_takes_a_handful_of_queries(bank_a, client, django_assert_max_num_queries):
    months = [f"{year}-{month:02d}" for year in (2024, 2025) for month in range(1, 13)]
    items = [item(month, customer) for customer in ("AAA0001", "AAA0002") for month in months]

    with django_assert_max_num_queries(20):
        response = post(client, items)

    assert response.json()["created"] == 48


def test_the_schema_documents_the_feed(bank_a, client):
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()

    operation = schema["paths"]["/api/v1/contributions/bulk"]["post"]
    assert operation["tags"] == ["contributions"]
