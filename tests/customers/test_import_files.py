"""The files an import hands to staff: the template to fill in and the file of rows with errors."""

from io import BytesIO

import openpyxl
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from crm.tenancy.roles import Role
from customers.intake.models import ImportJob
from customers.models import Customer
from tests.customers.test_imports import LI, WANG, job_of, refusal_of
from tests.factories import ProductFactory
from tests.sent_tasks import worker_runs_sent_tasks

ERRORS = "errors (not imported)"


@pytest.fixture(autouse=True)
def _in_bank_a(bank_a):
    with bank_a.scope():
        yield


@pytest.fixture
def manager(bank_a):
    """A branch manager at AAA-BR: sees it and its sub-branch AAA-SUB, not AAA-BR2."""
    return bank_a[Role.BRANCH_MANAGER]


def client_in(client_for, staff, language: str):
    client = client_for(staff)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


@pytest.fixture
def english(client_for, manager):
    return client_in(client_for, manager, "en")


def template(client, kind="customers", file_format="xlsx") -> bytes:
    url = reverse("customers:import_template", args=[kind]) + f"?format={file_format}"
    response = client.get(url)
    assert response.status_code == 200
    return response.content


def workbook(content: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(BytesIO(content))


def values(sheet) -> list[list]:
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def saved(book: openpyxl.Workbook) -> bytes:
    stream = BytesIO()
    book.save(stream)
    return stream.getvalue()


def upload(client, content: bytes, name: str, kind="customers"):
    """Upload a file; the worker reads it (``import_read``) before this returns."""
    with worker_runs_sent_tasks():
        return client.post(
            reverse("customers:import_upload"),
            {"kind": kind, "file": SimpleUploadedFile(name, content)},
        )


def check_of(client, job: ImportJob):
    return client.get(reverse("customers:import_preview", args=[job.pk])).context["check"]


# The template -----------------------------------------------------------------------------


def test_the_xlsx_template_has_example_rows_and_the_codes_in_the_readers_scope(
    bank_a, bank_b, english, django_assert_max_num_queries
):
    with django_assert_max_num_queries(8):
        book = workbook(template(english))

    assert book.sheetnames == ["Customers", "Branches", "Relationship managers"]
    assert book.active.title == "Customers"  # the sheet to fill opens first
    header, note, individual, corporate = values(book["Customers"])
    assert header[:3] == ["customer number", "customer type", "name"]
    assert note[0].startswith("# Lines whose first cell starts with # are not imported")
    assert note[1:] == [None] * (len(header) - 1)  # the note reads across the empty cells
    row = dict(zip(header, individual, strict=True))
    assert row["customer number"] == "#C000001"  # marked as an example, which is skipped
    assert (row["customer type"], row["ID type"], row["gender"]) == (
        "Individual",
        "Resident identity card",
        "Female",
    )
    assert row["home branch code"] == "AAA-BR"  # the reader's own branch
    assert row["relationship manager username"] == bank_a[Role.RELATIONSHIP_MANAGER].username
    assert dict(zip(header, corporate, strict=True))["customer type"] == "Corporate"
    # Typed into the file (the column's format), an ID number stays text, not 1.10105E+17.
    assert book["Customers"]["E3"].number_format == "@"
    assert book["Customers"].column_dimensions["E"].number_format == "@"

    # Only what the reader may import into: not the head office, the other branch, bank B.
    assert values(book["Branches"]) == [
        ["Code", "Name", "Kind"],
        ["AAA-BR", "AAA分行", "Branch"],
        ["AAA-SUB", "AAA第一支行", "Sub-branch"],
    ]
    rm = bank_a[Role.RELATIONSHIP_MANAGER]
    assert values(book["Relationship managers"]) == [
        ["Username", "Full name", "Branch code", "Branch name"],
        [rm.username, rm.name, "AAA-SUB", "AAA第一支行"],
    ]


def test_the_head_office_gets_every_branch_of_its_bank_and_no_other(bank_a, bank_b, client_for):
    client = client_in(client_for, bank_a[Role.TENANT_ADMIN], "en")

    book = workbook(template(client))

    codes = [row[0] for row in values(book["Branches"])[1:]]
    assert codes == ["AAA-HO", "AAA-BR", "AAA-SUB", "AAA-BR2"]
    assert values(book["Customers"])[2][8] == "AAA-HO"  # the reader's own branch


def test_the_holdings_template_lists_the_active_products(bank_a, english):
    ProductFactory(tenant=bank_a.tenant, code="DEP-CNY", name="活期存款", category="deposit")
    ProductFactory(tenant=bank_a.tenant, code="OLD-01", name="停售产品", is_active=False)

    book = workbook(template(english, kind="holdings"))

    assert book.sheetnames == ["Holdings", "Products"]
    codes = [row[0] for row in values(book["Products"])[1:]]
    assert "DEP-CNY" in codes and "OLD-01" not in codes
    header, _note, example = values(book["Holdings"])
    assert example[0] == "#6222000000000001"
    assert dict(zip(header, example, strict=True))["product code"] == codes[0]


def test_the_csv_template_carries_the_examples_as_lines_the_import_skips(english):
    lines = template(english, file_format="csv").decode("utf-8-sig").splitlines()

    assert lines[0].startswith("customer number,customer type,name,")
    assert lines[1].startswith("# Lines whose first cell starts with #")
    assert lines[2].startswith("#C000001,Individual,张三,")
    assert len(lines) == 4  # one table only: the reference lists are in the XLSX template


@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
def test_an_unchanged_template_imports_nothing(english, file_format):
    response = upload(english, template(english, file_format=file_format), f"t.{file_format}")

    assert refusal_of(english, response) == (
        "The file has no rows to import: lines whose first cell starts with “#” are examples "
        "or notes, and are not imported."
    )


def test_rows_written_under_the_examples_are_imported_and_the_examples_are_not(bank_a, english):
    book = workbook(template(english))
    sheet = book["Customers"]
    sheet.append(["N1001", "个人", "王强", "", WANG, "13900000001", "", "", "AAA-SUB"])

    response = upload(english, saved(book), "客户.xlsx")
    job = job_of(response)
    page = english.get(response.url)

    assert [row["number"] for row in job.get_rows()] == ["N1001"]
    assert job.get_rows()[0]["line"] == 5  # the line as the spreadsheet numbers it
    assert "3 lines starting with “#” were not imported: examples or notes." in (
        page.content.decode()
    )
    assert check_of(english, job).ok


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_examples_are_rows_the_checks_accept(bank_a, client_for, manager, language):
    """Unmarked, the example rows pass: they show values the import takes, in either language."""
    client = client_in(client_for, manager, language)
    book = workbook(template(client))
    sheet = book.worksheets[0]
    for row in (3, 4):
        sheet.cell(row, 1).value = sheet.cell(row, 1).value.removeprefix("#")

    job = job_of(upload(client, saved(book), "examples.xlsx"))
    check = check_of(client, job)

    assert check.ok, check.problems
    assert [record["number"] for record in check.records] == ["C000001", "C000002"]
    assert check.records[0]["id_type"] == Customer.IdType.RESIDENT_ID


def test_a_workbook_saved_with_a_reference_sheet_open_is_still_read(bank_a, english):
    book = workbook(template(english))
    book["Customers"].append(["N1001", "个人", "王强", "", WANG, "", "", "", "AAA-SUB"])
    book.active = book.sheetnames.index("Branches")  # where staff looked a code up last

    job = job_of(upload(english, saved(book), "客户.xlsx"))

    assert [row["number"] for row in job.get_rows()] == ["N1001"]


# The error file ---------------------------------------------------------------------------


def bad_file_rows(bank_a) -> list[list[str]]:
    rm = bank_a[Role.RELATIONSHIP_MANAGER].username
    return [
        ["客户号", "客户类型", "姓名", "证件号码", "手机号码", "机构号", "客户经理", "地址"],
        ["N1001", "个人", "王强", WANG, "13900000001", "AAA-SUB", rm, "-1层 商铺"],
        ["N1002", "个人", "李梅", LI[:-1] + "0", "+8613900000002", "AAA-BR2", "", ""],
        ["N1003", "个人", "赵六", "", "13900000003", "AAA-BR", "", "=1+1"],
    ]


def upload_bad_file(client, bank_a, file_format: str) -> ImportJob:
    rows = bad_file_rows(bank_a)
    if file_format == "xlsx":
        book = openpyxl.Workbook()
        for row in rows:
            book.active.append(row)
        for (cell,) in book.active.iter_rows(min_row=4, min_col=8, max_col=8):
            cell.data_type = "s"  # "=1+1" as text, as a person would type it in a text cell
        return job_of(upload(client, saved(book), "客户.xlsx"))
    content = "\n".join(",".join(row) for row in rows).encode()
    return job_of(upload(client, content, "客户.csv"))


def test_the_error_file_is_the_uploaded_file_with_each_rows_reasons_in_front(bank_a, english):
    job = upload_bad_file(english, bank_a, "xlsx")

    response = english.get(reverse("customers:import_errors", args=[job.pk]))

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert response["Content-Disposition"] == f'attachment; filename="import-{job.pk}-errors.xlsx"'
    rows = values(workbook(response.content).active)
    assert rows[0] == [
        ERRORS,
        "customer number",
        "customer type",
        "name",
        "ID number",
        "mobile phone",
        "home branch code",
        "relationship manager username",
        "address",
    ]
    uploaded = bad_file_rows(bank_a)[1:]
    assert [row[1:] for row in rows[1:]] == [[cell or None for cell in row] for row in uploaded]
    assert [row[0] for row in rows[1:]] == [
        None,
        "This resident ID number is wrong: its check character does not match. "
        "No active branch in your scope has the code “AAA-BR2”.",
        None,
    ]


@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
def test_the_corrected_error_file_is_imported_as_it_is(
    bank_a, english, file_format, django_capture_on_commit_callbacks
):
    job = upload_bad_file(english, bank_a, file_format)
    errors = english.get(reverse("customers:import_errors", args=[job.pk])).content
    if file_format == "xlsx":
        book = workbook(errors)
        book.active["E3"], book.active["G3"] = LI, "AAA-BR"
        corrected = saved(book)
    else:
        assert errors.decode("utf-8-sig").splitlines()[0].startswith(f"{ERRORS},")
        corrected = errors.replace((LI[:-1] + "0").encode(), LI.encode()).replace(
            b"AAA-BR2", b"AAA-BR"
        )

    response = upload(english, corrected, f"corrected.{file_format}")
    corrected_job = job_of(response)
    check = check_of(english, corrected_job)

    assert check.ok, check.problems
    assert [record["number"] for record in check.records] == ["N1001", "N1002", "N1003"]
    # The values come back as uploaded, those a spreadsheet would take for formulas too.
    assert [record["address"] for record in check.records] == ["-1层 商铺", "", "=1+1"]
    assert check.records[1]["phone"] == "13900000002"  # +86 dropped by the phone rule
    with django_capture_on_commit_callbacks():
        applied = english.post(reverse("customers:import_apply", args=[corrected_job.pk]))
    assert applied.status_code == 302
    corrected_job.refresh_from_db()
    assert corrected_job.status == ImportJob.Status.PENDING


def test_the_error_file_of_a_csv_upload_is_a_csv_file_unless_asked(bank_a, english):
    job = upload_bad_file(english, bank_a, "csv")
    url = reverse("customers:import_errors", args=[job.pk])

    as_csv = english.get(url)
    as_xlsx = english.get(url + "?format=xlsx")

    assert as_csv["Content-Type"].startswith("text/csv")
    lines = as_csv.content.decode("utf-8-sig").splitlines()
    assert lines[2].startswith("This resident ID number is wrong")
    assert lines[2].endswith(f",N1002,个人,李梅,{LI[:-1]}0,'+8613900000002,AAA-BR2,,")
    assert values(workbook(as_xlsx.content).active)[0][0] == ERRORS


def test_the_error_file_is_only_for_its_uploader_and_only_until_applied(
    bank_a, client_for, english
):
    job = upload_bad_file(english, bank_a, "xlsx")
    url = reverse("customers:import_errors", args=[job.pk])
    colleague = client_for(bank_a[Role.TENANT_ADMIN])

    assert colleague.get(url).status_code == 404
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.FAILED, rows_encrypted="")
    assert english.get(url).status_code == 404
