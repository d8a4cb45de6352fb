"""Importing customers and holdings from CSV and XLSX: check, preview, apply all or nothing."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
import tablib
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from stdnum.cn import ric, uscc

from crm import pii
from crm.celery import app as celery_app
from crm.tenancy.roles import Role
from crm.uploads.models import StoredUpload
from customers.intake import jobs
from customers.intake.models import ImportJob
from customers.models import Assignment, Consent, Customer, Holding
from customers.tasks import import_apply
from tests.factories import CustomerFactory, HoldingFactory, ProductFactory
from tests.sent_tasks import worker_runs_sent_tasks
from tests.translation import zh

CUSTOMER_HEADER = (
    "number,kind,name,id_type,id_number,phone,birth_date,gender,home_branch,relationship_manager"
)


def resident_id(birth: str, sequence: str) -> str:
    """A resident ID number with a correct check character (sequence odd: a man)."""
    body = f"110105{birth}{sequence}"
    return body + ric.calc_check_digit(body + "0")


def credit_code(body: str) -> str:
    return body + uscc.calc_check_digit(body)


WANG = resident_id("19850615", "003")  # a man born on 1985-06-15
LI = resident_id("19920101", "024")  # a woman born on 1992-01-01
COMPANY = credit_code("91110105MA01ABCD1")


def customers_csv(*rows: str) -> bytes:
    return ("\n".join([CUSTOMER_HEADER, *rows]) + "\n").encode()


def good_customer_rows(bank) -> list[str]:
    rm = bank[Role.RELATIONSHIP_MANAGER].username
    return [
        f"N1001,individual,王强,resident_id,{WANG},13900000001,1985-06-15,male,AAA-SUB,{rm}",
        f"N1002,个人,李梅,,{LI},13900000002,,,AAA-BR,",
        f"N1003,对公,强盛科技有限公司,,{COMPANY},,,,AAA-SUB,{rm}",
    ]


@pytest.fixture(autouse=True)
def _in_bank_a(bank_a):
    """Assertions read bank A's rows, as its staff would."""
    with bank_a.scope():
        yield


@pytest.fixture
def manager(bank_a):
    """A branch manager: may import, sees the branch and its sub-branch."""
    return bank_a[Role.BRANCH_MANAGER]


@pytest.fixture
def english(client_for, manager):
    client = client_for(manager)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


@pytest.fixture
def eager_tasks():
    """Run Celery tasks in the calling thread, as soon as they are sent."""
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = previous


def upload(client, content: bytes, *, name="customers.csv", kind="customers"):
    """Upload a file; the worker reads it (``import_read``) before this returns."""
    with worker_runs_sent_tasks():
        return client.post(
            reverse("customers:import_upload"),
            {"kind": kind, "file": SimpleUploadedFile(name, content)},
        )


def job_of(response) -> ImportJob:
    assert response.status_code == 302, response.content.decode()[:2000]
    pk = int(response.url.rstrip("/").split("/")[-1])
    return ImportJob.objects.get(pk=pk)


def problems_of(response) -> dict[int, list[str]]:
    return {problem.line: problem.reasons for problem in response.context["problems"]}


