"""The customer-record rules (customers/rules.py) give the same answer through every way in.

Each case is sent through the page, the partner API, an import file and Django admin. A
refused record comes back with the rule's message (on its field where the way in has
fields) and creates nothing; an accepted one is created with the same stored values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from stdnum.cn import ric, uscc

from crm.tenancy.roles import Role
from customers.intake.models import ImportJob
from customers.models import Assignment, Customer
from customers.tasks import import_apply
from tests.factories import StaffFactory
from tests.sent_tasks import worker_runs_sent_tasks


def resident_id(birth: str, sequence: str) -> str:
    body = f"110105{birth}{sequence}"
    return body + ric.calc_check_digit(body + "0")


WOMAN = resident_id("19900307", "002")  # a woman born on 1990-03-07
COMPANY = "91110105MA01ABCD1" + uscc.calc_check_digit("91110105MA01ABCD1")
NUMBER = "AAA5001"

IDENTITY_REQUIRED = (
    "Enter an ID number or a mobile number, so that the customer can be found again and is "
    "not entered twice."
)
CORPORATE_DOCUMENT = "A corporate customer is identified by its unified social credit code."
INDIVIDUAL_DOCUMENT = "An individual is identified by a resident ID card or a passport."
INDIVIDUAL_ONLY = "Birth date and gender are for individual customers only."
BIRTH_DATE_RANGE = "The birth date must be between 1900 and today."
BIRTH_DATE_MISMATCH = "The birth date does not match the resident ID number."
NUMBER_TAKEN = "Another customer already has this number."

WAYS_IN = ["page", "api", "import", "admin"]


@dataclass
class Outcome:
    """What a way in answered: the customer created, or the messages by field."""

    customer: Customer | None
    errors: dict[str | None, list[str]] = field(default_factory=dict)

    @property
    def messages(self) -> list[str]:
        return [message for messages in self.errors.values() for message in messages]


def record(bank, **changes) -> dict:
    """A good individual; ``changes`` make it what a case needs."""
    return {
        "kind": "individual",
        "number": NUMBER,
        "name": "AAA规则测试",
        "id_type": "resident_id",
        "id_number": WOMAN,
        "phone": "",
        "birth_date": None,
        "gender": "",
        "home_branch": bank.sub_branch,
        "relationship_manager": None,
        **changes,
    }


def created(bank) -> Customer | None:
    with bank.scope():
        return Customer.objects.filter(number=NUMBER, name="AAA规则测试").first()


# --- the four ways in ---------------------------------------------------------------------


def via_page(bank, values: dict, client_for) -> Outcome:
    """The customer form, as a branch manager (scope: their branch and its sub-branches)."""
    data = {
        "kind": values["kind"],
        "number": values["number"],
        "name": values["name"],
        "status": "active",
        "id_type": values["id_type"],
        "id_number": values["id_number"],
        "phone": values["phone"],
        "home_branch": values["home_branch"].pk,
        "relationship_manager": values["relationship_manager"].pk
        if values["relationship_manager"]
        else "",
    }
    # The page disables the other type's inputs; a birth date or sex sent for a company is
    # what a browser without the script (or a hand-made request) sends.
    if values["kind"] == "individual" or values["birth_date"] or values["gender"]:
        data["birth_date"] = values["birth_date"].isoformat() if values["birth_date"] else ""
        data["gender"] = values["gender"]
    response = client_for(bank[Role.BRANCH_MANAGER]).post(reverse("customers:create"), data)
    if response.status_code == 302:
        return Outcome(created(bank))
    assert response.status_code == 400, response.status_code
    errors = response.context["form"].errors
    return Outcome(None, {None if k == "__all__" else k: list(v) for k, v in errors.items()})


def via_api(bank, values: dict, partner_client) -> Outcome:
    """The partner API: the partner application acts, with the whole bank as its scope."""
    payload = {name: values[name] for name in ("kind", "number", "name", "id_type", "id_number")}
    payload |= {"home_branch": values["home_branch"].pk, "gender": values["gender"]}
    if values["phone"]:
        payload["phone"] = values["phone"]
    if values["birth_date"]:
        payload["birth_date"] = values["birth_date"].isoformat()
    if values["relationship_manager"]:
        payload["relationship_manager"] = values["relationship_manager"].username
    response = partner_client(bank.token()).post(
        "/api/v1/customers/", payload, content_type="application/json"
    )
    if response.status_code == 201:
        return Outcome(created(bank))
    assert response.status_code in (400, 409), response.content
    errors: dict[str | None, list[str]] = {}
    for error in response.json()["errors"]:
        attr = None if error["attr"] == "non_field_errors" else error["attr"]
        errors.setdefault(attr, []).append(error["detail"])
    return Outcome(None, errors)


def via_import(bank, values: dict, client_for) -> Outcome:
    """An import file uploaded and applied by the same branch manager as on the page."""
    header = (
        "number,kind,name,id_type,id_number,phone,birth_date,gender,home_branch,"
        "relationship_manager"
    )
    row = ",".join(
        [
            values["number"],
            values["kind"],
            values["name"],
            values["id_type"],
            values["id_number"],
            values["phone"],
            values["birth_date"].isoformat() if values["birth_date"] else "",
            values["gender"],
            values["home_branch"].code,
            values["relationship_manager"].username if values["relationship_manager"] else "",
        ]
    )
    client = client_for(bank[Role.BRANCH_MANAGER])
    upload = SimpleUploadedFile("customers.csv", f"{header}\n{row}\n".encode())
    with worker_runs_sent_tasks():  # the worker reads the file
        response = client.post(
            reverse("customers:import_upload"), {"kind": "customers", "file": upload}
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    with bank.scope():
        job = ImportJob.objects.latest("pk")
    preview = client.get(reverse("customers:import_preview", args=[job.pk]))
    problems = preview.context["check"].problems
    if problems:
        return Outcome(None, {None: problems[0].reasons})
    client.post(reverse("customers:import_apply", args=[job.pk]))
    import_apply(job_id=job.pk, tenant_id=bank.tenant.pk)  # what the worker runs
    with bank.scope():
        job.refresh_from_db()
    assert job.status == ImportJob.Status.SUCCEEDED, job.error
    return Outcome(created(bank))


def via_admin(bank, values: dict, client_for, admin) -> Outcome:
    """Django admin, as the platform administrator (who sees every branch of the bank)."""
    data = {
        name: values[name] for name in ("kind", "number", "name", "id_type", "id_number", "phone")
    }
    data |= {
        "status": "active",
        "gender": values["gender"],
        "birth_date": values["birth_date"].isoformat() if values["birth_date"] else "",
        "home_branch": values["home_branch"].pk,
        "relationship_manager": values["relationship_manager"].pk
        if values["relationship_manager"]
        else "",
    }
    for name in ("occupation", "income_band", "address", "industry", "company_size"):
        data[name] = ""
    data |= {"legal_representative": "", "tier": "", "risk_grade": "", "tenant": bank.tenant.pk}
    response = client_for(admin).post(reverse("admin:customers_customer_add"), data)
    if response.status_code == 302:
        return Outcome(created(bank))
    assert response.status_code == 200, response.status_code
    errors = response.context["adminform"].form.errors
    return Outcome(None, {None if k == "__all__" else k: list(v) for k, v in errors.items()})


@pytest.fixture
def send(bank_a, client_for, partner_client, platform_admin):
    def send(way_in: str, values: dict) -> Outcome:
        if way_in == "api":
            return via_api(bank_a, values, partner_client)
        if way_in == "admin":
            return via_admin(bank_a, values, client_for, platform_admin)
        return {"page": via_page, "import": via_import}[way_in](bank_a, values, client_for)

    return send


def zh(message: str) -> str:
    with translation.override("zh-hans"):
        return gettext(message)


def assert_refused(outcome: Outcome, way_in: str, message: str | None, field: str | None):
    assert outcome.customer is None
    if message is not None:
        assert zh(message) in outcome.messages, outcome.errors
    if way_in != "import" and field != "any":  # an import's reasons are per row
        assert field in outcome.errors, outcome.errors


# --- the rules ----------------------------------------------------------------------------

REFUSED = [
    pytest.param({"id_number": "", "phone": ""}, IDENTITY_REQUIRED, None, id="no-id-no-phone"),
    pytest.param(
        {"kind": "corporate", "id_type": "resident_id"},
        CORPORATE_DOCUMENT,
        "id_type",
        id="company-with-a-resident-id",
    ),
    pytest.param(
        {"id_type": "uscc", "id_number": COMPANY},
        INDIVIDUAL_DOCUMENT,
        "id_type",
        id="individual-with-a-credit-code",
    ),
    pytest.param(
        {
            "kind": "corporate",
            "id_type": "uscc",
            "id_number": COMPANY,
            "birth_date": date(2001, 1, 1),
        },
        INDIVIDUAL_ONLY,
        "birth_date",
        id="company-with-a-birth-date",
    ),
    pytest.param(
        {"kind": "corporate", "id_type": "uscc", "id_number": COMPANY, "gender": "male"},
        INDIVIDUAL_ONLY,
        "gender",
        id="company-with-a-sex",
    ),
    pytest.param(
        {"id_type": "passport", "id_number": "E12345678", "birth_date": date(1899, 12, 31)},
        BIRTH_DATE_RANGE,
        "birth_date",
        id="born-before-1900",
    ),
    pytest.param(
        {
            "id_type": "passport",
            "id_number": "E12345678",
            "birth_date": timezone.localdate() + timedelta(days=1),
        },
        BIRTH_DATE_RANGE,
        "birth_date",
        id="born-tomorrow",
    ),
    pytest.param(
        {"birth_date": date(1990, 3, 8)}, BIRTH_DATE_MISMATCH, "birth_date", id="not-the-card"
    ),
    pytest.param({"number": "AAA0001"}, NUMBER_TAKEN, "number", id="number-taken"),
]


@pytest.mark.parametrize("way_in", WAYS_IN)
@pytest.mark.parametrize(("changes", "message", "field_name"), REFUSED)
def test_a_record_breaking_a_rule_is_refused_the_same_way_everywhere(
    way_in, changes, message, field_name, bank_a, send
):
    with bank_a.scope():
        before = Customer.objects.count()
    outcome = send(way_in, record(bank_a, **changes))

    assert_refused(outcome, way_in, message, field_name)
    with bank_a.scope():
        assert Customer.objects.count() == before  # nothing changed


@pytest.mark.parametrize("way_in", WAYS_IN)
def test_a_mobile_number_alone_identifies_a_customer(way_in, bank_a, send):
    outcome = send(way_in, record(bank_a, id_type="", id_number="", phone="13900005001"))

    assert outcome.customer is not None, outcome.errors
    assert outcome.customer.phone_masked == "139****5001"
    assert outcome.customer.id_type == "" and outcome.customer.id_number_masked == ""


@pytest.mark.parametrize("way_in", WAYS_IN)
def test_a_number_without_its_type_is_a_resident_id_that_fills_birth_date_and_sex(
    way_in, bank_a, send
):
    outcome = send(way_in, record(bank_a, id_type=""))

    customer = outcome.customer
    assert customer is not None, outcome.errors
    assert customer.id_type == "resident_id"
    assert (customer.birth_date, customer.gender) == (date(1990, 3, 7), "female")


@pytest.mark.parametrize("way_in", WAYS_IN)
def test_a_company_is_created_with_its_credit_code(way_in, bank_a, send):
    outcome = send(way_in, record(bank_a, kind="corporate", id_type="uscc", id_number=COMPANY))

    assert outcome.customer is not None, outcome.errors
    assert outcome.customer.id_type == "uscc" and outcome.customer.birth_date is None


# --- the relationship manager (rule 6) ----------------------------------------------------


@pytest.mark.parametrize("way_in", WAYS_IN)
@pytest.mark.parametrize("who", ["teller", "deactivated"])
def test_only_an_active_relationship_manager_can_look_after_a_customer(way_in, who, bank_a, send):
    if who == "teller":
        manager = bank_a[Role.TELLER]
    else:
        manager = StaffFactory(
            tenant=bank_a.tenant,
            branch=bank_a.sub_branch,
            is_active=False,
            roles=[Role.RELATIONSHIP_MANAGER],
        )

    outcome = send(way_in, record(bank_a, relationship_manager=manager))

    assert_refused(outcome, way_in, None, "relationship_manager")
    if way_in == "import":
        assert manager.username in outcome.messages[0]


# The page and the import act as the branch manager, whose scope is their branch subtree;
# the API as the partner application (the whole bank); admin as the platform administrator
# (every branch).
IN_REACH_OF_A_MANAGER_ELSEWHERE = {"page": False, "import": False, "api": True, "admin": True}


@pytest.mark.parametrize("way_in", WAYS_IN)
def test_a_manager_elsewhere_in_the_bank_is_within_reach_only_of_whoever_sees_that_branch(
    way_in, bank_a, send
):
    elsewhere = StaffFactory(
        tenant=bank_a.tenant, branch=bank_a.other_branch, roles=[Role.RELATIONSHIP_MANAGER]
    )

    outcome = send(way_in, record(bank_a, relationship_manager=elsewhere))

    if IN_REACH_OF_A_MANAGER_ELSEWHERE[way_in]:
        assert outcome.customer is not None, outcome.errors
        assert outcome.customer.relationship_manager_id == elsewhere.pk
        with bank_a.scope():
            history = Assignment.objects.get(customer=outcome.customer)
        assert history.relationship_manager_id == elsewhere.pk
        assert history.kind == Assignment.Kind.ASSIGN
    else:
        assert_refused(outcome, way_in, None, "relationship_manager")


@pytest.mark.parametrize("way_in", WAYS_IN)
def test_every_way_in_writes_the_same_assignment_history(way_in, bank_a, send):
    rm = bank_a[Role.RELATIONSHIP_MANAGER]

    outcome = send(way_in, record(bank_a, relationship_manager=rm))

    assert outcome.customer is not None, outcome.errors
    with bank_a.scope():
        [history] = Assignment.objects.filter(customer=outcome.customer)
    assert (history.kind, history.previous_manager_id, history.relationship_manager_id) == (
        Assignment.Kind.ASSIGN,
        None,
        rm.pk,
    )
    acting = {
        "page": bank_a[Role.BRANCH_MANAGER].pk,
        "import": bank_a[Role.BRANCH_MANAGER].pk,
        "admin": None,  # the platform administrator is no staff of the bank
        "api": None,
    }
    assert history.changed_by_id == acting[way_in]


# --- changes ------------------------------------------------------------------------------


def test_admin_changes_go_through_the_service_and_keep_identity_left_empty(
    bank_a, client_for, platform_admin
):
    customer = bank_a.customer
    url = reverse("admin:customers_customer_change", args=[customer.pk])
    page = client_for(platform_admin).get(url)
    data = {
        name: value if value is not None else ""
        for name, value in page.context["adminform"].form.initial.items()
        if name not in ("id", "id_number_masked", "phone_masked", "created_at", "updated_at")
    }
    data |= {"name": "AAA张三改", "id_number": "", "phone": "", "number": "AAA0002"}

    refused = client_for(platform_admin).post(url, data)
    saved = client_for(platform_admin).post(url, data | {"number": "AAA0001"})

    assert zh(NUMBER_TAKEN) in refused.context["adminform"].form.errors["number"]
    assert saved.status_code == 302
    with bank_a.scope():
        customer.refresh_from_db()
    assert customer.name == "AAA张三改"
    assert customer.id_number_masked == "110***********002X"  # kept
    assert customer.phone_masked == "138****5678"


def test_a_change_cannot_remove_the_last_identity_number(bank_a, partner_client):
    client = partner_client(bank_a.token())
    url = f"/api/v1/customers/{bank_a.customer.pk}/"

    without_phone = client.patch(url, {"phone": ""}, content_type="application/json")
    without_both = client.patch(url, {"id_number": ""}, content_type="application/json")

    assert without_phone.status_code == 200
    assert without_both.status_code == 400
    assert without_both.json()["errors"][0]["detail"] == zh(IDENTITY_REQUIRED)
    with bank_a.scope():
        assert Customer.objects.get(pk=bank_a.customer.pk).id_number_masked != ""


def test_a_new_number_without_its_type_keeps_the_customers_document_type(bank_a, partner_client):
    with bank_a.scope():
        customer = Customer.objects.get(pk=bank_a.customer.pk)
        customer.set_id_number("passport", "E12345678")
        customer.save()

    response = partner_client(bank_a.token()).patch(
        f"/api/v1/customers/{customer.pk}/",
        {"id_number": "G7654321"},
        content_type="application/json",
    )

    assert response.status_code == 200, response.content
    with bank_a.scope():
        customer.refresh_from_db()
        assert (customer.id_type, customer.reveal("id_number")) == ("passport", "G7654321")
