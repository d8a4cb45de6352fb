"""Logins: hashing, lockout, audit, session and browser protections, production settings."""

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from crm.audit.models import LoginEvent
from crm.settings import base as base_settings
from tests.factories.tenancy import TEST_PASSWORD


def login(client: Client, username: str, password: str):
    return client.post(reverse("login"), {"username": username, "password": password})


def test_passwords_are_hashed_with_argon2_outside_tests():
    assert base_settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def test_anonymous_visitors_are_sent_to_the_login_page(db, client):
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_login_is_recorded_in_the_staff_members_bank(bank_a, bank_b, client):
    response = login(client, bank_a["teller"].username, TEST_PASSWORD)
    assert response.status_code == 302
    with bank_a.scope():
        event = LoginEvent.objects.get(username=bank_a["teller"].username)
    assert event.kind == LoginEvent.Kind.LOGIN
    assert event.tenant_id == bank_a.tenant.pk
    with bank_b.scope():
        assert not LoginEvent.objects.exists()
    with bank_a.scope():
        bank_a["teller"].refresh_from_db()
        assert bank_a["teller"].last_login is not None


def test_failed_login_is_recorded_for_the_auditors(bank_a, client):
    response = login(client, bank_a["teller"].username, "wrong-password")
    assert response.status_code == 200
    assert "请输入一个正确的" in response.content.decode()  # zh-hans form error
    with bank_a.scope():
        assert LoginEvent.objects.filter(kind=LoginEvent.Kind.FAILED).count() == 1


def test_repeated_failures_lock_the_account(bank_a, client):
    username = bank_a["teller"].username
    for _attempt in range(settings.AXES_FAILURE_LIMIT):
        login(client, username, "wrong-password")
    response = login(client, username, TEST_PASSWORD)
    assert response.status_code in (403, 429)
    assert "_auth_user_id" not in client.session
    with bank_a.scope():
        assert LoginEvent.objects.filter(kind=LoginEvent.Kind.LOCKED_OUT).exists()


def test_deactivated_staff_cannot_log_in(bank_a, client):
    from crm.tenancy.services import staff_deactivate

    with bank_a.scope():
        staff_deactivate(staff=bank_a["teller"])
    login(client, bank_a["teller"].username, TEST_PASSWORD)
    assert "_auth_user_id" not in client.session


def test_staff_of_an_inactive_bank_cannot_log_in(bank_a, client):
    from crm.tenancy.context import platform_wide

    with platform_wide():
        bank_a.tenant.is_active = False
        bank_a.tenant.save()
    login(client, bank_a["teller"].username, TEST_PASSWORD)
    assert "_auth_user_id" not in client.session


def test_pages_carry_a_content_security_policy_without_eval(bank_a, client_for):
    response = client_for(bank_a["teller"]).get(reverse("home"))
    policy = response["Content-Security-Policy"]
    script_src = next(d for d in policy.split("; ") if d.startswith("script-src"))
    assert script_src.startswith("script-src 'self'")
    assert "unsafe-eval" not in policy and "unsafe-inline" not in script_src
    assert "frame-ancestors 'none'" in policy
    assert response["X-Frame-Options"] == "DENY"


def test_session_and_csrf_cookies_are_not_readable_by_scripts(bank_a, client):
    login(client, bank_a["teller"].username, TEST_PASSWORD)
    assert client.cookies[settings.SESSION_COOKIE_NAME]["httponly"]
    assert settings.CSRF_COOKIE_HTTPONLY and settings.SESSION_EXPIRE_AT_BROWSER_CLOSE


def _production_check(extra_env: dict) -> subprocess.CompletedProcess:
    # Only the deployment environment: not what other tests set (e.g. for Playwright).
    ignored = {*PRODUCTION_ENV, "DATABASE_APP_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {k: v for k, v in os.environ.items() if k not in ignored}
    env.update(DJANGO_SETTINGS_MODULE="crm.settings.production", **extra_env)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


PRODUCTION_ENV = {
    "SECRET_KEY": "k8#Zq!v0-Lm2@Xw9^Tr4&Yp7*Ns1(Bd6)Hc3_Gf5+Je8=Ka0-Qu2~Wo",
    "ALLOWED_HOSTS": "crm.example.com",
    "DATABASE_URL": "postgres://crm@db.example.com/crm",
    "CELERY_BROKER_URL": "amqp://guest:guest@broker.example.com//",
    "PII_ENCRYPTION_KEYS": "5Yv1N2m0cJb4WZ1a8oX3d1cQeXq6m7Vb9kq2t3w4y5A=",
    "PII_BLIND_INDEX_KEY": "a-long-random-blind-index-key-for-the-check",
}


@pytest.mark.parametrize(
    "missing",
    ["SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "PII_ENCRYPTION_KEYS", "PII_BLIND_INDEX_KEY"],
)
def test_production_settings_refuse_to_start_without(missing):
    values = dict(PRODUCTION_ENV)
    values[missing] = ""
    result = _production_check(values)
    assert result.returncode != 0
    expected = "DATABASE_URL or DATABASE_APP_URL" if missing == "DATABASE_URL" else missing
    assert f"{expected} must be set" in result.stderr


def test_production_hosts_that_do_not_migrate_need_only_the_runtime_role():
    values = {**PRODUCTION_ENV, "DATABASE_URL": ""}
    values["DATABASE_APP_URL"] = "postgres://crm_runtime:secret@db.example.com/crm"
    assert _production_check(values).returncode == 0


def test_production_settings_pass_the_deployment_checks():
    result = _production_check(PRODUCTION_ENV)
    assert result.returncode == 0, result.stderr
