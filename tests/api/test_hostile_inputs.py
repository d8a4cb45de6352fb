"""Inputs that once made the API answer 500: every one is a 4xx in the error shape.

- a UTC offset beyond ±15:59, which Python takes and PostgreSQL refuses;
- JSON nested ~1,000 deep (RecursionError in the decoder);
- a NUL or a lone surrogate in any string or key of any body, the relationship manager and
  choice fields included (it reached the database, or was echoed into an answer that could
  not be encoded).
"""

import base64
import json

import pytest
from django import forms
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework import serializers

from channels.models import ServiceRequest
from channels.services import service_request_open
from crm.api.inputs import DateTimeFilter, DateTimeInput, StrictInput
from crm.api.parsers import ApiJSONParser
from crm.api.views import PartnerAPIMixin
from customers.models import Customer, CustomerRelationship
from customers.services import relationship_add
from tests.factories import ProductFactory
from tests.factories.channels import standard_catalog

WHEN = "2026-01-15T09:30:00+08:00"
BAD_CHARACTERS = {
    "\x00": "null_characters_not_allowed",
    "\ud800": "surrogate_characters_not_allowed",
}


def error_body(response, status: int = 400) -> dict:
    """The answer, which must be valid UTF-8 JSON in the error shape."""
    assert response.status_code == status, response.content
    body = json.loads(response.content.decode("utf-8"))  # strict: no lone surrogate
    assert set(body) == {"type", "errors"}, body
    return body


# --- UTC offsets ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/customers/?updated_since={}",
        "/api/v1/service-requests/?updated_since={}",
        "/api/v1/service-requests/?opened_since={}",
    ],
)
@pytest.mark.parametrize("offset", ["+16:00", "-16:00", "+23:59"])
def test_a_utc_offset_the_database_cannot_store_is_refused_in_filters(
    url, offset, bank_a, partner_client
):
    response = partner_client(bank_a.token()).get(
        url.format(f"2020-01-01T00:00:00{offset}".replace("+", "%2B"))
    )
    [error] = error_body(response)["errors"]
    assert error["code"] == "invalid_utc_offset"
    assert error["attr"] == url.split("?")[1].split("=")[0]


@pytest.mark.parametrize("offset", ["+15:59", "-15:59", "Z"])
def test_offsets_within_fifteen_fifty_nine_are_taken(offset, bank_a, partner_client):
    time = f"2020-01-01T00:00:00{offset}".replace("+", "%2B")
    response = partner_client(bank_a.token()).get(f"/api/v1/customers/?updated_since={time}")
    assert response.status_code == 200, response.content


@pytest.fixture
def catalog_a(bank_a):
    return standard_catalog(bank_a.tenant)


def contact(**fields) -> dict:
    return {
        "source": "call_center",
        "external_id": "CC-1",
        "customer_number": "AAA0001",
        "channel": "PHONE",
        "kind": "enquiry",
        "occurred_at": WHEN,
        "summary": "咨询理财产品",
        **fields,
    }


def test_a_contact_at_an_offset_the_database_cannot_store_is_refused(
    bank_a, catalog_a, partner_client
):
    response = partner_client(bank_a.token()).post(
        "/api/v1/interactions/bulk",
        {"items": [contact(occurred_at="2026-01-15T09:30:00+16:00")]},
        content_type="application/json",
    )
    [error] = error_body(response)["errors"]
    assert (error["attr"], error["code"]) == ("items.0.occurred_at", "invalid_utc_offset")


def test_the_shared_time_field_refuses_the_offset_as_sent():
    field = DateTimeInput()
    with pytest.raises(serializers.ValidationError) as refused:
        field.run_validation("2026-01-15T09:30:00+16:00")
    assert refused.value.detail[0].code == "invalid_utc_offset"
    assert field.run_validation("2026-01-15T09:30:00+15:00").utcoffset() is not None


def api_views():
    """Every API view class of the URL configuration."""

    def walk(resolver):
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry)
            elif isinstance(entry, URLPattern):
                view = getattr(entry.callback, "cls", None)
                if view is not None and issubclass(view, PartnerAPIMixin):
                    yield view

    return set(walk(get_resolver()))


