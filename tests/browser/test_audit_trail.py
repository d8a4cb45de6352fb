"""An auditor pages through the trail in a real browser."""

import pytest
from playwright.sync_api import expect

from crm.audit.views import PAGE_SIZE
from crm.tenancy.roles import Role
from tests.audit.trail_helpers import import_customers
from tests.browser.conftest import login
from tests.factories.tenancy import TEST_PASSWORD

pytestmark = pytest.mark.browser


def test_older_entries_reach_every_entry_of_an_import_sharing_one_time(page, live_server, bank_a):
    # More entries at one instant than a page holds: an import of one transaction.
    names = import_customers(bank_a, PAGE_SIZE * 2 + 5, by=bank_a[Role.TENANT_ADMIN])

    login(page, live_server, bank_a[Role.AUDITOR].username, TEST_PASSWORD)
    page.goto(f"{live_server.url}/audit/")
    seen: list[str] = []
    for _page_number in range(4):
        expect(page.get_by_test_id("audit-entry").first).to_be_visible()
        seen += [
            text.split(": ", 1)[1]
            for text in page.get_by_test_id("audit-subject").all_inner_texts()
            if "导入客户" in text
        ]
        older = page.get_by_test_id("older-entries")
        if older.count() == 0:
            break
        with page.expect_navigation() as navigation:
            older.click()
        assert navigation.value is not None and navigation.value.status == 200
    assert sorted(seen) == sorted(names)  # every entry, each once