def test_preview_lists_each_bad_row_with_its_line_and_reasons(bank_a, english):
    rm = bank_a[Role.RELATIONSHIP_MANAGER].username
    bad_checksum = WANG[:-1] + ("0" if WANG[-1] != "0" else "1")
    content = customers_csv(
        f"N1001,individual,王强,resident_id,{WANG},13900000001,1985-06-15,male,AAA-SUB,{rm}",
        f"N1002,individual,李梅,resident_id,{bad_checksum},13900000002,,,AAA-SUB,",
        f"N1003,individual,赵六,resident_id,{LI},13900000003,,,AAA-BR2,nobody",
        "N1001,individual,孙七,passport,E12345678,1390000,,,AAA-SUB,",
        f"N1005,individual,周八,resident_id,{LI},13812345678,1990-01-01,male,AAA-SUB,",
        "N1006,individual,,resident_id,,,,,,",
    )
    job = job_of(upload(english, content))
    response = english.get(reverse("customers:import_preview", args=[job.pk]))

    assert response.status_code == 200
    check = response.context["check"]
    assert (check.total, check.valid_rows) == (6, 1)
    problems = problems_of(response)
    assert sorted(problems) == [3, 4, 5, 6, 7]
    assert problems[3] == ["This resident ID number is wrong: its check character does not match."]
    assert "No active branch in your scope has the code “AAA-BR2”." in problems[4]
    assert "“nobody” is not an active relationship manager of your branches." in problems[4]
    assert "The customer number is also on line 2." in problems[5]
    assert any("mobile" in reason for reason in problems[5])  # 1390000 is too short
    # Against the bank (the phone of bank A's customer, by blind index) and inside the file.
    assert "A customer with this mobile phone number already exists: AAA0001." in problems[6]
    assert "The same ID number is also on line 4." in problems[6]
    assert "The birth date does not match the resident ID number." in problems[6]
    assert set(problems[7]) >= {
        "The name is missing.",
        "Enter an ID number or a mobile number, so that the customer can be found again and "
        "is not entered twice.",
        "The home branch code is missing.",
    }
    body = response.content.decode()
    assert 'data-line="3"' in body and "check character does not match" in body
    assert 'data-testid="apply-import"' not in body  # no way to apply a bad file


def test_reasons_are_in_the_language_of_the_page(bank_a, client_for, manager, english):
    chinese = client_for(manager)  # no language chosen: the default, Simplified Chinese
    job = job_of(upload(chinese, customers_csv("N1,individual,王,resident_id,123,,,,AAA-SUB,")))
    url = reverse("customers:import_preview", args=[job.pk])

    in_chinese = chinese.get(url).context["check"].problems[0].reasons
    in_english = english.get(url).context["check"].problems[0].reasons

    message = "A resident ID number has 18 characters (you entered %(count)d)."
    assert in_english == [message % {"count": 3}]
    with translation.override("zh-hans"):
        assert in_chinese == [gettext(message) % {"count": 3}]


def refusal_of(client, response) -> str:
    """The reason an uploaded file was refused once read, as its page shows it."""
    job = job_of(response)
    assert (job.status, job.failure) == (ImportJob.Status.FAILED, ImportJob.Failure.UNREADABLE)
    assert job.rows_encrypted == "" and job.upload_id is None
    page = client.get(reverse("customers:import_preview", args=[job.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert 'data-testid="upload-again"' in body and 'hx-trigger="every 1s"' not in body
    return page.context["job"].failure_message


def test_a_file_without_the_required_columns_is_refused_once_read(english):
    response = upload(english, b"number,name\nN1,Wang\n")

    error = refusal_of(english, response)
    assert error.startswith("The header row (line 1) lacks these columns:")
    assert "customer type" in error and "home branch code" in error
    assert "ID number" not in error  # an ID number or a mobile number: neither column alone
    assert not StoredUpload.objects.exists()  # the file is not kept once read


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("old.xls", b"\xd0\xcf\x11\xe0rest", "Save the workbook as .xlsx or .csv first"),
        ("fake.xlsx", b"number,name\n", "not a valid XLSX workbook"),
    ],
)
def test_files_that_are_plainly_no_spreadsheet_are_refused_at_upload(
    english, name, content, message
):
    response = upload(english, content, name=name)

    assert response.status_code == 400
    assert message in response.context["form"].errors["file"][0]
    assert not ImportJob.objects.exists() and not StoredUpload.objects.exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("broken.xlsx", b"PK\x03\x04not really a zip", "could not be read as XLSX"),
        ("empty.csv", CUSTOMER_HEADER.encode() + b"\n", "no rows under it"),
        ("latin.csv", b"\xff\xfe\x00\x00bad", "UTF-8 or GBK"),
    ],
)
def test_files_that_cannot_be_read_are_refused_with_a_reason(english, name, content, message):
    response = upload(english, content, name=name)

    assert message in refusal_of(english, response)


