import pytest
from django.test import Client
from django.urls import reverse

from crm.tenancy.context import platform_wide
from crm.tenancy.roles import Role
from tests.factories.tenancy import TEST_PASSWORD


@pytest.fixture
def strict_bank(bank_a):
    """Bank A, requiring two-factor sign-in of its administrators and auditors (the default
    of a new bank) and of its relationship managers."""
    with platform_wide():
        bank_a.tenant.two_factor_roles = [
            Role.TENANT_ADMIN,
            Role.AUDITOR,
            Role.RELATIONSHIP_MANAGER,
        ]
        bank_a.tenant.save(update_fields=["two_factor_roles"])
    for staff in bank_a.staff.values():
        staff.tenant = bank_a.tenant
    return bank_a


def sign_in_with_password(username: str, *, follow: bool = False) -> tuple[Client, object]:
    """Sign in through the login page, as a person would, with the password alone."""
    client = Client()
    response = client.post(
        reverse("login"), {"username": username, "password": TEST_PASSWORD}, follow=follow
    )
    assert "_auth_user_id" in client.session
    return client, response
