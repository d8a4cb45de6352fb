"""Service requests for partner systems: open, read, move on; the counter sees the same."""

from datetime import timedelta

import pytest
from django.utils import timezone

from channels.models import ServiceRequest, ServiceRequestStep
from channels.services import service_request_move, service_request_open
from crm.tenancy.roles import Role
from tests.factories.channels import standard_catalog

REQUESTS = "/api/v1/service-requests/"


def detail(number: str) -> str:
    return f"{REQUESTS}{number}/"


def transitions(number: str) -> str:
    return f"{REQUESTS}{number}/transitions/"


@pytest.fixture
def catalog_a(bank_a):
    return standard_catalog(bank_a.tenant)


@pytest.fixture
def catalog_b(bank_b):
    return standard_catalog(bank_b.tenant)


def open_request(bank, catalog, *, type_code="CARD_REPLACEMENT", customer=None, **fields):
    with bank.scope():
        return service_request_open(
            request_type=catalog["request_types"][type_code],
            customer=customer or bank.customer,
            channel=catalog["channels"][fields.pop("channel", "COUNTER")],
            summary=fields.pop("summary", f"{bank.marker}补办借记卡"),
            actor=fields.pop("staff", bank[Role.TELLER]),
            **fields,
        )


def new_request(**fields) -> dict:
    return {
        "type": "CARD_REPLACEMENT",
        "customer_number": "AAA0001",
        "channel": "MOBILE",
        "summary": "手机银行申请补办借记卡",
        **fields,
    }


def only_error(response, status: int = 400) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["type"] == "validation_error"
    assert len(body["errors"]) == 1, body
    return body["errors"][0]


def state_of(bank, number: str) -> tuple[str, int]:
    with bank.scope():
        request = ServiceRequest.objects.get(number=number)
        return request.status, ServiceRequestStep.objects.filter(request=request).count()


# --- open -----------------------------------------------------------------------------


def test_partner_opens_a_request_from_the_app(bank_a, catalog_a, partner_client):
    token = bank_a.token("service_requests:write service_requests:read")
    response = partner_client(token).post(
        REQUESTS, new_request(note="客户在手机银行提交"), content_type="application/json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    with bank_a.scope():
        request = ServiceRequest.objects.select_related("opened_channel").get(number=body["number"])
    assert request.customer_id == bank_a.customer.pk and request.team_id == bank_a.sub_branch.pk
    assert request.opened_channel.code == "MOBILE"
    assert body["status"] == "submitted"
    assert body["allowed_next_statuses"] == ["accepted", "rejected", "cancelled"]
    assert body["type"]["code"] == "CARD_REPLACEMENT" and body["type"]["sla_hours"] == 72
    assert body["customer_number"] == "AAA0001"
    assert body["is_overdue"] is False and body["closed_at"] is None
    assert request.due_at - request.opened_at == timedelta(hours=72)
    [step] = body["steps"]
    assert step["to_status"] == "submitted" and step["channel"]["code"] == "MOBILE"
    assert step["partner_name"] == bank_a.partner.name and step["staff"] is None
    assert step["note"] == "客户在手机银行提交"


def test_opening_is_idempotent_by_source_and_external_id(bank_a, catalog_a, partner_client):
    client = partner_client(bank_a.token("service_requests:write"))
    given = new_request(source="mobile_app", external_id="APP-7781")
    first = client.post(REQUESTS, given, content_type="application/json")
    again = client.post(REQUESTS, given, content_type="application/json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["number"] == first.json()["number"]
    assert again.json()["external_id"] == "APP-7781"
    with bank_a.scope():
        assert ServiceRequest.objects.count() == 1
        assert ServiceRequestStep.objects.count() == 1


def test_an_external_id_reused_for_another_customer_is_a_conflict(
    bank_a, catalog_a, partner_client
):
    client = partner_client(bank_a.token("service_requests:write"))
    given = new_request(source="mobile_app", external_id="APP-1")
    number = client.post(REQUESTS, given, content_type="application/json").json()["number"]
    response = client.post(
        REQUESTS, {**given, "customer_number": "AAA0002"}, content_type="application/json"
    )
    error = only_error(response, 409)
    assert error["attr"] == "external_id" and number in error["detail"]
    with bank_a.scope():
        assert ServiceRequest.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "attr", "code"),
    [
        ({"type": "MORTGAGE_TOP_UP"}, "type", "does_not_exist"),
        ({"customer_number": "ZZZ0001"}, "customer_number", "does_not_exist"),
        ({"customer_number": "AAA-NOBODY"}, "customer_number", "does_not_exist"),
        ({"channel": "TELEX"}, "channel", "does_not_exist"),
        ({"summary": ""}, "summary", "blank"),
        ({"external_id": "APP-1"}, "source", "invalid"),
        ({"source": "mobile app", "external_id": "APP-1"}, "source", "invalid"),
        ({"priority": "high"}, "priority", "unknown_field"),
    ],
)
def test_opening_refuses_bad_input_with_the_field_named(
    change, attr, code, bank_a, bank_b, catalog_a, catalog_b, partner_client
):
    response = partner_client(bank_a.token()).post(
        REQUESTS, new_request(**change), content_type="application/json"
    )
    error = only_error(response)
    assert (error["attr"], error["code"]) == (attr, code)
    assert "ZZZ" not in response.content.decode()
    with bank_a.scope():
        assert not ServiceRequest.objects.exists()
    with bank_b.scope():
        assert not ServiceRequest.objects.exists()