def test_the_refusal_is_in_the_language_of_the_person_who_uploaded(client_for, manager):
    chinese = client_for(manager)

    refusal = refusal_of(chinese, upload(chinese, CUSTOMER_HEADER.encode() + b"\n"))

    assert refusal == zh("The file has a header row but no rows under it.")


def test_an_xlsx_file_is_read_like_a_csv_file(bank_a, english):
    rm = bank_a[Role.RELATIONSHIP_MANAGER].username
    sheet = tablib.Dataset(
        headers=["客户号", "客户类型", "姓名", "证件号码", "手机", "出生日期", "机构号", "RM"]
    )
    # Typed cells as Excel keeps them: a date and a phone number stored as a number.
    sheet.append(["N2001", "个人", "王强", WANG, 13900000001, date(1985, 6, 15), "AAA-SUB", rm])
    sheet.append(["N2002", "个人", "李梅", LI, 13900000002, None, "AAA-BR", ""])

    job = job_of(upload(english, sheet.export("xlsx"), name="客户.xlsx"))
    response = english.get(reverse("customers:import_preview", args=[job.pk]))

    check = response.context["check"]
    assert check.ok, check.problems
    assert check.total == 2
    assert check.records[0]["phone"] == "13900000001"
    assert check.records[0]["birth_date"] == date(1985, 6, 15)
    # Left out of the file, the birth date and gender come from the resident ID.
    assert (check.records[1]["birth_date"], check.records[1]["gender"]) == (
        date(1992, 1, 1),
        "female",
    )


def test_gbk_csv_from_excel_is_read(bank_a, english):
    content = customers_csv(f"N3001,个人,王强,,{WANG},,,,AAA-SUB,").decode().encode("gb18030")

    job = job_of(upload(english, content))

    assert job.get_rows()[0]["name"] == "王强"


def test_the_uploaded_rows_are_stored_encrypted(bank_a, english):
    job = job_of(upload(english, customers_csv(*good_customer_rows(bank_a))))

    job.refresh_from_db()
    assert WANG not in job.rows_encrypted and "王强" not in job.rows_encrypted
    assert job.get_rows()[0]["id_number"] == WANG
    assert (job.status, job.total) == (ImportJob.Status.DRAFT, 3)


def test_applying_a_file_with_one_bad_row_is_refused_and_changes_nothing(
    bank_a, english, django_capture_on_commit_callbacks
):
    rows = good_customer_rows(bank_a)
    rows.append(f"N1004,individual,赵六,resident_id,{WANG[:-1]}0,,,,AAA-SUB,")
    job = job_of(upload(english, customers_csv(*rows)))
    before = Customer.objects.count()

    with django_capture_on_commit_callbacks() as callbacks:
        response = english.post(reverse("customers:import_apply", args=[job.pk]))

    assert response.status_code == 400
    assert sorted(problems_of(response)) == [5]
    assert "Nothing was imported: 1 row has errors." in response.content.decode()
    assert callbacks == []  # no job was started
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DRAFT
    assert Customer.objects.count() == before
    assert not Customer.objects.filter(number__in=["N1001", "N1002", "N1003"]).exists()


