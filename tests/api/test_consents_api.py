"""Consents from the mobile app and online banking, and SMS unsubscribe replies."""

from datetime import timedelta

import pytest
from django.utils import timezone

from channels.sms_replies import is_unsubscribe_reply
from customers.models import Consent
from customers.services import consent_record
from tests.factories.channels import standard_catalog

BULK = "/api/v1/consents/bulk"
LIST = "/api/v1/consents/"
INTERACTIONS = "/api/v1/interactions/bulk"
EARLIER = "2026-01-15T09:30:00+08:00"
LATER = "2026-01-16T09:30:00+08:00"


def answer(customer: str = "AAA0001", **fields) -> dict:
    return {
        "customer_number": customer,
        "purpose": "marketing",
        "channel": "sms",
        "granted": True,
        "source": "mobile_app",
        "recorded_at": EARLIER,
        **fields,
    }


def post(client, items, url=BULK):
    return client.post(url, {"items": items}, content_type="application/json")


def consents(bank) -> dict[tuple[str, str, str], tuple]:
    with bank.scope():
        return {
            (c.customer.number, c.purpose, c.channel): (c.granted, c.source, c.recorded_at)
            for c in Consent.objects.select_related("customer")
        }


def history(bank) -> int:
    with bank.scope():
        return Consent.pgh_event_model.objects.count()


def attrs(response) -> list[tuple[str, str]]:
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["type"] == "validation_error"
    return [(error["attr"], error["code"]) for error in body["errors"]]


def test_a_batch_of_answers_is_recorded(bank_a, partner_client):
    response = post(
        partner_client(bank_a.token()),
        [answer(), answer(channel="phone", granted=False, source="online")],
    )
    assert response.status_code == 200, response.content
    assert response.json() == {"created": 2, "updated": 0, "unchanged": 0}
    stored = consents(bank_a)
    assert stored["AAA0001", "marketing", "sms"][:2] == (True, "mobile_app")
    assert stored["AAA0001", "marketing", "phone"][:2] == (False, "online")


def test_replaying_a_batch_changes_nothing(bank_a, partner_client):
    client = partner_client(bank_a.token())
    items = [answer(), answer(purpose="personalised_offers", recorded_at=None)]
    items[1].pop("recorded_at")
    post(client, items)
    before, events = consents(bank_a), history(bank_a)
    response = post(client, items)
    assert response.json() == {"created": 0, "updated": 0, "unchanged": 2}
    assert consents(bank_a) == before
    assert history(bank_a) == events


def test_a_newer_answer_replaces_and_an_older_one_is_ignored(bank_a, partner_client):
    client = partner_client(bank_a.token())
    post(client, [answer(recorded_at=LATER, granted=False)])
    response = post(client, [answer(recorded_at=EARLIER, granted=True)])
    assert response.json() == {"created": 0, "updated": 0, "unchanged": 1}
    assert consents(bank_a)["AAA0001", "marketing", "sms"][0] is False
    later = "2026-01-17T09:30:00+08:00"
    response = post(client, [answer(recorded_at=later, granted=True)])
    assert response.json() == {"created": 0, "updated": 1, "unchanged": 0}
    assert consents(bank_a)["AAA0001", "marketing", "sms"][0] is True


def test_one_bad_item_refuses_the_whole_batch(bank_a, partner_client):
    future = (timezone.now() + timedelta(days=1)).isoformat()
    response = post(
        partner_client(bank_a.token()),
        [
            answer(),
            answer(customer="NOPE"),
            answer(purpose="telepathy"),
            answer(source="counter"),
            answer(channel="phone", recorded_at=future),
            answer(),
        ],
    )
    assert attrs(response) == [
        ("items.1.customer_number", "does_not_exist"),
        ("items.2.purpose", "invalid_choice"),
        ("items.3.source", "invalid_choice"),
        ("items.4.recorded_at", "future"),
        ("items.5.channel", "duplicate"),
    ]
    assert consents(bank_a) == {}


def test_another_banks_customers_are_not_found(bank_a, bank_b, partner_client):
    response = post(partner_client(bank_a.token()), [answer(customer="ZZZ0001")])
    assert attrs(response) == [("items.0.customer_number", "does_not_exist")]
    assert consents(bank_b) == {}


