"""Importing customers in a real browser: a bad file, its preview, the corrected file, progress."""

import re
from io import BytesIO

import openpyxl
import pytest
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext, ngettext
from playwright.sync_api import expect
from stdnum.cn import ric

from crm.tenancy.roles import Role
from customers import tasks
from customers.models import Customer
from tests.browser.conftest import login, screenshot
from tests.factories.tenancy import TEST_PASSWORD

pytestmark = pytest.mark.browser

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER = "客户号,客户类型,姓名,证件号码,手机号码,出生日期,性别,归属机构,客户经理"


def resident_id(birth: str, sequence: str) -> str:
    body = f"110105{birth}{sequence}"
    return body + ric.calc_check_digit(body + "0")


WANG = resident_id("19850615", "003")
LI = resident_id("19920101", "024")


def csv_file(*rows: str) -> dict:
    content = "\n".join([HEADER, *rows]) + "\n"
    return {"name": "客户导入.csv", "mimeType": "text/csv", "buffer": content.encode()}


@pytest.fixture(autouse=True)
def _files_read_at_once(monkeypatch):
    """Read each uploaded file as soon as the upload commits, as an idle worker would."""

    def read_after_commit(**kwargs):
        transaction.on_commit(lambda: tasks.import_read(**kwargs))

    monkeypatch.setattr(tasks.import_read, "delay_on_commit", read_after_commit)


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


def workbook_bytes(book: openpyxl.Workbook) -> bytes:
    stream = BytesIO()
    book.save(stream)
    return stream.getvalue()


def downloaded_workbook(download) -> openpyxl.Workbook:
    return openpyxl.load_workbook(BytesIO(download.path().read_bytes()))


def xlsx_file(book: openpyxl.Workbook, name: str) -> dict:
    return {"name": name, "mimeType": XLSX, "buffer": workbook_bytes(book)}


def test_the_template_is_filled_under_its_examples_and_the_error_file_is_corrected_and_sent_back(
    page, live_server, bank_a
):
    manager = bank_a[Role.BRANCH_MANAGER]
    login(page, live_server, manager.username, TEST_PASSWORD)
    page.goto(f"{live_server.url}/customers/imports/")

    with page.expect_download() as template:
        page.locator('[data-import-columns="customers"] a', has_text="XLSX").click()
    book = downloaded_workbook(template.value)
    branches = book.worksheets[1]
    assert [row[0] for row in branches.iter_rows(min_row=2, values_only=True)] == [
        "AAA-BR",
        "AAA-SUB",
    ]
    sheet = book.worksheets[0]
    sheet.append(["N6001", "个人", "王强", "", WANG, "13900000001", "", "", "AAA-SUB"])
    sheet.append(["N6002", "个人", "李梅", "", LI, "13900000002", "", "", "AAA-BR2"])
    upload(page, xlsx_file(book, "客户.xlsx"))

    problems = page.get_by_test_id("import-problems").locator("tbody tr")
    expect(problems).to_have_count(1)
    assert problems.locator("td").first.inner_text() == "6"  # after the note and 2 examples
    with translation.override("zh-hans"):
        skipped = ngettext(
            "%(count)d line starting with “%(mark)s” was not imported: an example or a note.",
            "%(count)d lines starting with “%(mark)s” were not imported: examples or notes.",
            3,
        ) % {"count": 3, "mark": "#"}
    expect(page.get_by_text(skipped)).to_be_visible()
    screenshot(page, "import-filled-template-zh.png")
    with page.expect_download() as errors:
        page.get_by_test_id("download-errors").click()
    assert errors.value.suggested_filename.endswith("-errors.xlsx")
    corrected = downloaded_workbook(errors.value)
    rows = list(corrected.active.iter_rows())
    assert [row[1].value for row in rows[1:]] == ["N6001", "N6002"]  # no examples, no note
    assert rows[1][0].value is None and "AAA-BR2" in rows[2][0].value
    branch_cell = next(cell for cell in rows[2] if cell.value == "AAA-BR2")
    branch_cell.value = "AAA-BR"

    with page.expect_navigation():
        page.get_by_test_id("upload-again").click()
    upload(page, xlsx_file(corrected, errors.value.suggested_filename))

    expect(page.get_by_test_id("check-summary")).to_contain_text("2")
    expect(page.get_by_test_id("apply-import")).to_be_visible()
    screenshot(page, "import-corrected-error-file-zh.png")


def test_the_page_shows_the_file_being_read_and_turns_into_the_check_by_itself(
    page, live_server, bank_a, monkeypatch
):
    sent = []
    monkeypatch.setattr(tasks.import_read, "delay_on_commit", lambda **kw: sent.append(kw))
    rm = bank_a[Role.RELATIONSHIP_MANAGER].username
    login(page, live_server, bank_a[Role.BRANCH_MANAGER].username, TEST_PASSWORD)
    page.goto(f"{live_server.url}/customers/imports/")

    upload(page, csv_file(f"N7001,个人,王强,{WANG},13900000001,1985-06-15,男,AAA-SUB,{rm}"))

    progress = page.get_by_test_id("import-progress")
    expect(progress).to_have_attribute("data-status", "reading")
    assert len(sent) == 1
    tasks.import_read(**sent[0])  # a worker reads the file
    # The page polls the job and reloads itself into the check once the file is read.
    expect(page.get_by_test_id("check-summary")).to_be_visible(timeout=5000)
    expect(page.get_by_test_id("apply-import")).to_be_visible()
