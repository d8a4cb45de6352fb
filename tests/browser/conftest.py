"""Browser tests: headless Chromium driven by Playwright against pytest-django's live server.

Chromium is Debian's (/usr/bin/chromium). Without it the browser tests are skipped, unless
REQUIRE_BROWSER=1 (CI), where a missing browser is a failure.

Every test gets a fresh browser context (locale zh-CN) and fails if the page logged any
console error: the site sends a strict Content-Security-Policy and Chromium reports each
violation as a console error, so a violation is a bug like any uncaught script error.
"""

import base64
import contextlib
import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import Response, sync_playwright

from tests.factories.two_factor import code_of

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
TIMEOUT_MS = 15_000


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        message = f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("REQUIRE_BROWSER") == "1":
            pytest.fail(f"REQUIRE_BROWSER=1 but {message}", pytrace=False)
        pytest.skip(message)
    # Playwright's sync API runs an asyncio event loop in the test thread for the rest of
    # the session; Django would otherwise refuse the database access that fixtures and
    # assertions (and later tests) make from that thread.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


class ConsoleErrors:
    """Console errors, uncaught exceptions and CSP violations a page reported."""

    def __init__(self):
        self.errors: list[str] = []
        # The site has no favicon: Chromium's automatic request for one gets a 404.
        self._allowed: list[re.Pattern] = [re.compile(r"status of 404 .*/favicon\.ico\)$")]

    def allow(self, pattern: str) -> None:
        """Expect console errors matching ``pattern`` (e.g. a deliberate 403 page)."""
        self._allowed.append(re.compile(pattern))

    def record(self, text: str) -> None:
        self.errors.append(text)

    def unexpected(self) -> list[str]:
        return [e for e in self.errors if not any(p.search(e) for p in self._allowed)]


# Reports every CSP violation, including those of report-only policies and any Chromium
# does not log, through a binding that survives navigations.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__reportCspViolation(
    `CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline"} ` +
    `in ${event.documentURI} (${event.sourceFile || ""}:${event.lineNumber || ""})`
  );
});
"""


@pytest.fixture
def console_errors() -> ConsoleErrors:
    return ConsoleErrors()


@pytest.fixture
def page(browser, console_errors):
    context = browser.new_context(locale="zh-CN", timezone_id="Asia/Shanghai")
    context.set_default_timeout(TIMEOUT_MS)
    context.expose_binding(
        "__reportCspViolation", lambda _source, text: console_errors.record(text)
    )
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()

    def on_console(message):
        if message.type == "error":
            console_errors.record(f"console error: {message.text} ({message.location['url']})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: console_errors.record(f"uncaught exception: {error}"))
    try:
        yield page
    finally:
        # Let the requests the page still has in flight (a lazy panel, the inbox badge)
        # finish first: the live server would otherwise be writing while the test's
        # database is flushed, and the two deadlock.
        with contextlib.suppress(PlaywrightError):
            page.wait_for_load_state("networkidle", timeout=5_000)
        context.close()
    unexpected = console_errors.unexpected()
    assert not unexpected, "The browser reported errors:\n" + "\n".join(unexpected)


def login(page, live_server, username: str, password: str) -> Response | None:
    """Log in through the real login form; return the response to the form's submission.

    Someone who must use two-factor sign-in is then taken through it as a person would be:
    setting up an authenticator from the key the page shows, or entering its code.
    """
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    with page.expect_navigation() as navigation:
        page.locator("form:has(#id_password) button[type=submit]").click()
    response = navigation.value
    if "/accounts/two-factor/set-up/" in page.url:
        enrol_authenticator(page)
        with page.expect_navigation():
            page.get_by_test_id("continue").click()
    elif "/accounts/two-factor/code/" in page.url:
        enter_code(page, code_for_username(username))
    return response


def key_shown(page) -> bytes:
    """The authenticator key the set-up page shows for typing in by hand."""
    text = page.get_by_test_id("totp-key").inner_text().replace(" ", "")
    return base64.b32decode(text + "=" * (-len(text) % 8))


def enrol_authenticator(page) -> bytes:
    """Set up the authenticator from the key on the page; return the key."""
    key = key_shown(page)
    enter_code(page, code_of(key), form="enrol-form")
    return key


def enter_code(page, code: str, *, form: str = "verify-form") -> None:
    page.locator("#id_code").fill(code)
    with page.expect_navigation():
        page.get_by_test_id(form).locator("button[type=submit]").click()


def code_for_username(username: str) -> str:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from crm.tenancy.context import platform_wide

    with platform_wide():
        device = TOTPDevice.objects.get(user__username=username, confirmed=True)
        # A code of the next period: a device takes one code per period.
        return code_of(device.bin_key, steps_ahead=1)


def choose_manager(page, lookup_id: str, typed: str, choice: str) -> None:
    """In the manager lookup ``lookup_id``, type ``typed`` and click the match ``choice``."""
    with page.expect_response(lambda r: "/customers/managers/?" in r.url):
        page.locator(f"#{lookup_id}-lookup").fill(typed)
    page.locator(f"#{lookup_id}-matches [data-manager-choice]", has_text=choice).click()


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=True)
    return path