def test_a_type_no_longer_offered_cannot_be_opened(bank_a, catalog_a, partner_client):
    with bank_a.scope():
        card = catalog_a["request_types"]["CARD_REPLACEMENT"]
        card.is_active = False
        card.save()
    response = partner_client(bank_a.token()).post(
        REQUESTS, new_request(), content_type="application/json"
    )
    assert only_error(response)["attr"] == "type"
    with bank_a.scope():
        assert not ServiceRequest.objects.exists()


# --- read -----------------------------------------------------------------------------


def test_a_request_is_read_by_its_number(bank_a, catalog_a, partner_client):
    request = open_request(bank_a, catalog_a, note="柜面受理")
    response = partner_client(bank_a.token("service_requests:read")).get(detail(request.number))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["number"] == request.number and body["status"] == "submitted"
    assert body["team"]["code"] == bank_a.sub_branch.code
    [step] = body["steps"]
    assert step["channel"]["code"] == "COUNTER" and step["partner_name"] == ""
    assert step["staff"]["username"] == bank_a[Role.TELLER].username


def test_an_overdue_request_says_so(bank_a, catalog_a, partner_client):
    request = open_request(
        bank_a, catalog_a, type_code="ADDRESS_CHANGE", opened_at=timezone.now() - timedelta(days=2)
    )
    body = partner_client(bank_a.token()).get(detail(request.number)).json()
    assert body["is_overdue"] is True
    assert body["due_at"] < timezone.now().isoformat()


def test_another_banks_request_is_not_found(bank_a, bank_b, catalog_b, partner_client):
    foreign = open_request(bank_b, catalog_b)
    client = partner_client(bank_a.token())
    response = client.get(detail(foreign.number))
    assert response.status_code == 404
    assert "ZZZ" not in response.content.decode()
    assert client.get(detail("SR-NO-SUCH")).status_code == 404


def test_list_shows_the_banks_requests_without_steps(
    bank_a, bank_b, catalog_a, catalog_b, partner_client
):
    mine = open_request(bank_a, catalog_a)
    open_request(bank_b, catalog_b)
    response = partner_client(bank_a.token("service_requests:read")).get(REQUESTS)
    assert response.status_code == 200, response.content
    [row] = response.json()["results"]
    assert row["number"] == mine.number and "steps" not in row
    assert row["allowed_next_statuses"] == ["accepted", "rejected", "cancelled"]
    assert "ZZZ" not in response.content.decode()


@pytest.fixture
def several(bank_a, catalog_a):
    """Four requests of bank A, numbered by what the filters should tell apart."""
    long_ago = timezone.now() - timedelta(days=10)
    requests = {
        "card": open_request(bank_a, catalog_a),
        "loan": open_request(
            bank_a, catalog_a, type_code="LOAN_APPLICATION", customer=bank_a.other_customer
        ),
        "old": open_request(bank_a, catalog_a, type_code="ADDRESS_CHANGE", opened_at=long_ago),
        "old_moved": open_request(
            bank_a, catalog_a, type_code="ADDRESS_CHANGE", opened_at=long_ago
        ),
    }
    with bank_a.scope():
        ServiceRequestStep.objects.filter(request=requests["old_moved"]).update(
            occurred_at=long_ago
        )
        service_request_move(
            request=requests["old_moved"],
            to_status="accepted",
            channel=catalog_a["channels"]["COUNTER"],
            actor=bank_a[Role.TELLER],
        )
    return requests


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"customer_number": "AAA0002"}, {"loan"}),
        ({"customer_number": "ZZZ0001"}, set()),
        ({"status": "accepted"}, {"old_moved"}),
        ({"type": "ADDRESS_CHANGE"}, {"old", "old_moved"}),
        ({"overdue": "true"}, {"old", "old_moved"}),  # accepted is still open
        ({"overdue": "false"}, {"card", "loan"}),
        ({"opened_since": "one-day-ago"}, {"card", "loan"}),
        ({"updated_since": "one-day-ago"}, {"card", "loan", "old_moved"}),
    ],
)
def test_requests_are_filterable(query, expected, several, bank_a, partner_client):
    one_day_ago = (timezone.now() - timedelta(days=1)).isoformat()
    query = {key: one_day_ago if value == "one-day-ago" else value for key, value in query.items()}
    response = partner_client(bank_a.token()).get(REQUESTS, query)
    assert response.status_code == 200, response.content
    numbers = {row["number"] for row in response.json()["results"]}
    assert numbers == {several[name].number for name in expected}