def test_applying_a_good_file_creates_the_customers_through_the_task(
    bank_a,
    manager,
    english,
    eager_tasks,
    django_capture_on_commit_callbacks,
    django_assert_max_num_queries,
):
    rm = bank_a[Role.RELATIONSHIP_MANAGER]
    job = job_of(upload(english, customers_csv(*good_customer_rows(bank_a))))

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = english.post(reverse("customers:import_apply", args=[job.pk]))

    assert response.status_code == 302
    # The task, sent once the request committed; then the dispatch of its change events.
    assert len(callbacks) == 2
    job.refresh_from_db()
    assert job.status == ImportJob.Status.SUCCEEDED
    assert (job.total, job.processed, job.created_rows) == (3, 3, 3)
    assert job.rows_encrypted == ""  # the file's personal data is gone with the job
    wang = Customer.objects.get(number="N1001")
    assert (wang.name, wang.kind, wang.gender, wang.birth_date) == (
        "王强",
        Customer.Kind.INDIVIDUAL,
        "male",
        date(1985, 6, 15),
    )
    assert wang.home_branch == bank_a.sub_branch
    assert wang.relationship_manager == rm
    assert wang.reveal("id_number") == WANG and wang.id_number_encrypted != WANG
    assert wang.phone_masked == "139****0001"
    assert bytes(wang.phone_index) == pii.blind_index(
        "phone", "13900000001", tenant_id=bank_a.tenant.pk
    )
    company = Customer.objects.get(number="N1003")
    assert (company.kind, company.id_type) == (Customer.Kind.CORPORATE, Customer.IdType.USCC)
    assert Customer.objects.get(number="N1002").relationship_manager is None
    history = Assignment.objects.filter(customer__number__in=["N1001", "N1003"])
    assert [(a.relationship_manager, a.changed_by) for a in history] == [(rm, manager)] * 2
    # The trail names who imported, not just "a background job".
    event = wang.pgh_event_model.objects.get(pgh_obj_id=wang.pk)
    assert event.pgh_context["username"] == manager.username

    with django_assert_max_num_queries(7):
        status = english.get(reverse("customers:import_status", args=[job.pk]))
    body = status.content.decode()
    assert 'data-status="succeeded"' in body
    assert "Imported: 3 created, 0 updated." in body
    assert "hx-trigger" not in body  # polling stops once the job has ended


def test_holdings_import_creates_and_updates_accounts_and_recomputes_aum(
    bank_a, english, eager_tasks, django_capture_on_commit_callbacks
):
    customer = bank_a.customer
    existing = Holding.objects.get(customer=customer)
    ProductFactory(tenant=bank_a.tenant, code="DEP-CNY", category="deposit")
    ProductFactory(tenant=bank_a.tenant, code="WM-01", category="wealth")
    # 6229…: numbers HoldingFactory's sequence (6222…) never gives, whatever ran before.
    content = (
        "account_number,customer_number,product_code,opened_on,status,balance\n"
        f'6229000000000001,AAA0001,DEP-CNY,2024-03-01,active,"12,345.67"\n'
        f"6229000000000002,AAA0001,WM-01,2025/01/15,正常,100000\n"
        f"{existing.account_number},AAA0001,{existing.product.code},2020-01-01,active,0.33\n"
    ).encode()
    job = job_of(upload(english, content, name="holdings.csv", kind="holdings"))
    preview = english.get(reverse("customers:import_preview", args=[job.pk]))
    assert "2 new accounts, 1 existing accounts updated." in preview.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        english.post(reverse("customers:import_apply", args=[job.pk]))

    job.refresh_from_db()
    assert job.status == ImportJob.Status.SUCCEEDED, job.error
    assert (job.created_rows, job.updated_rows) == (2, 1)
    deposit = Holding.objects.get(account_number="6229000000000001")
    assert deposit.balance == Decimal("12345.67") and deposit.opened_on == date(2024, 3, 1)
    existing.refresh_from_db()
    assert existing.balance == Decimal("0.33")
    customer.refresh_from_db()
    assert customer.aum == Decimal("112346.00")


def test_holdings_of_customers_outside_the_scope_are_refused(bank_a, bank_b, english):
    ProductFactory(tenant=bank_a.tenant, code="DEP-CNY")
    content = (
        b"account_number,customer_number,product_code,opened_on,balance\n"
        b"6222000000000001,AAA0002,DEP-CNY,2024-03-01,1\n"  # the other branch's customer
        b"6222000000000002,ZZZ0001,DEP-CNY,2024-03-01,1\n"  # bank B's customer
        b"6222000000000003,AAA0001,NOPE,2030-01-01,-5\n"
    )
    job = job_of(upload(english, content, name="holdings.csv", kind="holdings"))

    problems = problems_of(english.get(reverse("customers:import_preview", args=[job.pk])))

    assert problems[2] == ["No customer in your scope has the number “AAA0002”."]
    assert problems[3] == ["No customer in your scope has the number “ZZZ0001”."]
    assert set(problems[4]) == {
        "No active product has the code “NOPE”.",
        "The opening date is in the future.",
        "The balance must be zero or more and at most 1,000,000,000,000 yuan.",
    }


