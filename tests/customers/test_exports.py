"""Taking customer data out: the list as CSV/XLSX (masked), a customer's personal-data copy."""

import csv
import io
import json
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import tablib
from django.conf import settings
from django.urls import reverse

from crm.audit.models import PersonalDataAccess
from crm.tenancy.roles import Role
from customers.intake.models import CustomerExport
from customers.models import Customer
from customers.services import consent_record, relationship_add
from tests.factories import (
    RESIDENT_IDS,
    AssignmentFactory,
    BalanceSnapshotFactory,
    CustomerFactory,
)

EXPORT = reverse("customers:export")


@pytest.fixture(autouse=True)
def _in_bank_a(bank_a):
    with bank_a.scope():
        yield


@pytest.fixture
def english(client_for):
    def make(staff):
        client = client_for(staff)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        return client

    return make


def csv_rows(response) -> list[dict]:
    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def personal_data_url(customer) -> str:
    return reverse("customers:personal_data_copy", args=[customer.pk])


# The customer list --------------------------------------------------------------------


def test_the_export_holds_only_customers_in_scope_with_masked_identity(bank_a, bank_b, english):
    # A branch manager sees the branch and its sub-branch, not the other branch.
    client = english(bank_a[Role.BRANCH_MANAGER])

    rows = csv_rows(client.get(EXPORT, {"format": "csv"}))

    assert [row["Customer number"] for row in rows] == ["AAA0001"]
    row = rows[0]
    assert row["ID number"] == "110***********002X"
    assert row["Mobile phone"] == "138****5678"
    assert row["Home branch"] == "AAA第一支行"
    assert row["AUM (CNY)"] == "0.00"  # AUM is kept on the row by the jobs that compute it
    body = client.get(EXPORT, {"format": "csv"}).content.decode("utf-8-sig")
    assert RESIDENT_IDS[0] not in body and "13812345678" not in body
    assert "ZZZ" not in body


def test_the_export_follows_the_list_filters_and_order(bank_a, english):
    client = english(bank_a[Role.MARKETING_MANAGER])  # head office: the whole bank
    CustomerFactory(
        home_branch=bank_a.branch, number="AAA0003", name="AAA王五公司", kind="corporate"
    )

    everyone = csv_rows(client.get(EXPORT, {"format": "csv", "sort": "name"}))
    corporates = csv_rows(client.get(EXPORT, {"format": "csv", "kind": "corporate"}))

    assert [row["Name"] for row in everyone] == ["AAA张三", "AAA李四公司", "AAA王五公司"]
    assert [row["Customer number"] for row in corporates] == ["AAA0003", "AAA0002"]
    assert {row["Type"] for row in corporates} == {"Corporate"}


def test_invalid_list_filters_are_refused(bank_a, english):
    client = english(bank_a[Role.MARKETING_MANAGER])

    response = client.get(EXPORT, {"format": "csv", "kind": "nonsense"})

    assert response.status_code == 400
    assert "The filters of this list are not valid." in response.content.decode()
    assert not CustomerExport.objects.exists()


def test_the_xlsx_export_has_amounts_as_numbers_and_times_of_the_bank(bank_a, english):
    customer = bank_a.customer
    Customer.objects.filter(pk=customer.pk).update(
        aum_fen=123456789, created_at=datetime(2026, 3, 1, 23, 30, tzinfo=ZoneInfo("UTC"))
    )
    client = english(bank_a[Role.BRANCH_MANAGER])

    response = client.get(EXPORT, {"format": "xlsx"})

    assert response.status_code == 200
    assert response["Content-Disposition"].endswith('.xlsx"')
    sheet = tablib.Dataset().load(response.content, format="xlsx")
    row = dict(zip(sheet.headers, sheet[0], strict=True))
    assert isinstance(row["AUM (CNY)"], float)  # a number cell, not text
    assert Decimal(str(row["AUM (CNY)"])) == Decimal("1234567.89")
    assert row["Created at"] == "2026-03-02 07:30"  # Asia/Shanghai, the bank's time zone
    assert row["ID number"] == "110***********002X"


def test_text_that_a_spreadsheet_would_run_as_a_formula_is_defused(bank_a, english):
    CustomerFactory(home_branch=bank_a.sub_branch, number="AAA0009", name='=HYPERLINK("x")')
    client = english(bank_a[Role.BRANCH_MANAGER])

    rows = csv_rows(client.get(EXPORT, {"format": "csv"}))

    assert '\'=HYPERLINK("x")' in [row["Name"] for row in rows]