def test_a_bad_filter_is_a_validation_error(bank_a, partner_client):
    response = partner_client(bank_a.token()).get(REQUESTS, {"status": "lost"})
    assert only_error(response)["attr"] == "status"


def test_requests_are_cursor_paginated(bank_a, catalog_a, partner_client):
    opened = [open_request(bank_a, catalog_a).number for _ in range(3)]
    client = partner_client(bank_a.token())
    first = client.get(REQUESTS, {"page_size": 2}).json()
    assert "count" not in first and first["next"]
    second = client.get(first["next"]).json()
    seen = [row["number"] for row in first["results"] + second["results"]]
    assert seen == opened


def test_reading_takes_a_few_queries_whatever_the_steps(
    bank_a, catalog_a, partner_client, django_assert_max_num_queries
):
    requests = [open_request(bank_a, catalog_a) for _ in range(5)]
    for request in requests:
        with bank_a.scope():
            service_request_move(
                request=request, to_status="accepted", channel=catalog_a["channels"]["PHONE"]
            )
    client = partner_client(bank_a.token())
    with django_assert_max_num_queries(6):
        assert len(client.get(REQUESTS).json()["results"]) == 5
    with django_assert_max_num_queries(6):
        assert len(client.get(detail(requests[0].number)).json()["steps"]) == 2


# --- move -----------------------------------------------------------------------------