def test_an_account_of_another_customer_is_not_moved_by_an_import(bank_a, english):
    other = HoldingFactory(customer=bank_a.other_customer)
    content = (
        "account_number,customer_number,product_code,opened_on,balance\n"
        f"{other.account_number},AAA0001,{other.product.code},2024-03-01,1\n"
    ).encode()
    job = job_of(upload(english, content, name="holdings.csv", kind="holdings"))

    problems = problems_of(english.get(reverse("customers:import_preview", args=[job.pk])))

    assert problems == {2: [f"Account {other.account_number} belongs to another customer."]}


def test_a_failure_midway_leaves_nothing_half_applied(bank_a, english, monkeypatch):
    job = job_of(upload(english, customers_csv(*good_customer_rows(bank_a))))
    english.post(reverse("customers:import_apply", args=[job.pk]))  # the task is not sent
    write_customers = jobs.WRITE[ImportJob.Kind.CUSTOMERS]

    def write_then_fail(customers, *, job):
        write_customers(customers, job=job)
        assert Customer.objects.filter(number="N1001").exists()  # written, not yet committed
        raise ConnectionError("the database went away")

    monkeypatch.setitem(jobs.WRITE, ImportJob.Kind.CUSTOMERS, write_then_fail)

    import_apply(job_id=job.pk, tenant_id=bank_a.tenant.pk)

    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert job.failure == ImportJob.Failure.ERROR
    assert not Customer.objects.filter(number__in=["N1001", "N1002", "N1003"]).exists()
    assert not Assignment.objects.filter(reason__contains="customers.csv").exists()
    status = english.get(reverse("customers:import_status", args=[job.pk])).content.decode()
    assert "The import stopped on an error. Nothing was imported." in status


def test_the_job_checks_the_file_again_before_writing(bank_a, english, monkeypatch):
    job = job_of(upload(english, customers_csv(*good_customer_rows(bank_a))))
    english.post(reverse("customers:import_apply", args=[job.pk]))
    # Between the preview and the job, a colleague creates one of the file's customers.
    CustomerFactory(home_branch=bank_a.sub_branch, number="N1002")

    import_apply(job_id=job.pk, tenant_id=bank_a.tenant.pk)

    job.refresh_from_db()
    assert (job.status, job.failure) == (ImportJob.Status.FAILED, ImportJob.Failure.CHECKS)
    assert not Customer.objects.filter(number__in=["N1001", "N1003"]).exists()


def test_a_job_runs_once_even_if_its_task_is_delivered_twice(bank_a, english):
    job = job_of(upload(english, customers_csv(*good_customer_rows(bank_a))))
    english.post(reverse("customers:import_apply", args=[job.pk]))

    import_apply(job_id=job.pk, tenant_id=bank_a.tenant.pk)
    import_apply(job_id=job.pk, tenant_id=bank_a.tenant.pk)

    assert Customer.objects.filter(number__in=["N1001", "N1002", "N1003"]).count() == 3
    assert english.post(reverse("customers:import_apply", args=[job.pk])).status_code == 302
    job.refresh_from_db()
    assert job.status == ImportJob.Status.SUCCEEDED