def test_every_time_filter_of_the_api_is_the_shared_one():
    checked = 0
    for view in api_views():
        filterset = getattr(view, "filterset_class", None)
        for name, list_filter in (filterset.base_filters if filterset else {}).items():
            if issubclass(list_filter.field_class, forms.DateTimeField):
                assert isinstance(list_filter, DateTimeFilter), f"{view.__name__}.{name}"
                checked += 1
    assert checked >= 3


def input_serializers():
    """Every input serializer: the API's inputs refuse unknown fields (StrictInput)."""
    pending = [StrictInput]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        yield cls


def writable_fields(serializer):
    for name, field in serializer.fields.items():
        if field.read_only:
            continue
        if isinstance(field, serializers.ListSerializer):
            field = field.child
        if isinstance(field, serializers.Serializer):
            yield from writable_fields(field)
        else:
            yield name, field


def test_every_time_input_of_the_api_is_the_shared_field():
    times = []
    for cls in input_serializers():
        for name, field in writable_fields(cls()):
            if isinstance(field, serializers.DateTimeField):
                assert isinstance(field, DateTimeInput), f"{cls.__module__}.{cls.__name__}.{name}"
                times.append(name)
    assert "occurred_at" in times


# --- JSON nesting ---------------------------------------------------------------------


@pytest.mark.parametrize("depth", [50, 1_000, 100_000])
def test_json_nested_deep_is_a_parse_error(depth, bank_a, catalog_a, partner_client):
    body = '{"items": ' + "[" * depth + "]" * depth + "}"
    response = partner_client(bank_a.token()).post(
        "/api/v1/interactions/bulk", body, content_type="application/json"
    )
    [error] = error_body(response)["errors"]
    assert error["code"] == "parse_error"


def test_every_api_view_parses_bodies_with_the_checking_parser():
    for view in api_views():
        assert all(issubclass(parser, ApiJSONParser) for parser in view.parser_classes), view


# --- NUL and lone surrogates ----------------------------------------------------------


@pytest.fixture
def writes(bank_a, catalog_a):
    """Every write of the API with a body holding every string field it takes."""
    ProductFactory(tenant=bank_a.tenant, code="DEP")
    with bank_a.scope():
        relationship = relationship_add(
            from_customer=bank_a.other_customer, to_customer=bank_a.customer, kind="guarantor"
        )
        request = service_request_open(
            request_type=catalog_a["request_types"]["CARD_REPLACEMENT"],
            customer=bank_a.customer,
            channel=catalog_a["channels"]["MOBILE"],
            summary="补办借记卡",
        )
    customer = {
        "kind": "individual",
        "name": "王五",
        "status": "active",
        "gender": "male",
        "occupation": "教师",
        "address": "北京市朝阳区",
        "id_number": "",
        "phone": "13900001111",
        "relationship_manager": "aaa_relationship_manager",
    }
    return [
        ("post", "/api/v1/customers/", {"number": "AAA9001", "home_branch": 1, **customer}),
        ("patch", f"/api/v1/customers/{bank_a.customer.pk}/", customer),
        (
            "post",
            "/api/v1/relationships/",
            {
                "from_customer_number": "AAA0001",
                "to_customer_number": "AAA0002",
                "kind": "spouse",
                "note": "夫妻",
            },
        ),
        ("patch", f"/api/v1/relationships/{relationship.pk}/", {"kind": "spouse", "note": "改"}),
        (
            "post",
            "/api/v1/service-requests/",
            {
                "type": "CARD_REPLACEMENT",
                "customer_number": "AAA0001",
                "channel": "MOBILE",
                "summary": "补卡",
                "note": "备注",
                "source": "mobile_app",
                "external_id": "APP-1",
            },
        ),
        (
            "post",
            f"/api/v1/service-requests/{request.number}/transitions/",
            {"to_status": "accepted", "channel": "MOBILE", "note": "受理"},
        ),
        (
            "post",
            "/api/v1/interactions/bulk",
            {"items": [contact(outcome="已答复", direction="inbound", amount="1.00")]},
        ),
        (
            "post",
            "/api/v1/holdings/bulk",
            {
                "items": [
                    {
                        "account_number": "6222000011112222",
                        "customer_number": "AAA0001",
                        "product_code": "DEP",
                        "opened_on": "2024-03-01",
                        "status": "active",
                        "balance": "1000.00",
                    }
                ]
            },
        ),
        (
            "post",
            "/api/v1/balance-snapshots/bulk",
            {
                "items": [
                    {
                        "customer_number": "AAA0001",
                        "month": "2026-01",
                        "deposits": "1000.00",
                        "loans": "0.00",
                        "wealth": "0.00",
                        "aum": "1000.00",
                    }
                ]
            },
        ),
    ]


