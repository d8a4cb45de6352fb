"""The token endpoint under attack: throttled guessing, address ranges, and the auditors' record."""

import base64
import time

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from oauth2_provider import oauth2_validators

from crm.audit.models import LoginEvent
from crm.tenancy.context import platform_wide
from crm.tenancy.roles import Role
from tests.translation import zh

TOKEN = "/o/token/"
BRANCHES = "/api/v1/branches/"
ATTACKER = "198.51.100.7"
PARTNER_NETWORK = "203.0.113.0/24"
PARTNER_HOST = "203.0.113.5"
FREE_FAILURES = 5  # settings.OAUTH_TOKEN_THROTTLE["FREE_FAILURES"]


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def ask_token(client_id: str, secret: str, *, address: str = ATTACKER, **headers: str):
    return Client(REMOTE_ADDR=address).post(
        TOKEN,
        {"grant_type": "client_credentials"},
        headers={"authorization": basic(client_id, secret), **headers},
    )


@pytest.fixture
def secret_checks(monkeypatch):
    """Count the client secrets the toolkit hashes (the costly part of a token request)."""
    calls = []
    real = oauth2_validators.check_password

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(oauth2_validators, "check_password", counting)
    return calls


class _StoppedClock:
    """Stands for the ``time`` module where the throttle and the test cache read the time.

    It stands still unless a test moves it: a loaded machine may take longer than the first
    wait (1 s) between two attempts, which would rightly let one through and make the
    counts of these tests depend on the machine's speed.
    """

    def __init__(self) -> None:
        self.now = time.time()

    def time(self) -> float:
        return self.now


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    """Move time forward for the throttle and the cache's expiry alike, and for them only."""
    from django.core.cache.backends import base, locmem

    from crm.api import token_throttle

    stopped = _StoppedClock()
    for module in (token_throttle, base, locmem):
        monkeypatch.setattr(module, "time", stopped)

    def advance(seconds: float) -> None:
        stopped.now += seconds

    return advance


def test_wrong_secrets_are_throttled_before_any_secret_is_checked(bank_a, secret_checks):
    client_id = bank_a.partner.client_id
    statuses = [ask_token(client_id, "guess").status_code for _ in range(30)]
    assert statuses[:FREE_FAILURES] == [401] * FREE_FAILURES
    assert set(statuses[FREE_FAILURES:]) == {429}
    assert len(secret_checks) == FREE_FAILURES  # the 25 throttled ones cost no hashing


def test_a_throttled_answer_is_an_oauth_error_with_retry_after(bank_a):
    for _ in range(FREE_FAILURES):
        ask_token(bank_a.partner.client_id, "guess")
    response = ask_token(bank_a.partner.client_id, "guess")
    assert response.status_code == 429
    assert response.json()["error"] == "slow_down"
    assert response.json()["error_description"]
    assert 1 <= int(response["Retry-After"]) <= 2
    assert response["Cache-Control"] == "no-store"


def test_the_wait_doubles_after_each_further_failure(bank_a, clock, secret_checks):
    client_id = bank_a.partner.client_id
    for _ in range(FREE_FAILURES):
        ask_token(client_id, "guess")
    waits = []
    for _ in range(4):
        refused = ask_token(client_id, "guess")
        waits.append(int(refused["Retry-After"]))
        clock(waits[-1])
        assert ask_token(client_id, "guess").status_code == 401
    assert waits == [1, 2, 4, 8]
    assert len(secret_checks) == FREE_FAILURES + 4


def test_the_right_secret_after_the_wait_gets_a_token_and_starts_over(bank_a, clock):
    client_id = bank_a.partner.client_id
    for _ in range(FREE_FAILURES):
        ask_token(client_id, "guess")
    clock(2)
    assert ask_token(client_id, "partner-secret").status_code == 200
    assert ask_token(client_id, "guess").status_code == 401  # free again: the count restarted


def test_guessing_from_one_place_never_locks_the_partner_out_elsewhere(bank_a):
    for _ in range(30):
        ask_token(bank_a.partner.client_id, "guess")
    response = ask_token(bank_a.partner.client_id, "partner-secret", address=PARTNER_HOST)
    assert response.status_code == 200, response.content


