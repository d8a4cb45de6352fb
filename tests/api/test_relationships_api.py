"""Partner API for relationships: the customer page's rules, the API's error shape."""

from datetime import timedelta

import pytest
from django.utils import timezone

from customers import services
from customers.models import Customer, CustomerRelationship
from tests.factories import CustomerFactory

RELATIONSHIPS = "/api/v1/relationships/"
READ, WRITE = "relationships:read", "relationships:write"


def errors(response, status: int) -> list[tuple[str, str]]:
    assert response.status_code == status, response.content
    return [(error["attr"], error["code"]) for error in response.json()["errors"]]


def stored(bank) -> list[tuple[str, str, str, object]]:
    with bank.scope():
        return list(
            CustomerRelationship.objects.order_by("pk").values_list(
                "from_customer__number", "kind", "to_customer__number", "ended_on"
            )
        )


@pytest.fixture
def spouse(bank_a):
    return CustomerFactory(home_branch=bank_a.other_branch, number="AAA0010", name="AAA配偶")


@pytest.fixture
def writer(bank_a, partner_client):
    return partner_client(bank_a.token(f"{READ} {WRITE}"))


def test_a_partner_records_a_relationship_across_branches(bank_a, spouse, writer):
    response = writer.post(
        RELATIONSHIPS,
        {"from_customer_number": "AAA0010", "to_customer_number": "AAA0001", "kind": "spouse"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["from_customer_number"] == "AAA0010" and body["kind"] == "spouse"
    assert body["ended_on"] is None
    assert stored(bank_a) == [("AAA0010", "spouse", "AAA0001", None)]
    with bank_a.scope():
        event = CustomerRelationship.pgh_event_model.objects.get(pgh_obj_id=body["id"])
    assert event.pgh_context["partner_name"] == bank_a.partner.name  # audited as the partner
    listed = writer.get(RELATIONSHIPS, {"customer_number": "AAA0001"})
    assert [row["id"] for row in listed.json()["results"]] == [body["id"]]


@pytest.mark.parametrize(
    ("payload", "expected", "status"),
    [
        (
            {"to_customer_number": "AAA0001", "kind": "spouse"},
            ("from_customer_number", "required"),
            400,
        ),
        (
            {"from_customer_number": "AAA9999", "to_customer_number": "AAA0001", "kind": "spouse"},
            ("from_customer_number", "invalid"),
            400,
        ),
        (
            {"from_customer_number": "ZZZ0001", "to_customer_number": "AAA0001", "kind": "spouse"},
            ("from_customer_number", "invalid"),
            400,
        ),
        (
            {"from_customer_number": "AAA0001", "to_customer_number": "AAA0001", "kind": "spouse"},
            ("to_customer_number", "invalid"),
            400,
        ),
        (
            {"from_customer_number": "AAA0002", "to_customer_number": "AAA0001", "kind": "spouse"},
            ("kind", "invalid"),
            400,
        ),
        (
            {"from_customer_number": "AAA0010", "to_customer_number": "AAA0001", "kind": "wife"},
            ("kind", "invalid_choice"),
            400,
        ),
        (
            {
                "from_customer_number": "AAA0010",
                "to_customer_number": "AAA0001",
                "kind": "spouse",
                "since": "x",
            },
            ("since", "unknown_field"),
            400,
        ),
        (
            {"from_customer_number": "AAA0001", "to_customer_number": "AAA0010", "kind": "spouse"},
            ("kind", "duplicate"),
            409,
        ),
    ],
)
def test_bad_input_names_the_field_and_changes_nothing(
    payload, expected, status, bank_a, bank_b, spouse, writer
):
    with bank_a.scope():
        services.relationship_add(from_customer=spouse, to_customer=bank_a.customer, kind="spouse")
    before = stored(bank_a)
    response = writer.post(RELATIONSHIPS, payload, content_type="application/json")
    assert expected in errors(response, status)
    assert stored(bank_a) == before
    assert "ZZZ" not in response.content.decode()


@pytest.fixture
def recorded(bank_a, spouse):
    with bank_a.scope():
        return services.relationship_add(
            from_customer=bank_a.customer, to_customer=spouse, kind="parent"
        )


def test_a_partner_corrects_the_kind_then_ends_it(bank_a, recorded, writer):
    url = f"{RELATIONSHIPS}{recorded.pk}/"
    corrected = writer.patch(url, {"kind": "spouse"}, content_type="application/json")
    assert corrected.status_code == 200, corrected.content
    day = timezone.localdate().isoformat()
    ended = writer.patch(url, {"ended_on": day}, content_type="application/json")
    assert ended.json()["ended_on"] == day
    assert stored(bank_a) == [("AAA0001", "spouse", "AAA0010", timezone.localdate())]
    again = writer.patch(url, {"ended_on": day}, content_type="application/json")
    assert errors(again, 400) == [("non_field_errors", "invalid")]
    current = writer.get(RELATIONSHIPS, {"current": "true"}).json()["results"]
    assert current == []


def test_a_bad_change_changes_nothing(bank_a, recorded, writer):
    url = f"{RELATIONSHIPS}{recorded.pk}/"
    future = (timezone.localdate() + timedelta(days=1)).isoformat()
    # The correction would pass, the end would not: neither is kept.
    response = writer.patch(
        url, {"kind": "spouse", "ended_on": future}, content_type="application/json"
    )
    assert errors(response, 400) == [("ended_on", "invalid")]
    assert errors(writer.patch(url, {}, content_type="application/json"), 400)
    assert stored(bank_a) == [("AAA0001", "parent", "AAA0010", None)]


def test_scopes_and_banks(bank_a, bank_b, recorded, partner_client):
    url = f"{RELATIONSHIPS}{recorded.pk}/"
    reader = partner_client(bank_a.token(READ))
    assert reader.get(url).status_code == 200
    assert reader.patch(url, {"kind": "spouse"}, content_type="application/json").status_code == 403
    assert partner_client(bank_a.token("customers:read")).get(RELATIONSHIPS).status_code == 403
    other_bank = partner_client(bank_b.token(f"{READ} {WRITE}"))
    assert other_bank.get(url).status_code == 404
    assert (
        other_bank.patch(url, {"kind": "spouse"}, content_type="application/json").status_code
        == 404
    )
    assert other_bank.get(RELATIONSHIPS).json()["results"] == []
    assert stored(bank_a)[0][1] == "parent"
    with bank_a.scope():
        assert Customer.objects.count() == 3


def test_a_change_with_only_the_write_scope_answers_what_it_wrote(bank_a, recorded, partner_client):
    url = f"{RELATIONSHIPS}{recorded.pk}/"
    response = partner_client(bank_a.token(WRITE)).patch(
        url, {"note": "AAA备注"}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    assert response.json() == {"id": recorded.pk, "note": "AAA备注"}  # not who is related


def test_recording_with_only_the_write_scope_answers_what_it_sent(bank_a, spouse, partner_client):
    sent = {"from_customer_number": "AAA0010", "to_customer_number": "AAA0001", "kind": "spouse"}
    response = partner_client(bank_a.token(WRITE)).post(
        RELATIONSHIPS, sent, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    assert set(response.json()) == {"id", *sent, "note"}