def test_listing_shows_only_the_banks_current_answers(bank_a, bank_b, partner_client):
    post(partner_client(bank_b.token()), [answer(customer="ZZZ0001")])
    post(partner_client(bank_a.token()), [answer(), answer(customer="AAA0002", granted=False)])
    client = partner_client(bank_a.token("consents:read"))
    everyone = client.get(LIST).json()["results"]
    assert {row["customer_number"] for row in everyone} == {"AAA0001", "AAA0002"}
    one = client.get(LIST, {"customer_number": "AAA0002"}).json()["results"]
    assert one == [
        {
            "customer_number": "AAA0002",
            "purpose": "marketing",
            "channel": "sms",
            "granted": False,
            "source": "mobile_app",
            "recorded_at": one[0]["recorded_at"],
        }
    ]
    assert client.get(LIST, {"customer_number": "ZZZ0001"}).json()["results"] == []


@pytest.mark.parametrize("scope", ["consents:read", "customers:write", "interactions:write"])
def test_recording_needs_the_consents_write_scope(scope, bank_a, partner_client):
    response = post(partner_client(bank_a.token(scope)), [answer()])
    assert response.status_code == 403
    assert response.json()["errors"][0]["code"] == "permission_denied"
    assert consents(bank_a) == {}


@pytest.mark.parametrize("scope", ["consents:write", "customers:read"])
def test_reading_needs_the_consents_read_scope(scope, bank_a, partner_client):
    response = partner_client(bank_a.token(scope)).get(LIST)
    assert response.status_code == 403


@pytest.mark.parametrize(
    "text", ["T", "td", "ＴＤ", "退订", "回T退订", " 回 t 退订。", "T.", "Unsubscribe!"]
)
def test_unsubscribe_replies_are_recognised(text):
    assert is_unsubscribe_reply(text)


@pytest.mark.parametrize("text", ["", "请问T+0理财", "谢谢", "TT", "退订信用卡以外的短信吧"])
def test_other_replies_are_not(text):
    assert not is_unsubscribe_reply(text)


def sms(external_id: str, text: str, customer: str = "AAA0001", **fields) -> dict:
    return {
        "source": "sms_gateway",
        "external_id": external_id,
        "customer_number": customer,
        "channel": "SMS",
        "kind": "marketing",
        "occurred_at": LATER,
        "summary": text,
        **fields,
    }


def test_an_sms_unsubscribe_reply_withdraws_marketing_by_sms(bank_a, bank_b, partner_client):
    standard_catalog(bank_a.tenant)
    standard_catalog(bank_b.tenant)
    with bank_a.scope():
        consent_record(
            customer=bank_a.customer,
            purpose="marketing",
            channel="sms",
            granted=True,
            source="counter",
            actor=None,
        )
    with bank_b.scope():
        consent_record(
            customer=bank_b.customer,
            purpose="marketing",
            channel="sms",
            granted=True,
            source="counter",
            actor=None,
        )
    # The reply is older than the consent given at the counter just now: it came in late.
    stale = post(partner_client(bank_a.token()), [sms("SMS-0", "T")], url=INTERACTIONS)
    assert stale.status_code == 200, stale.content
    assert consents(bank_a)["AAA0001", "marketing", "sms"][0] is True
    now = timezone.now().isoformat()
    response = post(
        partner_client(bank_a.token()),
        [
            sms("SMS-1", "回T退订", occurred_at=now),
            sms("SMS-2", "T", customer="AAA0002", channel="PHONE", occurred_at=now),
            sms("SMS-3", "T", customer="AAA0002", direction="outbound", occurred_at=now),
        ],
        url=INTERACTIONS,
    )
    assert response.json() == {"created": 3, "duplicates": 0}
    assert consents(bank_a) == {
        ("AAA0001", "marketing", "sms"): (
            False,
            "sms_reply",
            consents(bank_a)["AAA0001", "marketing", "sms"][2],
        ),
    }
    assert consents(bank_b)["ZZZ0001", "marketing", "sms"][0] is True


def test_a_refused_contact_batch_withdraws_nothing(bank_a, partner_client):
    standard_catalog(bank_a.tenant)
    now = timezone.now().isoformat()
    response = post(
        partner_client(bank_a.token()),
        [sms("SMS-1", "TD", occurred_at=now), sms("SMS-2", "TD", customer="NOPE")],
        url=INTERACTIONS,
    )
    assert response.status_code == 400
    assert consents(bank_a) == {}