def test_the_page_shows_the_file_being_read_then_refreshes_itself_into_the_check(
    bank_a, english, django_assert_max_num_queries
):
    with worker_runs_sent_tasks() as sent:
        response = english.post(
            reverse("customers:import_upload"),
            {
                "kind": "customers",
                "file": SimpleUploadedFile("c.csv", customers_csv(*good_customer_rows(bank_a))),
            },
        )
        # The request has answered before any worker read the file.
        job = job_of(response)
        assert (job.status, job.total, job.rows_encrypted) == (ImportJob.Status.READING, 0, "")
        assert StoredUpload.objects.filter(pk=job.upload_id).exists()
        page = english.get(response.url).content.decode()
        status_url = reverse("customers:import_status", args=[job.pk])
        with django_assert_max_num_queries(7):
            polled = english.get(status_url, headers={"HX-Request": "true"})
    assert 'data-status="reading"' in page and "Reading the file…" in page
    assert f'hx-get="{status_url}"' in page and 'hx-trigger="every 1s"' in page
    assert 'hx-trigger="every 1s"' in polled.content.decode()
    assert len(sent) == 1  # the reading task, sent once the upload committed

    job.refresh_from_db()  # read by the worker as the block ended
    assert job.status == ImportJob.Status.DRAFT and job.upload_id is None
    assert not StoredUpload.objects.exists()  # the file is deleted once read
    refresh = english.get(status_url, headers={"HX-Request": "true"})
    assert refresh.headers["HX-Refresh"] == "true"  # the page reloads into the check
    check = english.get(response.url).context["check"]
    assert check.ok and check.total == 3


def test_a_file_whose_reading_was_lost_stops_the_wait_and_is_asked_for_again(
    bank_a, manager, english
):
    job = ImportJob.objects.create(
        tenant=bank_a.tenant,
        kind=ImportJob.Kind.CUSTOMERS,
        name="lost.csv",
        created_by=manager,
        status=ImportJob.Status.READING,
        created_at=timezone.now() - ImportJob.READING_LIFETIME - timedelta(minutes=1),
    )

    page = english.get(reverse("customers:import_preview", args=[job.pk])).content.decode()

    assert "The file was not read in time. Upload it again." in page
    assert 'hx-trigger="every 1s"' not in page and 'data-testid="upload-again"' in page


def test_the_progress_fragment_polls_while_the_job_runs(
    bank_a, manager, english, django_assert_max_num_queries
):
    with bank_a.scope():
        job = ImportJob.objects.create(
            tenant=bank_a.tenant,
            kind=ImportJob.Kind.CUSTOMERS,
            name="big.xlsx",
            created_by=manager,
            status=ImportJob.Status.RUNNING,
            total=1000,
            processed=250,
        )
    url = reverse("customers:import_status", args=[job.pk])

    with django_assert_max_num_queries(7):
        body = english.get(url, headers={"HX-Request": "true"}).content.decode()

    assert 'data-status="running"' in body
    assert "250 of 1,000 rows checked and prepared" in body
    assert 'aria-valuenow="25"' in body
    assert f'hx-get="{url}"' in body and 'hx-trigger="every 1s"' in body
    assert "task" not in body.lower()  # the page knows the job, never a Celery task id
    page = english.get(reverse("customers:import_preview", args=[job.pk])).content.decode()
    assert 'data-testid="import-progress"' in page


def test_pages_keep_their_query_counts(bank_a, english, django_assert_max_num_queries):
    job = job_of(upload(english, customers_csv(*good_customer_rows(bank_a))))

    with django_assert_max_num_queries(8):
        assert english.get(reverse("customers:import_upload")).status_code == 200
    # Lookups against the bank are batched: the count does not grow with the file.
    with django_assert_max_num_queries(13):
        assert english.get(reverse("customers:import_preview", args=[job.pk])).status_code == 200


def test_staff_without_the_import_permission_cannot_import(bank_a, client_for):
    client = client_for(bank_a[Role.TELLER])

    assert client.get(reverse("customers:import_upload")).status_code == 403
    assert upload(client, customers_csv(*good_customer_rows(bank_a))).status_code == 403
    assert not ImportJob.objects.exists()


def test_the_template_has_the_header_row_in_the_readers_language(english):
    response = english.get(reverse("customers:import_template", args=["holdings"]) + "?format=csv")

    assert response["Content-Disposition"] == 'attachment; filename="import-holdings.csv"'
    header = response.content.decode("utf-8-sig").splitlines()[0]
    assert header.startswith("account number,customer number,product code,opened on")


