"""Importing customers in a real browser: a bad file, its preview, the corrected file, progress."""

import re

import pytest
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import expect
from stdnum.cn import ric

from crm.tenancy.roles import Role
from customers import tasks
from customers.models import Customer
from tests.browser.conftest import login, screenshot
from tests.factories.tenancy import TEST_PASSWORD

pytestmark = pytest.mark.browser

HEADER = "客户号,客户类型,姓名,证件号码,手机号码,出生日期,性别,归属机构,客户经理"


def resident_id(birth: str, sequence: str) -> str:
    body = f"110105{birth}{sequence}"
    return body + ric.calc_check_digit(body + "0")


WANG = resident_id("19850615", "003")
LI = resident_id("19920101", "024")


def csv_file(*rows: str) -> dict:
    content = "\n".join([HEADER, *rows]) + "\n"
    return {"name": "客户导入.csv", "mimeType": "text/csv", "buffer": content.encode()}


@pytest.fixture
def sent_jobs(monkeypatch):
    """Keep the import task from the broker: the test runs it itself, like a worker would."""
    sent = []
    monkeypatch.setattr(tasks.import_apply, "delay_on_commit", lambda **kw: sent.append(kw))
    return sent


def upload(page, file: dict) -> None:
    form = page.get_by_test_id("import-upload")
    form.locator("input[name=kind][value=customers]").check()
    form.locator("input[type=file]").set_input_files(file)
    with page.expect_navigation():
        form.locator("button[type=submit]").click()


def test_a_bad_file_shows_each_line_and_reason_and_the_corrected_file_is_applied(
    page, live_server, bank_a, sent_jobs
):
    manager = bank_a[Role.BRANCH_MANAGER]
    rm = bank_a[Role.RELATIONSHIP_MANAGER].username
    good = f"N5001,个人,王强,{WANG},13900000001,1985-06-15,男,AAA-SUB,{rm}"
    login(page, live_server, manager.username, TEST_PASSWORD)
    page.goto(f"{live_server.url}/customers/imports/")
    screenshot(page, "import-upload-zh.png")

    upload(page, csv_file(good, f"N5002,个人,李梅,{LI[:-1]}0,13900000002,,,AAA-BR2,"))

    assert re.search(r"/customers/imports/jobs/\d+/$", page.url)
    problems = page.get_by_test_id("import-problems").locator("tbody tr")
    expect(problems).to_have_count(1)
    assert problems.locator("td").first.inner_text() == "3"
    with translation.override("zh-hans"):
        checksum = gettext("This resident ID number is wrong: its check character does not match.")
        branch = gettext("No active branch in your scope has the code “%(code)s”.") % {
            "code": "AAA-BR2"
        }
    assert problems.locator("li").all_inner_texts() == [checksum, branch]
    expect(page.get_by_test_id("apply-import")).to_have_count(0)
    screenshot(page, "import-bad-file-zh.png")

    with page.expect_navigation():
        page.get_by_test_id("upload-again").click()
    upload(page, csv_file(good, f"N5002,个人,李梅,{LI},13900000002,,,AAA-BR,"))
    expect(page.get_by_test_id("check-summary")).to_contain_text("2")
    with page.expect_navigation():
        page.get_by_test_id("apply-import").click()

    progress = page.get_by_test_id("import-progress")
    expect(progress).to_have_attribute("data-status", "pending")
    assert len(sent_jobs) == 1
    tasks.import_apply(**sent_jobs[0])  # the worker picks the job up
    # The page polls the job row every second and shows the end of the job by itself.
    expect(progress).to_have_attribute("data-status", "succeeded", timeout=5000)
    expect(progress.locator(".progress-bar")).to_have_text("100%")
    screenshot(page, "import-done-zh.png")
    with bank_a.scope():
        imported = Customer.objects.get(number="N5001")
        assert imported.relationship_manager == bank_a[Role.RELATIONSHIP_MANAGER]
        assert Customer.objects.filter(number="N5002", home_branch=bank_a.branch).exists()
