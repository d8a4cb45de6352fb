"""Staff pages' "more" links carry a cursor: JSON in base64, which anyone can write by hand.
A NUL or lone surrogate in it, a UTC offset PostgreSQL cannot store, or JSON nested
thousands deep is a bad cursor (the page says so or starts over), never a 500."""

import base64

import pytest

from crm.tenancy.roles import Role


def cursor(json_text: str) -> str:
    return base64.urlsafe_b64encode(json_text.encode()).decode().rstrip("=")


DEEP = "[" * 5000 + "]" * 5000


@pytest.mark.parametrize(
    ("role", "page", "payload"),
    [
        (Role.BRANCH_MANAGER, "/customers/?sort=name&after={}", '["name","\\u0000",1]'),
        (Role.BRANCH_MANAGER, "/customers/?sort=name&before={}", '["name","\\ud800",1]'),
        (Role.BRANCH_MANAGER, "/customers/?sort=name&after={}", f'["name",{DEEP}]'),
        (
            Role.AUDITOR,
            "/audit/?after={}",
            '["audit","2026-01-01T00:00:00+16:00","customers_customer",1]',
        ),
        (Role.AUDITOR, "/audit/?after={}", '["audit","2026-01-01T00:00:00Z","\\u0000",1]'),
        (
            Role.RELATIONSHIP_MANAGER,
            "/channels/customers/{customer}/timeline/?after={}",
            '["timeline",["2026-01-01T00:00:00+16:00",1],null]',
        ),
        (
            Role.BRANCH_MANAGER,
            "/channels/requests/?tab=team&after={}",
            '["team","2026-01-01T00:00:00-16:00",1]',
        ),
    ],
)
def test_a_hand_made_cursor_is_refused_not_a_server_error(role, page, payload, bank_a, client_for):
    url = page.replace("{customer}", str(bank_a.customer.pk)).format(cursor(payload))
    response = client_for(bank_a[role]).get(url)
    assert response.status_code in (200, 400), (url, response.status_code)