def test_each_export_is_in_the_audit_trail(bank_a, english):
    client = english(bank_a[Role.MARKETING_MANAGER])

    client.get(EXPORT, {"format": "csv", "q": "13812345678", "kind": "individual"})

    export = CustomerExport.objects.get()
    assert (export.exported_by, export.rows, export.file_format) == (
        bank_a[Role.MARKETING_MANAGER],
        1,
        "csv",
    )
    assert export.filters == "kind=individual&q=138****5678"  # the phone searched is masked
    trail = english(bank_a[Role.AUDITOR]).get(reverse("audit:trail")).content.decode()
    assert export.name in trail
    assert bank_a[Role.MARKETING_MANAGER].username in trail


def test_staff_without_the_export_permission_cannot_export(bank_a, client_for):
    response = client_for(bank_a[Role.TELLER]).get(EXPORT, {"format": "csv"})

    assert response.status_code == 403
    assert not CustomerExport.objects.exists()


# The personal-data copy ------------------------------------------------------------------


def test_the_personal_data_copy_holds_the_clear_identity_and_is_logged(bank_a, english):
    customer = bank_a.customer
    spouse = CustomerFactory(home_branch=bank_a.sub_branch, name="AAA配偶")
    relationship_add(from_customer=spouse, to_customer=customer, kind="spouse")
    consent_record(
        customer=customer,
        purpose="marketing",
        channel="sms",
        granted=True,
        source="counter",
        actor=None,
    )
    BalanceSnapshotFactory(customer=customer)
    AssignmentFactory(customer=customer, relationship_manager=bank_a[Role.RELATIONSHIP_MANAGER])
    handler = bank_a[Role.COMPLAINT_HANDLER]
    client = english(handler)

    form = client.get(personal_data_url(customer))
    response = client.post(
        personal_data_url(customer),
        {"reason": "Customer's written request at the counter", "file_format": "json"},
    )

    assert form.status_code == 200
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="personal-data-AAA0001')
    assert response["Cache-Control"] == "no-store"
    copy = json.loads(response.content)
    assert copy["profile"]["fields"]["ID number"] == RESIDENT_IDS[0]
    assert copy["profile"]["fields"]["Mobile phone"] == "13812345678"
    assert copy["profile"]["fields"]["Name"] == "AAA张三"
    assert [h["Balance (CNY)"] for h in copy["holdings"]["rows"]] == ["50000.00"]
    assert copy["monthly_balances"]["rows"][0]["Month"] == "2026-01"
    assert copy["relationships"]["rows"] == [
        {"Relationship": "Spouse", "Related customer": str(spouse), "Note": "", "Ended on": ""}
    ]
    assert copy["consents"]["rows"][0]["Answer"] == "Granted"
    assert copy["relationship_managers"]["rows"][0]["Reason"] == "开户"
    access = PersonalDataAccess.objects.get()
    assert (access.staff, access.subject_id, access.field, access.reason) == (
        handler,
        customer.pk,
        "personal_data_copy",
        "Customer's written request at the counter",
    )


def test_the_personal_data_copy_as_a_workbook_has_a_sheet_per_part(bank_a, english):
    client = english(bank_a[Role.BRANCH_MANAGER])

    response = client.post(
        personal_data_url(bank_a.customer),
        {"reason": "At the customer's request", "file_format": "xlsx"},
    )

    book = tablib.Databook().load(response.content, format="xlsx")
    titles = [sheet.title for sheet in book.sheets()]
    assert titles[:2] == ["Personal details", "Holdings"]
    profile = dict(book.sheets()[0])
    assert profile["ID number"] == RESIDENT_IDS[0]


def test_a_copy_needs_a_reason(bank_a, english):
    client = english(bank_a[Role.BRANCH_MANAGER])

    response = client.post(
        personal_data_url(bank_a.customer), {"reason": "  ", "file_format": "json"}
    )

    assert response.status_code == 400
    assert not PersonalDataAccess.objects.exists()


def test_customers_out_of_scope_or_of_another_bank_answer_404(bank_a, bank_b, english):
    client = english(bank_a[Role.BRANCH_MANAGER])  # the other branch is out of its scope
    request = {"reason": "curious", "file_format": "json"}

    for customer in (bank_a.other_customer, bank_b.customer):
        assert client.get(personal_data_url(customer)).status_code == 404
        assert client.post(personal_data_url(customer), request).status_code == 404
    with bank_b.scope():
        assert not PersonalDataAccess.objects.exists()
    assert not PersonalDataAccess.objects.exists()


def test_staff_without_the_permission_get_no_copy(bank_a, client_for):
    client = client_for(bank_a[Role.RELATIONSHIP_MANAGER])

    response = client.post(
        personal_data_url(bank_a.customer), {"reason": "x", "file_format": "json"}
    )

    assert response.status_code == 403
    assert not PersonalDataAccess.objects.exists()


def test_the_copy_form_keeps_its_query_count(bank_a, english, django_assert_max_num_queries):
    client = english(bank_a[Role.BRANCH_MANAGER])

    with django_assert_max_num_queries(8):
        assert client.get(personal_data_url(bank_a.customer)).status_code == 200
