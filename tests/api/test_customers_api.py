"""Partner API for customers: list and filters, read, create, change, masked identity, scopes."""

from datetime import timedelta

import pytest
from django.utils import timezone

from crm.audit.models import PersonalDataAccess
from crm.tenancy.roles import Role
from customers.models import Assignment, Customer
from tests.factories import RESIDENT_IDS, CustomerFactory

CUSTOMERS = "/api/v1/customers/"
# A valid unified social credit code (GB 32100 check character).
USCC = "91350100M000100Y43"


def detail(customer) -> str:
    return f"{CUSTOMERS}{customer.pk}/"


def numbers(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {customer["number"] for customer in response.json()["results"]}


def only_error(response, status: int) -> dict:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["type"] == "validation_error"
    assert len(body["errors"]) == 1, body
    return body["errors"][0]


def new_customer(bank, **fields) -> dict:
    return {
        "number": f"{bank.marker}9001",
        "kind": "individual",
        "name": f"{bank.marker}王五",
        "home_branch": bank.sub_branch.pk,
        **fields,
    }


# --- list and filters -----------------------------------------------------------------


def test_list_shows_the_banks_customers_with_masked_identity(bank_a, bank_b, partner_client):
    response = partner_client(bank_a.token("customers:read")).get(CUSTOMERS)
    assert numbers(response) == {"AAA0001", "AAA0002"}
    row = next(r for r in response.json()["results"] if r["number"] == "AAA0001")
    assert row["id_number_masked"] == "110***********002X"
    assert row["phone_masked"] == "138****5678"
    assert "id_number" not in row and "phone" not in row
    assert row["relationship_manager"]["username"] == bank_a[Role.RELATIONSHIP_MANAGER].username
    assert row["home_branch"] == bank_a.sub_branch.pk
    assert RESIDENT_IDS[0] not in response.content.decode()
    with bank_a.scope():
        assert not PersonalDataAccess.objects.exists()


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("number=AAA0002", {"AAA0002"}),
        ("kind=corporate", {"AAA0002"}),
        ("status=dormant", {"AAA0003"}),
        ("tier=mvc", {"AAA0003"}),
        ("risk_grade=high", {"AAA0003"}),
        ("home_branch={other_branch}", {"AAA0002"}),
        ("branch_within={branch}", {"AAA0001", "AAA0003"}),
        ("branch_within={head_office}", {"AAA0001", "AAA0002", "AAA0003"}),
        ("relationship_manager={rm_id}", {"AAA0001"}),
        ("relationship_manager={rm_username}", {"AAA0001"}),
        ("name_prefix=AAA张", {"AAA0001"}),
        ("name_prefix=AAA", {"AAA0001", "AAA0002", "AAA0003"}),
        ("phone=138 1234 5678", {"AAA0001"}),
        ("id_number={id_number_lower}", {"AAA0001"}),
        ("aum_min=1000", {"AAA0001", "AAA0003"}),
        ("aum_min=1000.01&aum_max=250000", {"AAA0003"}),
        ("aum_max=999.99", {"AAA0002"}),
        ("updated_since={an_hour_ago}", {"AAA0003"}),
        ("kind=individual&branch_within={branch}&tier=mvc", {"AAA0003"}),
    ],
)
def test_customers_are_filterable(query, expected, bank_a, bank_b, partner_client):
    with bank_a.scope():
        CustomerFactory(
            home_branch=bank_a.branch,
            number="AAA0003",
            name="AAA赵六",
            status=Customer.Status.DORMANT,
            tier=Customer.Tier.MVC,
            risk_grade=Customer.RiskGrade.HIGH,
        )
        # AUM is kept by the jobs; set it directly. Everyone else changed a day ago.
        Customer.objects.filter(number="AAA0001").update(
            aum_fen=100_000, updated_at=timezone.now() - timedelta(days=1)
        )
        Customer.objects.filter(number="AAA0002").update(
            updated_at=timezone.now() - timedelta(days=1)
        )
        Customer.objects.filter(number="AAA0003").update(aum_fen=25_000_000)
    rm = bank_a[Role.RELATIONSHIP_MANAGER]
    query = query.format(
        branch=bank_a.branch.pk,
        head_office=bank_a.head_office.pk,
        other_branch=bank_a.other_branch.pk,
        rm_id=rm.pk,
        rm_username=rm.username,
        id_number_lower=RESIDENT_IDS[0].lower(),
        an_hour_ago=(timezone.now() - timedelta(hours=1)).isoformat().replace("+", "%2B"),
    )
    # Exact matches on identity numbers need customers:pii (see test_identity_filters_...).
    by_identity = query.startswith(("phone=", "id_number="))
    scope = "customers:read customers:pii" if by_identity else "customers:read"
    response = partner_client(bank_a.token(scope)).get(f"{CUSTOMERS}?{query}")
    assert numbers(response) == expected