def test_a_forged_forwarded_for_header_does_not_escape_the_throttle(bank_a, secret_checks):
    for n in range(20):
        ask_token(bank_a.partner.client_id, "guess", x_forwarded_for=f"192.0.2.{n}")
    assert len(secret_checks) == FREE_FAILURES


@override_settings(TRUSTED_PROXIES=["10.0.0.0/8"])
def test_behind_a_trusted_proxy_the_client_is_the_address_it_forwarded(bank_a, secret_checks):
    for n in range(10):
        # The client wrote the first entry itself; the proxy appended the real one.
        response = ask_token(
            bank_a.partner.client_id,
            "guess",
            address="10.0.0.2",
            x_forwarded_for=f"192.0.2.{n}, {ATTACKER}",
        )
    assert response.status_code == 429
    assert len(secret_checks) == FREE_FAILURES
    with platform_wide():
        addresses = set(LoginEvent.objects.values_list("ip_address", flat=True))
    assert addresses == {ATTACKER}
    # Another client behind the same proxy is not held up by the attacker.
    response = ask_token(
        bank_a.partner.client_id,
        "partner-secret",
        address="10.0.0.2",
        x_forwarded_for=PARTNER_HOST,
    )
    assert response.status_code == 200


@override_settings(
    OAUTH_TOKEN_THROTTLE={
        "FREE_FAILURES": 5,
        "MAX_BACKOFF_SECONDS": 900,
        "ADDRESS_FAILURES": 6,
        "ADDRESS_WINDOW_SECONDS": 600,
    }
)
def test_one_address_guessing_many_client_ids_is_stopped(bank_a, bank_b, secret_checks):
    statuses = [ask_token(f"made-up-{n}", "guess").status_code for n in range(6)]
    assert statuses == [401] * 6
    assert ask_token(bank_b.partner.client_id, "guess").status_code == 429
    assert ask_token(bank_a.partner.client_id, "partner-secret").status_code == 429
    assert secret_checks == []  # unknown client ids have no secret to hash
    assert (
        ask_token(bank_a.partner.client_id, "partner-secret", address=PARTNER_HOST).status_code
        == 200
    )


def test_credentials_in_the_body_are_throttled_alike(bank_a, secret_checks):
    body = {"grant_type": "client_credentials", "client_id": bank_a.partner.client_id}
    statuses = [
        Client(REMOTE_ADDR=ATTACKER).post(TOKEN, {**body, "client_secret": "guess"}).status_code
        for _ in range(FREE_FAILURES + 1)
    ]
    assert statuses == [401] * FREE_FAILURES + [429]
    assert len(secret_checks) == FREE_FAILURES


def test_http_basic_and_body_credentials_are_not_both_checked(bank_a, secret_checks):
    response = Client(REMOTE_ADDR=ATTACKER).post(
        TOKEN,
        {"grant_type": "client_credentials", "client_id": bank_a.partner.client_id},
        headers={"authorization": basic(bank_a.partner.client_id, "guess")},
    )
    assert response.status_code == 401
    assert len(secret_checks) == 1


def test_revoking_a_token_is_throttled_too(bank_a, secret_checks):
    statuses = [
        Client(REMOTE_ADDR=ATTACKER)
        .post(
            reverse("oauth2-revoke-token"),
            {"token": "whatever"},
            headers={"authorization": basic(bank_a.partner.client_id, "guess")},
        )
        .status_code
        for _ in range(FREE_FAILURES + 3)
    ]
    assert statuses[-1] == 429
    assert len(secret_checks) == FREE_FAILURES


# --- the auditors' record ------------------------------------------------------------------


def test_failed_token_requests_are_in_the_banks_audit_trail(bank_a, bank_b, client_for):
    ask_token(bank_a.partner.client_id, "guess", user_agent="curl/8")
    with bank_a.scope():
        event = LoginEvent.objects.get()
    assert event.kind == LoginEvent.Kind.PARTNER_FAILED
    assert event.username == bank_a.partner.client_id
    assert event.ip_address == ATTACKER and event.user_agent == "curl/8"
    with bank_b.scope():
        assert not LoginEvent.objects.exists()
    page = client_for(bank_a[Role.AUDITOR]).get(reverse("audit:trail") + "?category=login")
    assert page.status_code == 200
    html = page.content.decode()
    assert bank_a.partner.client_id in html and ATTACKER in html
    assert zh("Partner system: token refused") in html