def test_another_banks_import_jobs_answer_404(bank_a, bank_b, client_for, english):
    other = client_for(bank_b[Role.BRANCH_MANAGER])
    with bank_b.scope():
        job = job_of(upload(other, customers_csv(f"ZZZ1,individual,ZZZ王,,{WANG},,,,ZZZ-SUB,")))

    for name in ("import_preview", "import_status", "import_errors"):
        assert english.get(reverse(f"customers:{name}", args=[job.pk])).status_code == 404
    for name in ("import_apply", "import_discard"):
        assert english.post(reverse(f"customers:{name}", args=[job.pk])).status_code == 404
    with bank_b.scope():
        job.refresh_from_db()
    assert job.status == ImportJob.Status.DRAFT


def test_a_colleagues_import_job_answers_404(bank_a, client_for, english):
    colleague = client_for(bank_a[Role.TENANT_ADMIN])
    job = job_of(upload(colleague, customers_csv(*good_customer_rows(bank_a))))

    assert english.get(reverse("customers:import_preview", args=[job.pk])).status_code == 404
    assert english.post(reverse("customers:import_apply", args=[job.pk])).status_code == 404


def test_discarding_a_checked_file_forgets_it(bank_a, english):
    job = job_of(upload(english, customers_csv(*good_customer_rows(bank_a))))

    response = english.post(reverse("customers:import_discard", args=[job.pk]))

    assert response.status_code == 302
    assert not ImportJob.objects.filter(pk=job.pk).exists()


def test_a_file_left_unapplied_for_a_day_cannot_be_applied_and_is_cleaned_up(
    bank_a, english, client_for
):
    job = job_of(upload(english, customers_csv(*good_customer_rows(bank_a))))
    ImportJob.objects.filter(pk=job.pk).update(created_at=job.created_at - ImportJob.DRAFT_LIFETIME)

    refused = english.post(reverse("customers:import_apply", args=[job.pk]))
    assert refused.status_code == 302
    page = english.get(reverse("customers:import_preview", args=[job.pk])).content.decode()
    assert "This upload is more than a day old." in page
    assert 'data-testid="apply-import"' not in page

    # The next upload in the bank, by anyone, deletes it with the rows it holds.
    upload(client_for(bank_a[Role.TENANT_ADMIN]), customers_csv(*good_customer_rows(bank_a)))
    assert not ImportJob.objects.filter(pk=job.pk).exists()


def test_consent_columns_record_the_customers_answers_and_refuse_other_words(
    bank_a, manager, english, eager_tasks, django_capture_on_commit_callbacks
):
    header = CUSTOMER_HEADER + ",短信营销授权,个性化推荐授权,数据共享授权"
    rows = [
        row + extra
        for row, extra in zip(
            good_customer_rows(bank_a), [",是,否,", ",,,", ",N,Yes,同意"], strict=True
        )
    ]
    wrong = upload(
        english,
        (
            "\n".join([header, rows[0], rows[1] + "", rows[2].replace("同意", "maybe")]) + "\n"
        ).encode(),
    )
    assert problems_of(english.get(wrong.url)) == {
        4: ["“maybe” in the column “data sharing consent” is not yes or no (是 / 否)."]
    }

    job = job_of(upload(english, ("\n".join([header, *rows]) + "\n").encode()))
    with django_capture_on_commit_callbacks(execute=True):
        english.post(reverse("customers:import_apply", args=[job.pk]))

    job.refresh_from_db()
    assert job.status == ImportJob.Status.SUCCEEDED, job.error
    answers = {
        (consent.customer.number, consent.purpose, consent.channel): consent.granted
        for consent in Consent.objects.select_related("customer")
    }
    assert answers == {
        ("N1001", "marketing", "sms"): True,
        ("N1001", "personalised_offers", "any"): False,
        ("N1003", "marketing", "sms"): False,
        ("N1003", "personalised_offers", "any"): True,
        ("N1003", "data_sharing", "any"): True,
    }
    assert set(Consent.objects.values_list("source", "recorded_by")) == {("import", manager.pk)}