@pytest.mark.parametrize(
    "query",
    [
        "branch_within={b_branch}",
        "home_branch={b_sub_branch}",
        "relationship_manager={b_rm_username}",
        "relationship_manager={b_rm_id}",
        "number=ZZZ0001",
        "name_prefix=ZZZ",
    ],
)
def test_filtering_by_another_banks_objects_finds_nothing(query, bank_a, bank_b, partner_client):
    rm = bank_b[Role.RELATIONSHIP_MANAGER]
    query = query.format(
        b_branch=bank_b.branch.pk,
        b_sub_branch=bank_b.sub_branch.pk,
        b_rm_username=rm.username,
        b_rm_id=rm.pk,
    )
    response = partner_client(bank_a.token()).get(f"{CUSTOMERS}?{query}")
    assert numbers(response) == set()


def test_phone_search_finds_only_the_own_banks_customer_with_that_phone(
    bank_a, bank_b, partner_client
):
    # Both banks' first customers have the same phone and ID number.
    response = partner_client(bank_a.token()).get(f"{CUSTOMERS}?phone=13812345678")
    assert numbers(response) == {"AAA0001"}
    response = partner_client(bank_b.token()).get(f"{CUSTOMERS}?id_number={RESIDENT_IDS[0]}")
    assert numbers(response) == {"ZZZ0001"}


@pytest.mark.parametrize(
    ("query", "attr"),
    [
        ("aum_min=lots", "aum_min"),
        ("aum_max=-5", "aum_max"),
        ("kind=castle", "kind"),
        ("updated_since=yesterday", "updated_since"),
        ("branch_within=x", "branch_within"),
    ],
)
def test_bad_filter_values_are_json_validation_errors(query, attr, bank_a, partner_client):
    response = partner_client(bank_a.token()).get(f"{CUSTOMERS}?{query}")
    assert response.status_code == 400
    assert response.json()["type"] == "validation_error"
    assert response.json()["errors"][0]["attr"] == attr


def test_customers_are_cursor_paginated_without_a_count(bank_a, partner_client):
    with bank_a.scope():
        for n in range(5):
            CustomerFactory(home_branch=bank_a.branch, number=f"AAA1{n:03d}")
    client = partner_client(bank_a.token("customers:read"))
    page = client.get(f"{CUSTOMERS}?page_size=3").json()
    assert "count" not in page
    seen = []
    while True:
        seen += [customer["id"] for customer in page["results"]]
        if not page["next"]:
            break
        page = client.get(page["next"]).json()
    assert len(seen) == len(set(seen)) == 7
    assert seen == sorted(seen)


def test_list_query_count_does_not_grow_with_the_page(
    bank_a, partner_client, django_assert_max_num_queries
):
    with bank_a.scope():
        for n in range(40):
            CustomerFactory(
                home_branch=bank_a.branch,
                relationship_manager=bank_a[Role.RELATIONSHIP_MANAGER],
                phone=f"139{n:08d}",
            )
    client = partner_client(bank_a.token())  # with customers:pii: the reveals are logged too
    # token, tenant, the branch and its subtree, one page, one insert into the access log,
    # and the savepoints around them: never one per customer
    with django_assert_max_num_queries(10):
        response = client.get(f"{CUSTOMERS}?page_size=100&branch_within={bank_a.branch.pk}")
    assert len(response.json()["results"]) == 41


# --- masked and clear identity ---------------------------------------------------------