def test_partner_moves_a_request_to_its_next_status(bank_a, catalog_a, partner_client):
    request = open_request(bank_a, catalog_a)
    token = bank_a.token("service_requests:write service_requests:read")
    response = partner_client(token).post(
        transitions(request.number),
        {"to_status": "accepted", "channel": "PHONE", "note": "客服中心受理"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "accepted"
    assert body["allowed_next_statuses"] == ["in_progress", "rejected", "cancelled"]
    assert [step["to_status"] for step in body["steps"]] == ["submitted", "accepted"]
    moved = body["steps"][1]
    assert moved["from_status"] == "submitted" and moved["channel"]["code"] == "PHONE"
    assert moved["partner_name"] == bank_a.partner.name and moved["note"] == "客服中心受理"
    assert state_of(bank_a, request.number) == ("accepted", 2)


def test_a_write_only_token_learns_no_more_of_a_request_than_it_wrote(
    bank_a, catalog_a, partner_client
):
    """Moving a request by its number must not read out another channel's request."""
    request = open_request(bank_a, catalog_a)
    client = partner_client(bank_a.token("service_requests:write"))
    response = client.post(
        transitions(request.number),
        {"to_status": "accepted", "channel": "PHONE", "note": "客服中心受理"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    moved = response.json()
    assert moved["number"] == request.number and moved["status"] == "accepted"
    assert moved["allowed_next_statuses"] == ["in_progress", "rejected", "cancelled"]
    assert {"steps", "summary", "owner", "team", "customer_number", "type"}.isdisjoint(moved)

    opened = client.post(
        REQUESTS,
        new_request(source="mobile_app", external_id="APP-9"),
        content_type="application/json",
    ).json()
    assert opened["customer_number"] == "AAA0001" and opened["external_id"] == "APP-9"
    assert {"steps", "owner", "team"}.isdisjoint(opened)


def test_an_illegal_move_is_refused_and_changes_nothing(bank_a, catalog_a, partner_client):
    request = open_request(bank_a, catalog_a)
    response = partner_client(bank_a.token()).post(
        transitions(request.number),
        {"to_status": "completed", "channel": "MOBILE"},
        content_type="application/json",
        headers={"accept-language": "en"},
    )
    error = only_error(response)
    assert error["attr"] == "to_status" and error["code"] == "invalid"
    assert error["detail"] == "A request that is “Submitted” cannot become “Completed”."
    assert state_of(bank_a, request.number) == ("submitted", 1)


@pytest.mark.parametrize(
    ("given", "attr", "code"),
    [
        ({"to_status": "cancelled", "channel": "MOBILE"}, "note", "invalid"),
        ({"to_status": "lost", "channel": "MOBILE"}, "to_status", "invalid_choice"),
        ({"to_status": "accepted", "channel": "TELEX"}, "channel", "does_not_exist"),
        ({"to_status": "accepted"}, "channel", "required"),
    ],
)
def test_a_bad_move_names_its_field(given, attr, code, bank_a, catalog_a, partner_client):
    request = open_request(bank_a, catalog_a)
    response = partner_client(bank_a.token()).post(
        transitions(request.number), given, content_type="application/json"
    )
    error = only_error(response)
    assert (error["attr"], error["code"]) == (attr, code)
    assert state_of(bank_a, request.number) == ("submitted", 1)


def test_a_closed_request_offers_no_next_status(bank_a, catalog_a, partner_client):
    request = open_request(bank_a, catalog_a)
    client = partner_client(bank_a.token())
    response = client.post(
        transitions(request.number),
        {"to_status": "cancelled", "channel": "WECHAT", "note": "客户撤回"},
        content_type="application/json",
    )
    body = response.json()
    assert body["status"] == "cancelled" and body["allowed_next_statuses"] == []
    assert body["closed_at"] is not None and body["is_overdue"] is False
    again = client.post(
        transitions(request.number),
        {"to_status": "accepted", "channel": "WECHAT"},
        content_type="application/json",
    )
    assert only_error(again)["attr"] == "to_status"


def test_another_banks_request_cannot_be_moved(
    bank_a, bank_b, catalog_a, catalog_b, partner_client
):
    foreign = open_request(bank_b, catalog_b)
    response = partner_client(bank_a.token()).post(
        transitions(foreign.number),
        {"to_status": "accepted", "channel": "MOBILE"},
        content_type="application/json",
    )
    assert response.status_code == 404
    assert "ZZZ" not in response.content.decode()
    assert state_of(bank_b, foreign.number) == ("submitted", 1)


# --- one request, several channels ----------------------------------------------------


def test_a_request_opened_in_the_app_and_moved_at_the_counter_reads_the_same(
    bank_a, catalog_a, partner_client
):
    client = partner_client(bank_a.token())
    number = client.post(REQUESTS, new_request(), content_type="application/json").json()["number"]
    teller = bank_a[Role.TELLER]
    with bank_a.scope():
        service_request_move(
            request=ServiceRequest.objects.get(number=number),
            to_status="accepted",
            channel=catalog_a["channels"]["COUNTER"],
            actor=teller,
            note="柜面核实身份",
        )
        at_the_counter = ServiceRequest.objects.get(number=number)
    body = client.get(detail(number)).json()
    assert body["status"] == at_the_counter.status == "accepted"
    assert body["owner"]["username"] == teller.username
    opened, accepted = body["steps"]
    assert (opened["channel"]["code"], opened["partner_name"]) == ("MOBILE", bank_a.partner.name)
    assert opened["staff"] is None
    assert (accepted["channel"]["code"], accepted["staff"]["username"]) == (
        "COUNTER",
        teller.username,
    )
    assert accepted["note"] == "柜面核实身份" and accepted["partner_name"] == ""


# --- scopes ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "scope", ["service_requests:write", "interactions:write", "customers:read"]
)
def test_reading_needs_the_read_scope(scope, bank_a, catalog_a, partner_client):
    request = open_request(bank_a, catalog_a)
    client = partner_client(bank_a.token(scope))
    assert client.get(REQUESTS).status_code == 403
    assert client.get(detail(request.number)).status_code == 403


@pytest.mark.parametrize("scope", ["service_requests:read", "interactions:write"])
def test_opening_and_moving_need_the_write_scope(scope, bank_a, catalog_a, partner_client):
    request = open_request(bank_a, catalog_a)
    client = partner_client(bank_a.token(scope))
    opened = client.post(REQUESTS, new_request(), content_type="application/json")
    moved = client.post(
        transitions(request.number),
        {"to_status": "accepted", "channel": "MOBILE"},
        content_type="application/json",
    )
    assert (opened.status_code, moved.status_code) == (403, 403)
    assert state_of(bank_a, request.number) == ("submitted", 1)
    with bank_a.scope():
        assert ServiceRequest.objects.count() == 1


def test_put_patch_and_delete_are_not_offered(bank_a, catalog_a, partner_client):
    request = open_request(bank_a, catalog_a)
    client = partner_client(bank_a.token())
    for method in (client.put, client.patch):
        response = method(detail(request.number), {}, content_type="application/json")
        assert response.status_code == 405
    assert client.delete(detail(request.number)).status_code == 405