def test_the_start_of_a_throttle_is_recorded_once(bank_a):
    for _ in range(FREE_FAILURES + 5):
        ask_token(bank_a.partner.client_id, "guess")
    with bank_a.scope():
        kinds = list(LoginEvent.objects.values_list("kind", flat=True))
    assert kinds.count(LoginEvent.Kind.PARTNER_FAILED) == FREE_FAILURES
    assert kinds.count(LoginEvent.Kind.PARTNER_THROTTLED) == 1


def test_an_unknown_client_id_is_recorded_for_platform_administrators_only(bank_a):
    ask_token("no-such-client", "guess")
    with bank_a.scope():
        assert not LoginEvent.objects.exists()
    with platform_wide():
        event = LoginEvent.objects.get()
    assert event.tenant_id is None and event.username == "no-such-client"


def test_a_successful_token_request_leaves_no_failure(bank_a):
    assert ask_token(bank_a.partner.client_id, "partner-secret").status_code == 200
    with platform_wide():
        assert not LoginEvent.objects.exists()


# --- address ranges ------------------------------------------------------------------------


@pytest.fixture
def fenced_partner(bank_a):
    with platform_wide():
        bank_a.partner.allowed_networks = f"{PARTNER_NETWORK}\n2001:db8::/48"
        bank_a.partner.save()
    return bank_a.partner


def test_a_partner_fenced_to_its_network_gets_no_token_elsewhere(fenced_partner, secret_checks):
    response = ask_token(fenced_partner.client_id, "partner-secret")
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert secret_checks == []  # refused before its secret was checked
    with platform_wide():
        event = LoginEvent.objects.get()
    assert event.kind == LoginEvent.Kind.PARTNER_ADDRESS
    assert event.tenant_id == fenced_partner.tenant_id


@pytest.mark.parametrize("address", [PARTNER_HOST, "2001:db8:0:1::5"])
def test_a_partner_fenced_to_its_network_gets_a_token_from_there(fenced_partner, address):
    response = ask_token(fenced_partner.client_id, "partner-secret", address=address)
    assert response.status_code == 200, response.content


def test_a_fenced_partners_token_works_only_from_its_network(fenced_partner, bank_a):
    token = bank_a.token()
    inside = Client(REMOTE_ADDR=PARTNER_HOST, headers={"authorization": f"Bearer {token}"})
    outside = Client(REMOTE_ADDR=ATTACKER, headers={"authorization": f"Bearer {token}"})
    assert inside.get(BRANCHES).status_code == 200
    response = outside.get(BRANCHES)
    assert response.status_code == 403
    assert response.json()["type"] == "client_error"
    assert response.json()["errors"][0]["code"] == "permission_denied"


def test_an_unfenced_partner_works_from_anywhere(bank_a):
    token = bank_a.token()
    client = Client(REMOTE_ADDR=ATTACKER, headers={"authorization": f"Bearer {token}"})
    assert client.get(BRANCHES).status_code == 200


def test_the_bank_sets_address_ranges_in_the_admin(bank_a, client_for):
    admin = client_for(bank_a[Role.TENANT_ADMIN])
    url = reverse("admin:tenancy_partnerapplication_change", args=[bank_a.partner.pk])
    form = {
        "name": bank_a.partner.name,
        "scopes": bank_a.partner.allowed_scopes,
        "is_active": "on",
    }
    wrong = admin.post(url, {**form, "allowed_networks": "203.0.113.5/24\nsomewhere"})
    assert wrong.status_code == 200
    assert "203.0.113.5/24, somewhere" in wrong.content.decode()
    right = admin.post(url, {**form, "allowed_networks": PARTNER_NETWORK})
    assert right.status_code == 302, right.content.decode()[:2000]
    with platform_wide():
        bank_a.partner.refresh_from_db()
    assert bank_a.partner.allowed_networks == PARTNER_NETWORK
    assert bank_a.partner.admits(PARTNER_HOST) and not bank_a.partner.admits(ATTACKER)
