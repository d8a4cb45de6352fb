"""The development tools stay out of the product: not installed there, not imported."""

import json
import os
import subprocess
import sys

from django.apps import apps
from django.conf import settings
from django.core.management import get_commands

from tests.security.test_authentication import PRODUCTION_ENV

TOOLING = ("devtools", "bankgen", "benchmark", "throughput", "ingest_rate")

# What the production web process does when it starts (crm.wsgi), then every view the
# URLconf names, the admin's registrations and the partner API's.
START_WEB_PROCESS = """
import json, sys
from django.core.wsgi import get_wsgi_application
from django.conf import settings
from django.urls import get_resolver

get_wsgi_application()
get_resolver().url_patterns
print(json.dumps({"apps": settings.INSTALLED_APPS, "modules": sorted(sys.modules)}))
"""


def _start(settings_module: str, deployment: dict | None = None) -> dict:
    env = dict(os.environ)
    if deployment is not None:
        # Only the deployment environment: not what the tests set.
        ignored = {*PRODUCTION_ENV, "DATABASE_APP_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
        env = {k: v for k, v in env.items() if k not in ignored} | deployment
    env["DJANGO_SETTINGS_MODULE"] = settings_module
    result = subprocess.run(  # noqa: S603 (our own code, run by our own interpreter)
        [sys.executable, "-c", START_WEB_PROCESS],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def _tooling(modules: list[str]) -> list[str]:
    return [name for name in modules if any(word in name for word in TOOLING)]


def test_the_production_web_process_installs_and_imports_no_generator_or_benchmark():
    started = _start("crm.settings.production", PRODUCTION_ENV)

    assert not [app for app in started["apps"] if app.split(".")[0] == "devtools"]
    assert "channels" in started["apps"] and "customers.views" in started["modules"]
    assert _tooling(started["modules"]) == []


def test_the_development_process_has_them_and_the_check_above_would_see_them():
    # With the tests' own database and broker (unset, it would start embedded ones).
    started = _start("crm.settings.dev")

    assert "devtools" in started["apps"]
    # Registered as dotted paths: the generators themselves load when a bank is made.
    assert "devtools.apps" in _tooling(started["modules"])


def test_the_test_settings_install_the_commands_of_the_development_app():
    assert apps.is_installed("devtools")
    commands = get_commands()
    assert commands["generate_bank"] == "devtools"
    assert commands["benchmark"] == "devtools"
    assert commands["load_demo"] == "crm.shell"  # the demo banks stay in the product