def test_pii_scope_shows_numbers_in_clear_and_logs_each_one(bank_a, partner_client):
    token = bank_a.token("customers:read customers:pii")
    response = partner_client(token).get(CUSTOMERS)
    assert response.status_code == 200
    rows = {row["number"]: row for row in response.json()["results"]}
    assert rows["AAA0001"]["id_number"] == RESIDENT_IDS[0]
    assert rows["AAA0001"]["phone"] == "13812345678"
    assert rows["AAA0001"]["id_number_masked"] == "110***********002X"
    assert rows["AAA0002"]["id_number"] == "" and rows["AAA0002"]["phone"] == ""
    with bank_a.scope():
        accesses = list(PersonalDataAccess.objects.all())
    # Only numbers actually shown are logged: the corporate customer has none.
    assert {(a.subject_id, a.field) for a in accesses} == {
        (bank_a.customer.pk, "id_number"),
        (bank_a.customer.pk, "phone"),
    }
    assert {a.partner_name for a in accesses} == {bank_a.partner.name}
    assert all(a.reason and a.staff is None for a in accesses)


def test_reading_one_customer_with_pii_scope_logs_the_read(bank_a, partner_client):
    response = partner_client(bank_a.token()).get(detail(bank_a.customer))
    assert response.status_code == 200
    assert response.json()["id_number"] == RESIDENT_IDS[0]
    with bank_a.scope():
        assert PersonalDataAccess.objects.filter(subject_id=bank_a.customer.pk).count() == 2


def test_reading_one_customer_without_pii_scope_is_masked_and_not_logged(bank_a, partner_client):
    response = partner_client(bank_a.token("customers:read")).get(detail(bank_a.customer))
    assert response.status_code == 200
    assert response.json()["phone_masked"] == "138****5678"
    assert "phone" not in response.json()
    with bank_a.scope():
        assert not PersonalDataAccess.objects.exists()


# --- another bank ----------------------------------------------------------------------


def test_another_banks_customer_is_not_found(bank_a, bank_b, partner_client):
    response = partner_client(bank_a.token()).get(detail(bank_b.customer))
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "not_found"
    assert "ZZZ" not in response.content.decode()


def test_another_banks_customer_cannot_be_changed(bank_a, bank_b, partner_client):
    response = partner_client(bank_a.token()).patch(
        detail(bank_b.customer), {"name": "AAA改名"}, content_type="application/json"
    )
    assert response.status_code == 404
    with bank_b.scope():
        bank_b.customer.refresh_from_db()
    assert bank_b.customer.name == "ZZZ张三"


# --- create ----------------------------------------------------------------------------


