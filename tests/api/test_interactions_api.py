"""Contacts from partner systems in bulk: idempotent by source id, all or nothing."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from channels.models import Channel, Interaction, Outlet
from channels.services import interaction_log, service_request_open
from tests.factories.channels import standard_catalog

BULK = "/api/v1/interactions/bulk"
WHEN = "2026-01-15T09:30:00+08:00"


@pytest.fixture
def catalog_a(bank_a):
    catalog = standard_catalog(bank_a.tenant)
    with bank_a.scope():
        catalog["outlets"] = {
            "ATM-001": Outlet.objects.create(
                channel=catalog["channels"]["ATM"],
                branch=bank_a.sub_branch,
                code="ATM-001",
                name="AAA望京ATM",
                kind=Outlet.Kind.ATM,
            )
        }
        catalog["request"] = service_request_open(
            request_type=catalog["request_types"]["CARD_REPLACEMENT"],
            customer=bank_a.customer,
            channel=catalog["channels"]["MOBILE"],
            summary="补办借记卡",
        )
    return catalog


@pytest.fixture
def catalog_b(bank_b):
    """Bank B has a channel code of its own, an outlet and a request A must not reach."""
    catalog = standard_catalog(bank_b.tenant)
    with bank_b.scope():
        catalog["channels"]["ZZZ-ONLY"] = Channel.objects.create(
            code="ZZZ-ONLY", name="ZZZ渠道", kind=Channel.Kind.PARTNER
        )
        catalog["outlets"] = {
            "ZZZ-ATM": Outlet.objects.create(
                channel=catalog["channels"]["ATM"],
                branch=bank_b.sub_branch,
                code="ZZZ-ATM",
                name="ZZZ自助银行",
                kind=Outlet.Kind.ATM,
            )
        }
        catalog["request"] = service_request_open(
            request_type=catalog["request_types"]["CARD_REPLACEMENT"],
            customer=bank_b.customer,
            channel=catalog["channels"]["MOBILE"],
            summary="ZZZ补卡",
        )
    return catalog


def contact(external_id: str, customer: str = "AAA0001", **fields) -> dict:
    return {
        "source": "call_center",
        "external_id": external_id,
        "customer_number": customer,
        "channel": "PHONE",
        "kind": "enquiry",
        "occurred_at": WHEN,
        "summary": "咨询理财产品",
        **fields,
    }


def post(client, items):
    return client.post(BULK, {"items": items}, content_type="application/json")


def recorded(bank) -> dict[tuple[str, str], Interaction]:
    with bank.scope():
        return {
            (i.source, i.external_id): i
            for i in Interaction.objects.select_related("customer", "channel", "outlet")
        }


def attrs(response) -> list[tuple[str, str]]:
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["type"] == "validation_error"
    assert all(error["detail"] for error in body["errors"])
    return [(error["attr"], error["code"]) for error in body["errors"]]


def test_a_batch_of_contacts_is_recorded(bank_a, catalog_a, partner_client):
    items = [
        contact("CC-1"),
        contact(
            "CORE-1",
            source="core_banking",
            channel="ATM",
            kind="transaction",
            amount="2500.50",
            outlet="ATM-001",
            occurred_at="2026-01-15T01:30:00Z",
            summary="ATM取款",
            outcome="成功",
        ),
        contact(
            "APP-1",
            source="mobile_app",
            channel="MOBILE",
            kind="service",
            service_request=catalog_a["request"].number,
        ),
        contact(
            "WX-1",
            customer="AAA0002",
            source="wechat",
            channel="WECHAT",
            kind="marketing",
            direction="outbound",
        ),
    ]
    response = post(partner_client(bank_a.token("interactions:write")), items)
    assert response.status_code == 200, response.content
    assert response.json() == {"created": 4, "duplicates": 0}
    rows = recorded(bank_a)
    assert set(rows) == {
        ("call_center", "CC-1"),
        ("core_banking", "CORE-1"),
        ("mobile_app", "APP-1"),
        ("wechat", "WX-1"),
    }
    withdrawal = rows["core_banking", "CORE-1"]
    assert withdrawal.customer == bank_a.customer
    assert withdrawal.channel.code == "ATM" and withdrawal.outlet.code == "ATM-001"
    assert withdrawal.kind == "transaction" and withdrawal.amount == Decimal("2500.50")
    assert withdrawal.occurred_at == datetime(2026, 1, 15, 1, 30, tzinfo=UTC)
    assert (withdrawal.summary, withdrawal.outcome) == ("ATM取款", "成功")
    enquiry = rows["call_center", "CC-1"]
    assert enquiry.occurred_at == datetime(2026, 1, 15, 1, 30, tzinfo=UTC)  # +08:00 kept right
    assert enquiry.direction == "inbound" and enquiry.amount is None and enquiry.outlet is None
    assert rows["mobile_app", "APP-1"].service_request_id == catalog_a["request"].pk
    assert rows["wechat", "WX-1"].customer == bank_a.other_customer
    assert rows["wechat", "WX-1"].direction == "outbound"


def test_replaying_a_batch_creates_nothing_twice(bank_a, catalog_a, partner_client):
    client = partner_client(bank_a.token("interactions:write"))
    items = [contact(f"CC-{n}") for n in range(5)]
    assert post(client, items).json() == {"created": 5, "duplicates": 0}
    before = {key: row.pk for key, row in recorded(bank_a).items()}
    assert post(client, items).json() == {"created": 0, "duplicates": 5}
    assert {key: row.pk for key, row in recorded(bank_a).items()} == before
    # A batch that overlaps the last one adds only what is new.
    overlapping = [*items[3:], contact("CC-5"), contact("CC-6")]
    assert post(client, overlapping).json() == {"created": 2, "duplicates": 2}
    assert len(recorded(bank_a)) == 7


def test_a_contact_logged_at_the_counter_with_the_same_source_id_is_not_doubled(
    bank_a, catalog_a, partner_client
):
    with bank_a.scope():
        interaction_log(
            customer=bank_a.customer,
            channel=catalog_a["channels"]["PHONE"],
            kind="enquiry",
            source="call_center",
            external_id="CC-1",
        )
    response = post(partner_client(bank_a.token()), [contact("CC-1"), contact("CC-2")])
    assert response.json() == {"created": 1, "duplicates": 1}


def test_the_same_id_from_another_source_is_another_contact(bank_a, catalog_a, partner_client):
    items = [contact("42"), contact("42", source="wechat", channel="WECHAT")]
    assert post(partner_client(bank_a.token()), items).json() == {"created": 2, "duplicates": 0}


def test_one_bad_item_among_many_refuses_the_whole_batch(bank_a, catalog_a, partner_client):
    client = partner_client(bank_a.token("interactions:write"))
    post(client, [contact("CC-0")])
    items = [contact(f"CC-{n}") for n in range(200)]  # CC-0 would be a duplicate
    items[137]["channel"] = "TELEX"
    response = post(client, items)
    assert attrs(response) == [("items.137.channel", "does_not_exist")]
    assert set(recorded(bank_a)) == {("call_center", "CC-0")}


def test_every_bad_item_is_reported_with_its_index_and_field(
    bank_a, bank_b, catalog_a, catalog_b, partner_client
):
    future = (timezone.now() + timedelta(days=2)).isoformat()
    items = [
        contact("E-0"),
        contact("E-1", customer="ZZZ0001"),  # bank B's customer
        contact("E-2", channel="ZZZ-ONLY"),  # bank B's channel
        contact("E-3", kind="transaction"),  # no amount
        contact("E-4", occurred_at="2026-01-15 09:30"),  # no UTC offset
        contact("E-5", occurred_at="yesterday"),
        contact("E-0"),  # the same source and id as item 0
        contact("E-7", kind="transaction", amount="-5.00"),
        contact("E-8", kind="transaction", amount="12.345"),
        contact("E-9", kind="gossip", direction="sideways"),
        contact("E-10", colour="blue"),
        "E-11",
        contact("", source="call center"),
        contact("E-13", outlet="ZZZ-ATM"),  # bank B's outlet
        contact("E-14", channel="MOBILE", outlet="ATM-001"),  # an ATM is not the app
        contact("E-15", service_request=catalog_b["request"].number),  # bank B's request
        contact("E-16", customer="AAA0002", service_request=catalog_a["request"].number),
        contact("E-17", occurred_at=future),
        contact("E-18", summary="长" * 501, amount="abc"),
        {key: value for key, value in contact("E-19").items() if key != "customer_number"},
        contact("E-20", customer="AAA-NOBODY", channel="TELEX"),
        contact("E-21", kind=None, amount=True),
    ]
    response = partner_client(bank_a.token()).post(
        BULK, {"items": items}, content_type="application/json", headers={"accept-language": "en"}
    )
    assert attrs(response) == [
        ("items.1.customer_number", "does_not_exist"),
        ("items.2.channel", "does_not_exist"),
        ("items.3.amount", "required"),
        ("items.4.occurred_at", "invalid"),
        ("items.5.occurred_at", "invalid"),
        ("items.6.external_id", "duplicate"),
        ("items.7.amount", "min_value"),
        ("items.8.amount", "max_decimal_places"),
        ("items.9.kind", "invalid_choice"),
        ("items.9.direction", "invalid_choice"),
        ("items.10.colour", "unknown_field"),
        ("items.11.non_field_errors", "invalid"),
        ("items.12.source", "invalid"),
        ("items.12.external_id", "blank"),
        ("items.13.outlet", "does_not_exist"),
        ("items.14.outlet", "invalid"),
        ("items.15.service_request", "does_not_exist"),
        ("items.16.service_request", "invalid"),
        ("items.17.occurred_at", "future"),
        ("items.18.summary", "max_length"),
        ("items.18.amount", "invalid"),
        ("items.19.customer_number", "required"),
        ("items.20.customer_number", "does_not_exist"),
        ("items.20.channel", "does_not_exist"),
        ("items.21.kind", "null"),
        ("items.21.amount", "invalid"),
    ]
    errors = {error["attr"]: error["detail"] for error in response.json()["errors"]}
    assert errors["items.6.external_id"] == (
        "Item 0 of this batch has the same source and external id."
    )
    assert errors["items.3.amount"] == "A transaction needs its amount."
    assert errors["items.19.customer_number"] == "This field is required."
    assert "ZZZ" not in response.content.decode()
    assert recorded(bank_a) == {}
    assert recorded(bank_b) == {}


@pytest.mark.parametrize(
    ("odd", "attr", "code"),
    [
        ({"customer_number": "AAA\x000001"}, "customer_number", "null_characters_not_allowed"),
        ({"summary": "\ud800"}, "summary", "surrogate_characters_not_allowed"),
        # The API's parser refuses these characters anywhere in a body, keys included.
        ({"kind": "tran\ud800"}, "kind", "surrogate_characters_not_allowed"),
        ({"\ud800": 1}, "\ufffd", "surrogate_characters_not_allowed"),
        ({"external_id": ["CC-1"]}, "external_id", "invalid"),
        ({"channel": {"code": "PHONE"}}, "channel", "invalid"),
        ({"occurred_at": 1768440600}, "occurred_at", "invalid"),
        ({"occurred_at": "2026-01-15T09:30:00+25:00"}, "occurred_at", "invalid"),
        ({"occurred_at": "0001-01-01T00:00:00Z"}, "occurred_at", "too_early"),
        ({"amount": "NaN"}, "amount", "invalid"),
        ({"amount": "1e400"}, "amount", "invalid"),  # only the digits 0-9 and a point
        ({"amount": True}, "amount", "invalid"),
        ({"amount": 12345678901234567.5}, "amount", "max_value"),
        ({"amount": "１２３.00"}, "amount", "invalid"),
        ({"amount": "١٢٣"}, "amount", "invalid"),
        ({"amount": "1000000000000.01"}, "amount", "max_value"),
        ({"customer_number": 100001}, "customer_number", "invalid"),
        ({"external_id": 1.5}, "external_id", "invalid"),
    ],
)
def test_odd_values_are_the_items_fault_not_a_server_error(
    odd, attr, code, bank_a, catalog_a, partner_client
):
    items = [contact("CC-0"), {**contact("CC-1"), **odd}]
    response = post(partner_client(bank_a.token()), items)
    assert attrs(response) == [(f"items.1.{attr}", code)]
    assert recorded(bank_a) == {}


def test_amounts_may_come_as_json_numbers(bank_a, catalog_a, partner_client):
    items = [contact("7", kind="transaction", amount=99.5)]
    assert post(partner_client(bank_a.token()), items).json() == {"created": 1, "duplicates": 0}
    row = recorded(bank_a)["call_center", "7"]
    assert row.amount == Decimal("99.50")


def test_more_than_1000_items_are_refused(bank_a, catalog_a, partner_client):
    response = post(partner_client(bank_a.token()), [contact(f"CC-{n}") for n in range(1001)])
    assert attrs(response) == [("items", "max_length")]
    assert recorded(bank_a) == {}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"items": []}, [("items", "min_length")]),
        ({}, [("items", "required")]),
        ({"items": "CC-1"}, [("items", "not_a_list")]),
        ([contact("CC-1")], [("non_field_errors", "invalid")]),
        ({"items": [contact("CC-1")], "mode": "replace"}, [("mode", "unknown_field")]),
    ],
)
def test_a_malformed_body_is_a_validation_error(body, expected, bank_a, catalog_a, partner_client):
    response = partner_client(bank_a.token()).post(BULK, body, content_type="application/json")
    assert attrs(response) == expected
    assert recorded(bank_a) == {}


def test_a_body_that_is_not_json_is_refused(bank_a, catalog_a, partner_client):
    response = partner_client(bank_a.token()).post(
        BULK, b'{"items": [', content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "parse_error"


def test_a_batch_of_1000_takes_a_handful_of_queries(
    bank_a, catalog_a, partner_client, django_assert_max_num_queries
):
    client = partner_client(bank_a.token("interactions:write"))
    items = [
        contact(
            f"CC-{n}",
            customer=("AAA0001", "AAA0002")[n % 2],
            channel="ATM",
            kind="transaction",
            amount=f"{n}.50",
            outlet="ATM-001",
            service_request=catalog_a["request"].number if n % 2 == 0 else "",
        )
        for n in range(1000)
    ]
    # Token, tenant, customers, channels, outlets, requests, the insert, its change events
    # and the batch's audit record: never per item; and the savepoint the test's own
    # transaction puts around the request.
    with django_assert_max_num_queries(12):  # with the savepoint that keeps a refusal's record
        response = post(client, items)
    assert response.json() == {"created": 1000, "duplicates": 0}


def test_the_same_source_id_in_another_bank_is_left_alone(
    bank_a, bank_b, catalog_a, catalog_b, partner_client
):
    with bank_b.scope():
        foreign = interaction_log(
            customer=bank_b.customer,
            channel=catalog_b["channels"]["PHONE"],
            kind="enquiry",
            summary="ZZZ咨询",
            source="call_center",
            external_id="CC-1",
        )
    response = post(partner_client(bank_a.token()), [contact("CC-1")])
    assert response.json() == {"created": 1, "duplicates": 0}
    assert recorded(bank_a)["call_center", "CC-1"].customer == bank_a.customer
    assert list(recorded(bank_b).values()) == [foreign]


@pytest.mark.parametrize("scope", ["customers:write", "service_requests:write", "holdings:write"])
def test_loading_contacts_needs_the_interactions_scope(scope, bank_a, catalog_a, partner_client):
    response = post(partner_client(bank_a.token(scope)), [contact("CC-1")])
    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "permission_denied"
    assert recorded(bank_a) == {}


def test_without_a_token_nothing_is_loaded(bank_a, catalog_a, client):
    response = post(client, [contact("CC-1")])
    assert response.status_code == 401
    assert recorded(bank_a) == {}


def test_the_bulk_endpoint_answers_only_post(bank_a, partner_client):
    assert partner_client(bank_a.token()).get(BULK).status_code == 405
