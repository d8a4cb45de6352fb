"""Partner systems: OAuth2 client credentials, scopes, filters, errors and throttling."""

import base64

import pytest
from django.core.cache import cache
from django.test import Client, override_settings
from django.urls import reverse

from crm.tenancy.context import platform_wide

BRANCHES = "/api/v1/branches/"


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def test_partner_gets_a_token_with_client_credentials_and_lists_its_branches(bank_a, bank_b):
    client = Client()
    response = client.post(
        reverse("oauth2-token"),
        {"grant_type": "client_credentials"},
        headers={"authorization": basic(bank_a.partner.client_id, "partner-secret")},
    )
    assert response.status_code == 200, response.content
    token = response.json()
    assert token["token_type"] == "Bearer"
    assert token["expires_in"] <= 3600
    assert set(token["scope"].split()) == set(bank_a.partner.allowed_scopes)
    listing = client.get(BRANCHES, headers={"authorization": f"Bearer {token['access_token']}"})
    assert listing.status_code == 200
    codes = {branch["code"] for branch in listing.json()["results"]}
    assert codes == {"AAA-HO", "AAA-BR", "AAA-SUB", "AAA-BR2"}


def test_token_endpoint_refuses_a_wrong_secret_and_other_grants(bank_a):
    client = Client()
    wrong = client.post(
        reverse("oauth2-token"),
        {"grant_type": "client_credentials"},
        headers={"authorization": basic(bank_a.partner.client_id, "nope")},
    )
    assert wrong.status_code == 401
    password_grant = client.post(
        reverse("oauth2-token"),
        {"grant_type": "password", "username": "aaa_teller", "password": "x"},
        headers={"authorization": basic(bank_a.partner.client_id, "partner-secret")},
    )
    assert password_grant.status_code in (400, 401)


def test_deactivated_partner_gets_no_token_and_its_tokens_stop_working(bank_a, partner_client):
    token = bank_a.token()
    with platform_wide():
        bank_a.partner.is_active = False
        bank_a.partner.save()
    assert partner_client(token).get(BRANCHES).status_code == 401
    response = Client().post(
        reverse("oauth2-token"),
        {"grant_type": "client_credentials"},
        headers={"authorization": basic(bank_a.partner.client_id, "partner-secret")},
    )
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("kind=sub_branch", {"AAA-SUB"}),
        ("name_prefix=AAA二", {"AAA-BR2"}),
        ("code=AAA-BR", {"AAA-BR"}),
        ("within={branch}", {"AAA-BR", "AAA-SUB"}),
        ("parent={head_office}", {"AAA-BR", "AAA-BR2"}),
    ],
)
def test_branches_are_filterable(query, expected, bank_a, bank_b, partner_client):
    url = BRANCHES + "?" + query.format(branch=bank_a.branch.pk, head_office=bank_a.head_office.pk)
    response = partner_client(bank_a.token()).get(url)
    assert response.status_code == 200
    assert {b["code"] for b in response.json()["results"]} == expected


def test_filtering_by_another_banks_branch_finds_nothing(bank_a, bank_b, partner_client):
    response = partner_client(bank_a.token()).get(f"{BRANCHES}?within={bank_b.branch.pk}")
    assert response.json()["results"] == []


def test_another_banks_branch_is_not_found(bank_a, bank_b, partner_client):
    response = partner_client(bank_a.token()).get(f"{BRANCHES}{bank_b.branch.pk}/")
    assert response.status_code == 404
    assert response.json() == {
        "type": "client_error",
        "errors": [
            {"code": "not_found", "detail": response.json()["errors"][0]["detail"], "attr": None}
        ],
    }


def test_pages_are_cursor_paginated(bank_a, partner_client):
    client = partner_client(bank_a.token())
    first = client.get(f"{BRANCHES}?page_size=3").json()
    assert len(first["results"]) == 3 and first["next"]
    second = client.get(first["next"]).json()
    assert len(second["results"]) == 1
    assert not {b["id"] for b in first["results"]} & {b["id"] for b in second["results"]}


def test_token_without_the_scope_is_forbidden(bank_a, partner_client):
    response = partner_client(bank_a.token(scope="")).get(BRANCHES)
    assert response.status_code == 403
    assert response.json()["type"] == "client_error"
    assert response.json()["errors"][0]["code"] == "permission_denied"


def test_errors_share_one_json_shape(db, client):
    response = client.get(BRANCHES)
    assert response.status_code == 401
    assert response.json()["type"] == "client_error"
    assert response.json()["errors"][0]["code"] == "not_authenticated"
    invalid = Client(headers={"authorization": "Bearer not-a-token"}).get(BRANCHES)
    assert invalid.status_code == 401
    unknown = client.get("/api/v1/no-such-resource/")
    assert unknown.status_code == 404 and unknown.json()["errors"][0]["code"] == "not_found"


def test_bad_filter_value_is_a_json_validation_error(bank_a, partner_client):
    response = partner_client(bank_a.token()).get(f"{BRANCHES}?kind=castle")
    assert response.status_code == 400
    body = response.json()
    assert body["type"] == "validation_error"
    assert body["errors"][0]["attr"] == "kind"


@override_settings(
    REST_FRAMEWORK={
        **__import__("django.conf", fromlist=["settings"]).settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"partner": "3/min"},
    }
)
def test_each_partner_is_throttled_on_its_own(bank_a, bank_b, partner_client):
    cache.clear()
    client_a = partner_client(bank_a.token())
    statuses = [client_a.get(BRANCHES).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    assert partner_client(bank_b.token()).get(BRANCHES).status_code == 200
    cache.clear()


def test_schema_and_docs_are_served_without_any_cdn(db, client):
    schema = client.get(reverse("api-schema"))
    assert schema.status_code == 200
    assert b"/api/v1/branches/" in schema.content
    assert b"clientCredentials" in schema.content
    docs = client.get(reverse("api-docs"))
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "swagger-ui" in html
    assert "cdn" not in html.lower() and "https://" not in html
