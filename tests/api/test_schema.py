"""The OpenAPI schema says what the server enforces, and the server keeps to it (issue 13).

schemathesis checks the two against each other at random (test_api_fuzz.py); these tests
pin each rule down on its own: methods a resource does not offer, page sizes and empty
filters, and what the schema states about inputs and errors.
"""

import re

import pytest

from customers.models import Holding
from tests.factories import ProductFactory

SCHEMA = "/api/v1/schema/?format=json"


@pytest.fixture(scope="module")
def schema(django_db_setup, django_db_blocker):
    from django.test import Client

    with django_db_blocker.unblock():
        response = Client().get(SCHEMA, headers={"accept-language": "en"})
    assert response.status_code == 200
    return response.json()


def component(schema, ref_or_name: str) -> dict:
    return schema["components"]["schemas"][ref_or_name.rsplit("/", 1)[-1]]


def operations(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def error_of(response, status: int = 400) -> tuple[str, str]:
    assert response.status_code == status, response.content
    [error] = response.json()["errors"]
    return error["attr"], error["code"]


# --- methods a resource does not offer: 405, whatever the token may do -------------------


@pytest.mark.parametrize(
    ("method", "url", "scope"),
    [
        ("delete", "/api/v1/customers/{customer}/", "customers:read"),
        ("put", "/api/v1/customers/{customer}/", "customers:read"),
        ("post", "/api/v1/customers/{customer}/", ""),
        ("delete", "/api/v1/customers/", "customers:read"),
        ("post", "/api/v1/branches/", "branches:read"),
        ("patch", "/api/v1/branches/{branch}/", "branches:read"),
        ("put", "/api/v1/relationships/", "relationships:read"),
        ("delete", "/api/v1/service-requests/SR1/", "service_requests:read"),
        ("get", "/api/v1/holdings/bulk", "customers:read"),
        ("put", "/api/v1/interactions/bulk", ""),
    ],
)
def test_a_method_the_resource_does_not_offer_is_405_not_403(
    method, url, scope, bank_a, partner_client
):
    client = partner_client(bank_a.token(scope))
    url = url.format(customer=bank_a.customer.pk, branch=bank_a.branch.pk)
    response = getattr(client, method)(url, {}, content_type="application/json")
    assert error_of(response, 405) == (None, "method_not_allowed")
    assert method.upper() not in response["Allow"]


def test_an_offered_method_without_its_scope_is_still_403(bank_a, partner_client):
    response = partner_client(bank_a.token("customers:read")).patch(
        f"/api/v1/customers/{bank_a.customer.pk}/", {}, content_type="application/json"
    )
    assert error_of(response, 403) == (None, "permission_denied")


# --- page sizes and filters: refused, never silently ignored -------------------------------


@pytest.mark.parametrize("size", ["null", "", "0", "-1", "1001", "1.5", "abc", "１０"])
def test_a_page_size_that_is_not_1_to_1000_is_refused(size, bank_a, partner_client):
    response = partner_client(bank_a.token()).get(f"/api/v1/branches/?page_size={size}")
    assert error_of(response) == ("page_size", "invalid")


def test_a_page_size_within_bounds_is_used(bank_a, partner_client):
    client = partner_client(bank_a.token())
    assert len(client.get("/api/v1/branches/?page_size=2").json()["results"]) == 2
    assert len(client.get("/api/v1/branches/?page_size=1000").json()["results"]) == 4


@pytest.mark.parametrize(
    ("url", "scope"),
    [
        ("/api/v1/customers/?updated_since=", "customers:read"),
        ("/api/v1/customers/?name_prefix=%20", "customers:read"),
        ("/api/v1/customers/?name_prefix=", "customers:read"),
        ("/api/v1/customers/?aum_min=", "customers:read"),
        ("/api/v1/customers/?kind=", "customers:read"),
        ("/api/v1/service-requests/?updated_since=", "service_requests:read"),
        ("/api/v1/service-requests/?opened_since=", "service_requests:read"),
        ("/api/v1/relationships/?customer_number=%0A", "relationships:read"),
        ("/api/v1/branches/?within=", "branches:read"),
    ],
)
def test_a_filter_given_empty_is_refused(url, scope, bank_a, partner_client):
    response = partner_client(bank_a.token(scope)).get(url)
    name = url.split("?")[1].split("=")[0]
    assert error_of(response) == (name, "blank")


@pytest.mark.parametrize("value", ["maybe", "1", "0", "yes"])
def test_a_yes_no_filter_takes_only_true_or_false(value, bank_a, partner_client):
    client = partner_client(bank_a.token())
    assert error_of(client.get(f"/api/v1/branches/?is_active={value}")) == ("is_active", "invalid")
    assert client.get("/api/v1/branches/?is_active=false").json()["results"] == []
    assert len(client.get("/api/v1/branches/?is_active=true").json()["results"]) == 4


@pytest.mark.parametrize("ordering", ["-updated_at", "name", "", "id,-id", "ID"])
def test_an_ordering_the_list_does_not_offer_is_refused(ordering, bank_a, partner_client):
    response = partner_client(bank_a.token()).get(f"/api/v1/branches/?ordering={ordering}")
    assert error_of(response) == ("ordering", "invalid")


def test_an_offered_ordering_is_used_and_stated_in_the_schema(schema, bank_a, partner_client):
    client = partner_client(bank_a.token())
    ascending = [branch["id"] for branch in client.get("/api/v1/branches/").json()["results"]]
    descending = client.get("/api/v1/branches/?ordering=-id").json()["results"]
    assert [branch["id"] for branch in descending] == sorted(ascending, reverse=True)
    [ordering] = [
        parameter
        for parameter in schema["paths"]["/api/v1/branches/"]["get"]["parameters"]
        if parameter["name"] == "ordering"
    ]
    assert ordering["schema"]["enum"] == ["id", "-id"]


# --- what the schema states ---------------------------------------------------------------


def test_every_operation_lists_the_errors_it_can_answer(schema):
    for path, method, operation in operations(schema):
        codes = set(operation["responses"])
        assert {"400", "401", "403", "404", "405", "429", "500"} <= codes, (method, path)
        has_body = "requestBody" in operation
        assert ("413" in codes) == has_body, (method, path)
        for code, response in operation["responses"].items():
            assert "application/json" in response.get("content", {}), (method, path, code)


def test_conflicts_have_the_error_shape(schema):
    conflicts = [
        op["responses"]["409"] for _p, _m, op in operations(schema) if "409" in op["responses"]
    ]
    assert len(conflicts) == 5
    for conflict in conflicts:
        shape = component(schema, conflict["content"]["application/json"]["schema"]["$ref"])
        error = component(schema, shape["properties"]["errors"]["items"]["$ref"])
        assert component(schema, error["properties"]["code"]["$ref"])["enum"] == ["duplicate"]


def test_inputs_that_refuse_unknown_fields_say_so(schema):
    for path, method, operation in operations(schema):
        if "requestBody" not in operation:
            continue
        body = operation["requestBody"]["content"]["application/json"]["schema"]
        assert component(schema, body["$ref"])["additionalProperties"] is False, (method, path)
    assert component(schema, "HoldingItem")["additionalProperties"] is False


def test_bulk_items_are_bounded_and_text_may_not_be_blank(schema):
    items = component(schema, "HoldingBatch")["properties"]["items"]
    assert (items["minItems"], items["maxItems"]) == (1, 1000)
    account = component(schema, "HoldingItem")["properties"]["account_number"]
    assert account["minLength"] == 1 and account["maxLength"] == 40
    assert not re.search(account["pattern"], "   ") and not re.search(account["pattern"], "A\0")
    assert not re.search(account["pattern"], "\x1f") and re.search(account["pattern"], "\ufeff")
    assert re.search(account["pattern"], "6222 0001")


def test_limits_and_patterns_are_stated(schema):
    change = component(schema, "PatchedRelationshipChangeInput")
    assert change["minProperties"] == 1
    phone = component(schema, "CustomerCreateInput")["properties"]["phone"]["pattern"]
    assert re.search(phone, "13812345678") and re.search(phone, "+8613812345678")
    assert re.search(phone, "") and not re.search(phone, "12345")
    amount = component(schema, "InteractionItem")["properties"]["amount"]["oneOf"]
    text, number = amount
    assert re.search(text["pattern"], "12.50") and not re.search(text["pattern"], "-1")
    assert number["minimum"] == 0
    parameters = {
        p["name"]: p["schema"] for p in schema["paths"]["/api/v1/customers/"]["get"]["parameters"]
    }
    assert (parameters["page_size"]["minimum"], parameters["page_size"]["maximum"]) == (1, 1000)
    assert parameters["updated_since"]["minLength"] == 1
    assert parameters["aum_min"]["minimum"] == 0
    offset = parameters["updated_since"]["pattern"]
    assert re.search(offset, "2026-01-31T09:30:00+08:00") and re.search(offset, "2026-01-31T01:30Z")
    assert not re.search(offset, "2026-01-31T09:30:00+16:00")
    assert not re.search(parameters["cursor"]["pattern"], "a\0b")
    too_large = schema["paths"]["/api/v1/holdings/bulk"]["post"]["responses"]["413"]
    shape = component(schema, too_large["content"]["application/json"]["schema"]["$ref"])
    error = component(schema, shape["properties"]["errors"]["items"]["$ref"])
    assert component(schema, error["properties"]["code"]["$ref"])["enum"] == ["request_too_large"]


def test_errors_of_bulk_items_name_the_item_and_field(schema, bank_a, partner_client):
    ProductFactory(tenant=bank_a.tenant, code="DEP-01")
    good = {
        "account_number": "A-1",
        "customer_number": bank_a.customer.number,
        "product_code": "DEP-01",
        "opened_on": "2024-01-02",
        "status": Holding.Status.ACTIVE,
        "balance": "10.00",
    }
    items = [good, {**good, "account_number": "A-2", "balance": "x", "colour": "red"}]
    response = partner_client(bank_a.token()).post(
        "/api/v1/holdings/bulk", {"items": items}, content_type="application/json"
    )
    assert response.status_code == 400, response.content
    given = {(e["attr"], e["code"]) for e in response.json()["errors"]}
    assert given == {("items.1.balance", "invalid"), ("items.1.colour", "unknown_field")}
    errors = component(schema, "HoldingsBulkCreateError")["anyOf"]
    for attr, code in given:
        matching = [
            ref
            for ref in errors
            if code in component(schema, ref["$ref"])["properties"]["code"]["enum"]
            and re.fullmatch(
                component(schema, ref["$ref"])["properties"]["attr"].get("pattern", "^$"), attr
            )
        ]
        assert matching, (attr, code)
    batch = [
        component(schema, ref["$ref"])
        for ref in errors
        if component(schema, ref["$ref"])["properties"]["attr"].get("enum") == ["items"]
    ]
    assert {"required", "min_length", "max_length", "not_a_list"} <= set(
        batch[0]["properties"]["code"]["enum"]
    )


def test_a_filter_states_the_strictest_of_its_limits():
    """django-filter adds its own maximum (a float, 1e50) to every number filter's."""
    import django_filters

    from crm.api.schema import PartnerFilterExtension
    from crm.tenancy.models import Branch

    bounded = django_filters.NumberFilter(field_name="parent_id", min_value=1, max_value=5)
    [parameter] = PartnerFilterExtension(None).resolve_filter_field(
        None, Branch, None, "parent", bounded
    )
    assert (parameter["schema"]["minimum"], parameter["schema"]["maximum"]) == (1, 5)
    unbounded = django_filters.NumberFilter(field_name="parent_id")
    [parameter] = PartnerFilterExtension(None).resolve_filter_field(
        None, Branch, None, "parent", unbounded
    )
    assert parameter["schema"]["maximum"] == int(1e50)  # exact: the server compares exactly