def string_paths(value, path=()):
    """The path of every string in a body."""
    if isinstance(value, str):
        yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from string_paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from string_paths(item, (*path, index))


def replaced(body, path, text):
    body = json.loads(json.dumps(body))
    holder = body
    for part in path[:-1]:
        holder = holder[part]
    holder[path[-1]] = text
    return body


def state(bank) -> tuple:
    with bank.scope():
        return (
            Customer.objects.count(),
            CustomerRelationship.objects.count(),
            ServiceRequest.objects.count(),
            sorted(Customer.objects.values_list("name", "occupation", "status")),
        )


@pytest.mark.parametrize("character", BAD_CHARACTERS)
def test_a_bad_character_in_any_string_of_any_body_is_refused_with_its_field(
    character, bank_a, writes, partner_client
):
    client = partner_client(bank_a.token())
    before = state(bank_a)
    tried = 0
    for method, url, body in writes:
        for path in string_paths(body):
            value = f"A{character}B"
            response = getattr(client, method)(
                url, replaced(body, path, value), content_type="application/json"
            )
            errors = error_body(response)["errors"]
            where = f"{method} {url} {'.'.join(map(str, path))}"
            assert errors == [
                {
                    "code": BAD_CHARACTERS[character],
                    "detail": errors[0]["detail"],
                    "attr": ".".join(map(str, path)),
                }
            ], where
            assert character not in errors[0]["detail"], where
            tried += 1
    assert tried > 40
    assert state(bank_a) == before


@pytest.mark.parametrize("character", BAD_CHARACTERS)
def test_a_bad_character_in_a_key_is_refused_without_echoing_it(
    character, bank_a, catalog_a, partner_client
):
    response = partner_client(bank_a.token()).post(
        "/api/v1/interactions/bulk",
        {"items": [{**contact(), f"note{character}": "x"}]},
        content_type="application/json",
    )
    [error] = error_body(response)["errors"]
    assert error["code"] == BAD_CHARACTERS[character]
    assert error["attr"] == "items.0.note\ufffd"


def test_a_nul_in_a_query_parameter_is_refused_with_its_name(bank_a, partner_client):
    response = partner_client(bank_a.token()).get("/api/v1/customers/?kind=%00individual")
    [error] = error_body(response)["errors"]
    assert (error["attr"], error["code"]) == ("kind", "null_characters_not_allowed")


BASIC_WITH_NUL = base64.b64encode(b"aaa-core\x00:secret").decode()


@pytest.mark.parametrize(
    ("url", "body", "headers"),
    [
        ("/o/token/", "grant_type=client_credentials&client_id=a%00b&client_secret=x", {}),
        (
            "/o/token/",
            "grant_type=client_credentials",
            {"authorization": f"Basic {BASIC_WITH_NUL}"},
        ),
        (
            "/o/token/",
            "grant_type=client_credentials",
            {"authorization": f"Basic {base64.b64encode(b'a%00b:x').decode()}"},
        ),
        ("/o/revoke_token/", "token=t&client_id=a%00b&client_secret=x", {}),
    ],
)
def test_a_nul_in_token_credentials_is_an_invalid_request(url, body, headers, bank_a, client):
    response = client.post(
        url, body, content_type="application/x-www-form-urlencoded", headers=headers
    )
    assert response.status_code == 400, response.content
    assert response.json()["error"] == "invalid_request"


def test_tokens_are_still_issued(bank_a, client):
    response = client.post(
        "/o/token/",
        "grant_type=client_credentials&client_id=aaa-core&client_secret=partner-secret",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200, response.content