def test_partner_creates_a_customer(bank_a, partner_client):
    rm = bank_a[Role.RELATIONSHIP_MANAGER]
    payload = new_customer(
        bank_a,
        id_type="resident_id",
        id_number=RESIDENT_IDS[1],
        phone="+86 139 0000 1111",
        relationship_manager=rm.username,
    )
    response = partner_client(bank_a.token("customers:read customers:write")).post(
        CUSTOMERS, payload, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["number"] == "AAA9001"
    assert body["id_number_masked"] == "110***********4477"
    assert body["phone_masked"] == "139****1111"
    assert "id_number" not in body
    # Birth date and sex come from the resident ID.
    assert body["birth_date"] == "1990-03-07" and body["gender"] == "male"
    assert body["relationship_manager"]["id"] == rm.pk
    assert body["status"] == "active"
    with bank_a.scope():
        customer = Customer.objects.get(number="AAA9001")
        assert customer.reveal("phone") == "13900001111"
        assert Customer.objects.with_id_number(RESIDENT_IDS[1], tenant_id=bank_a.tenant.pk)
        assignment = Assignment.objects.get(customer=customer)
        event = Customer.pgh_event_model.objects.filter(pgh_obj_id=customer.pk).get()
    assert assignment.relationship_manager_id == rm.pk
    assert event.pgh_context["partner_name"] == bank_a.partner.name


def test_created_customer_is_shown_in_clear_with_pii_scope_and_logged(bank_a, partner_client):
    response = partner_client(bank_a.token()).post(
        CUSTOMERS, new_customer(bank_a, phone="13900001111"), content_type="application/json"
    )
    assert response.status_code == 201
    assert response.json()["phone"] == "13900001111"
    with bank_a.scope():
        assert PersonalDataAccess.objects.filter(field="phone").count() == 1


def test_corporate_customer_with_unified_social_credit_code(bank_a, partner_client):
    payload = new_customer(
        bank_a, kind="corporate", id_type="uscc", id_number=USCC.lower(), industry="制造业"
    )
    response = partner_client(bank_a.token()).post(
        CUSTOMERS, payload, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["id_number"] == USCC


@pytest.mark.parametrize(
    ("change", "attr", "code"),
    [
        ({"id_type": "resident_id", "id_number": "110101199003074478"}, "id_number", None),
        ({"id_type": "resident_id", "id_number": "12345"}, "id_number", None),
        ({"id_type": "uscc", "id_number": USCC}, "id_type", None),
        (
            {"id_type": "resident_id", "id_number": RESIDENT_IDS[1], "birth_date": "1990-03-08"},
            "birth_date",
            None,
        ),
        ({"phone": "12345678901"}, "phone", None),
        ({"name": ""}, "name", "blank"),
        ({"kind": "alien"}, "kind", "invalid_choice"),
        ({"home_branch": None}, "home_branch", "null"),
        ({"relationship_manager": "nobody"}, "relationship_manager", "does_not_exist"),
        ({"colour": "blue"}, "colour", "unknown_field"),
        ({"aum": "1000000"}, "aum", "unknown_field"),
    ],
)
def test_create_refuses_bad_values_with_the_field_named(change, attr, code, bank_a, partner_client):
    response = partner_client(bank_a.token()).post(
        CUSTOMERS, new_customer(bank_a, **change), content_type="application/json"
    )
    error = only_error(response, 400)
    assert error["attr"] == attr
    assert error["detail"]
    if code:
        assert error["code"] == code
    with bank_a.scope():
        assert not Customer.objects.filter(number="AAA9001").exists()


def test_create_refuses_a_missing_required_field(bank_a, partner_client):
    payload = new_customer(bank_a)
    del payload["name"]
    response = partner_client(bank_a.token()).post(
        CUSTOMERS, payload, content_type="application/json"
    )
    assert only_error(response, 400) == {
        "code": "required",
        "detail": response.json()["errors"][0]["detail"],
        "attr": "name",
    }


def test_create_refuses_another_banks_branch_and_relationship_manager(
    bank_a, bank_b, partner_client
):
    payload = new_customer(
        bank_a,
        home_branch=bank_b.sub_branch.pk,
        relationship_manager=bank_b[Role.RELATIONSHIP_MANAGER].pk,
    )
    response = partner_client(bank_a.token()).post(
        CUSTOMERS, payload, content_type="application/json"
    )
    assert response.status_code == 400
    assert {e["attr"] for e in response.json()["errors"]} == {
        "home_branch",
        "relationship_manager",
    }
    assert "ZZZ" not in response.content.decode()


def test_relationship_manager_must_be_one(bank_a, partner_client):
    payload = new_customer(bank_a, relationship_manager=bank_a[Role.TELLER].username)
    response = partner_client(bank_a.token()).post(
        CUSTOMERS, payload, content_type="application/json"
    )
    assert only_error(response, 400)["attr"] == "relationship_manager"


@pytest.mark.parametrize(
    ("change", "attr"),
    [
        ({"id_type": "resident_id", "id_number": RESIDENT_IDS[0]}, "id_number"),
        ({"phone": "138-1234-5678"}, "phone"),
        ({"number": "AAA0001", "phone": "13900009001"}, "number"),
    ],
)
def test_create_refuses_a_duplicate_of_an_existing_customer(change, attr, bank_a, partner_client):
    response = partner_client(bank_a.token()).post(
        CUSTOMERS, new_customer(bank_a, **change), content_type="application/json"
    )
    error = only_error(response, 409)
    assert error == {"code": "duplicate", "detail": error["detail"], "attr": attr}
    with bank_a.scope():
        assert Customer.objects.count() == 2


def test_same_id_number_in_another_bank_is_not_a_duplicate(bank_a, bank_b, partner_client):
    payload = new_customer(bank_a, id_type="resident_id", id_number=RESIDENT_IDS[4])
    with bank_b.scope():
        CustomerFactory(home_branch=bank_b.branch, id_number=RESIDENT_IDS[4])
    response = partner_client(bank_a.token()).post(
        CUSTOMERS, payload, content_type="application/json"
    )
    assert response.status_code == 201, response.content


# --- update ----------------------------------------------------------------------------


def test_partner_changes_a_customer(bank_a, partner_client):
    rm = bank_a[Role.RELATIONSHIP_MANAGER]
    response = partner_client(bank_a.token("customers:read customers:write")).patch(
        detail(bank_a.other_customer),
        {"name": "AAA李四有限公司", "phone": "13700000000", "relationship_manager": rm.pk},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["name"] == "AAA李四有限公司"
    assert body["phone_masked"] == "137****0000"
    assert body["relationship_manager"]["id"] == rm.pk
    with bank_a.scope():
        customer = Customer.objects.get(pk=bank_a.other_customer.pk)
        history = Assignment.objects.get(customer=customer)
    assert customer.reveal("phone") == "13700000000"
    assert customer.kind == Customer.Kind.CORPORATE  # untouched fields stay
    assert history.relationship_manager_id == rm.pk and history.changed_by_id is None


def test_releasing_a_customer_to_the_pool(bank_a, partner_client):
    response = partner_client(bank_a.token()).patch(
        detail(bank_a.customer), {"relationship_manager": None}, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["relationship_manager"] is None
    with bank_a.scope():
        assert Assignment.objects.get(customer=bank_a.customer).kind == Assignment.Kind.RELEASE


@pytest.mark.parametrize(
    ("change", "status", "attr"),
    [
        ({"number": "AAA7777"}, 400, "number"),
        ({"kind": "corporate"}, 400, "kind"),
        ({"id_type": "uscc", "id_number": "91350100M000100Y44"}, 400, "id_number"),
        ({"id_type": "resident_id", "id_number": RESIDENT_IDS[1]}, 400, "id_type"),
        ({"id_type": "passport"}, 400, "id_number"),
        ({"status": "asleep"}, 400, "status"),
        ({"phone": "13812345678"}, 409, "phone"),
    ],
)
def test_update_refuses_bad_changes(change, status, attr, bank_a, partner_client):
    response = partner_client(bank_a.token()).patch(
        detail(bank_a.other_customer), change, content_type="application/json"
    )
    assert only_error(response, status)["attr"] == attr
    with bank_a.scope():
        unchanged = Customer.objects.get(pk=bank_a.other_customer.pk)
    assert (unchanged.number, unchanged.status, unchanged.phone_masked) == ("AAA0002", "active", "")


def test_keeping_the_own_id_number_is_not_a_duplicate(bank_a, partner_client):
    response = partner_client(bank_a.token()).patch(
        detail(bank_a.customer),
        {"id_type": "resident_id", "id_number": RESIDENT_IDS[0], "occupation": "教师"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["occupation"] == "教师"


def test_put_and_delete_are_not_offered(bank_a, partner_client):
    client = partner_client(bank_a.token())
    assert client.delete(detail(bank_a.customer)).status_code == 405
    put = client.put(detail(bank_a.customer), {}, content_type="application/json")
    assert put.status_code == 405
    with bank_a.scope():
        assert Customer.objects.filter(pk=bank_a.customer.pk).exists()


# --- scopes ----------------------------------------------------------------------------


@pytest.mark.parametrize("scope", ["branches:read", "customers:write", "customers:pii"])
def test_reading_without_the_read_scope_is_forbidden(scope, bank_a, partner_client):
    client = partner_client(bank_a.token(scope))
    for url in (CUSTOMERS, detail(bank_a.customer)):
        response = client.get(url)
        assert response.status_code == 403
        assert response.json()["errors"][0]["code"] == "permission_denied"
    with bank_a.scope():
        assert not PersonalDataAccess.objects.exists()


@pytest.mark.parametrize("scope", ["customers:read", "customers:read customers:pii"])
def test_writing_without_the_write_scope_is_forbidden(scope, bank_a, partner_client):
    client = partner_client(bank_a.token(scope))
    created = client.post(CUSTOMERS, new_customer(bank_a), content_type="application/json")
    changed = client.patch(
        detail(bank_a.customer), {"name": "AAA改名"}, content_type="application/json"
    )
    assert created.status_code == changed.status_code == 403
    with bank_a.scope():
        assert Customer.objects.count() == 2
        assert Customer.objects.get(pk=bank_a.customer.pk).name == "AAA张三"


def test_identity_can_be_written_without_the_pii_scope_and_stays_masked(bank_a, partner_client):
    payload = new_customer(bank_a, id_type="passport", id_number="E12345678")
    response = partner_client(bank_a.token("customers:write")).post(
        CUSTOMERS, payload, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["id_number_masked"] == "E12**5678"
    assert "id_number" not in response.json()
    with bank_a.scope():
        assert not PersonalDataAccess.objects.exists()


# --- what the write scope may see --------------------------------------------------------


def test_an_empty_change_with_only_the_write_scope_reads_nothing(bank_a, partner_client):
    response = partner_client(bank_a.token("customers:write")).patch(
        detail(bank_a.customer), {}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"id", "number", "updated_at"}
    assert body["number"] == "AAA0001"
    for secret in ("AAA张三", "138****5678", "110***"):
        assert secret not in response.content.decode()


def test_a_change_with_only_the_write_scope_answers_the_fields_it_wrote(bank_a, partner_client):
    response = partner_client(bank_a.token("customers:write customers:pii")).patch(
        detail(bank_a.customer),
        {"occupation": "教师", "phone": "13700000000"},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"id", "number", "updated_at", "occupation", "phone_masked"}
    assert body["occupation"] == "教师" and body["phone_masked"] == "137****0000"
    with bank_a.scope():
        assert not PersonalDataAccess.objects.exists()


def test_a_creation_with_only_the_write_scope_answers_what_it_sent(bank_a, partner_client):
    response = partner_client(bank_a.token("customers:write")).post(
        CUSTOMERS, new_customer(bank_a, phone="13900001111"), content_type="application/json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == {
        "id",
        "number",
        "updated_at",
        "kind",
        "name",
        "home_branch",
        "phone_masked",
    }


def test_an_empty_change_with_the_read_scope_too_answers_the_whole_customer(bank_a, partner_client):
    response = partner_client(bank_a.token("customers:read customers:write")).patch(
        detail(bank_a.customer), {}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["name"] == "AAA张三" and body["phone_masked"] == "138****5678"
    assert {"aum", "tier", "risk_grade", "relationship_manager"} <= set(body)
    assert "id_number" not in body


def test_the_schema_tells_which_fields_a_write_always_answers(db, client):
    schema = client.get("/api/v1/schema/?format=json").json()
    answer = schema["components"]["schemas"]["CustomerWriteAnswer"]
    assert set(answer["required"]) == {"id", "number", "updated_at"}
    operation = schema["paths"]["/api/v1/customers/{id}/"]["patch"]
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CustomerWriteAnswer"
    }


# --- identity filters need customers:pii ------------------------------------------------


@pytest.mark.parametrize(
    ("query", "attr"),
    [("phone=13812345678", "phone"), (f"id_number={RESIDENT_IDS[0]}", "id_number")],
)
def test_identity_filters_are_refused_without_the_pii_scope(query, attr, bank_a, partner_client):
    response = partner_client(bank_a.token("customers:read")).get(f"{CUSTOMERS}?{query}")
    error = only_error(response, 400)
    assert error["attr"] == attr
    assert error["code"] == "pii_scope_required"
    assert "customers:pii" in error["detail"]
    assert "AAA0001" not in response.content.decode()


def test_identity_filters_answer_with_the_pii_scope(bank_a, partner_client):
    response = partner_client(bank_a.token("customers:read customers:pii")).get(
        f"{CUSTOMERS}?phone=13800000000"
    )
    assert numbers(response) == set()


def test_the_schema_says_identity_filters_need_the_pii_scope(db, client):
    schema = client.get("/api/v1/schema/?format=json", headers={"accept-language": "en"}).json()
    parameters = schema["paths"]["/api/v1/customers/"]["get"]["parameters"]
    described = {p["name"]: p.get("description", "") for p in parameters}
    assert "customers:pii" in described["phone"]
    assert "customers:pii" in described["id_number"]
    assert "customers:pii" not in described["number"]
