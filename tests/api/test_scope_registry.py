"""API scopes are declared by the apps that serve them; the token, schema and admin follow."""

import pytest
from django.test import Client
from django.urls import reverse

from crm.api import scopes

EVERY_APP_SCOPE = {
    "branches:read": "crm.api",
    "customers:read": "customers",
    "customers:write": "customers",
    "customers:pii": "customers",
    "holdings:write": "customers",
    "snapshots:write": "customers",
    "relationships:read": "customers",
    "relationships:write": "customers",
    "interactions:write": "channels",
    "service_requests:read": "channels",
    "service_requests:write": "channels",
    "contributions:write": "marketing",
}


@pytest.fixture
def later_app_scope():
    """A scope as risk would declare it in its AppConfig.ready()."""
    name = scopes.register_scope("warnings:read", "Read the bank's early warnings")
    yield name
    del scopes.SCOPES[name]


def test_every_app_declared_its_scopes():
    assert set(EVERY_APP_SCOPE) <= set(scopes.SCOPES)


def test_a_scope_cannot_be_declared_twice_with_two_meanings():
    with pytest.raises(ValueError, match="customers:read"):
        scopes.register_scope("customers:read", "Something else")
    # Declaring it again as it is (a second ready() in a test run) changes nothing.
    assert scopes.register_scope("customers:read", scopes.SCOPES["customers:read"])


def test_a_declared_scope_reaches_the_admin_the_token_and_the_schema(
    bank_a, client_for, later_app_scope
):
    from crm.tenancy.models import PartnerApplication

    admin = client_for(bank_a["tenant_admin"])
    form = admin.get(reverse("admin:tenancy_partnerapplication_add")).content.decode()
    assert 'value="warnings:read"' in form
    response = admin.post(
        reverse("admin:tenancy_partnerapplication_add"),
        {
            "name": "预警系统",
            "client_id": "warnings",
            "client_secret": "s3cret-value-for-warnings",
            "scopes": [later_app_scope],
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    with bank_a.scope():
        assert PartnerApplication.objects.get(client_id="warnings").scope == "warnings:read"

    token = Client().post(
        "/o/token/",
        {"grant_type": "client_credentials"},
        headers={"authorization": _basic("warnings", "s3cret-value-for-warnings")},
    )
    assert token.status_code == 200, token.content
    assert token.json()["scope"] == "warnings:read"

    schema = Client().get(reverse("api-schema"), {"format": "json"})
    flows = schema.json()["components"]["securitySchemes"]["partnerOAuth2"]["flows"]
    assert "warnings:read" in flows["clientCredentials"]["scopes"]


def _basic(user: str, password: str) -> str:
    import base64

    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
