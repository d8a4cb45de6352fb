"""Creating and editing customers: identity checks, scope of choices, duplicates."""

import re
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from stdnum.cn import ric, uscc

from crm.tenancy.context import platform_wide
from crm.tenancy.roles import Role
from customers import validators
from customers.models import Assignment, Customer
from tests.factories import RESIDENT_IDS, CustomerFactory, StaffFactory
from tests.translation import zh

CREATE = reverse("customers:create")


def resident_id(area: str, birth: date, sequence: int) -> str:
    body = f"{area}{birth:%Y%m%d}{sequence:03d}"
    return body + ric.calc_check_digit(body + "0")  # the check character is ignored


def a_uscc(body: str = "91110000600037341") -> str:
    return body + uscc.calc_check_digit(body)


WOMAN_1990 = resident_id("110105", date(1990, 3, 7), 24)  # even 17th digit: female
MAN_1985 = resident_id("330106", date(1985, 11, 30), 13)


def manager_lookup(page: str) -> tuple[str, str]:
    """The value and the label the form's relationship manager lookup shows."""
    value = re.search(
        r'name="relationship_manager" id="id_relationship_manager" value="([^"]*)"', page
    )
    label = re.search(r'id="id_relationship_manager-lookup"[^>]*?value="([^"]*)"', page, re.S)
    assert value and label, "no relationship manager lookup"
    return value.group(1), label.group(1)


def lookup_is_invalid(page: str) -> bool:
    return "is-invalid" in page.split('id="id_relationship_manager-lookup"')[1].split(">")[0]


def wrong_check_character(number: str) -> str:
    last = "0" if number[-1] != "0" else "1"
    return number[:-1] + last


# --- validators -------------------------------------------------------------------------------


@pytest.mark.parametrize("number", [RESIDENT_IDS[0], RESIDENT_IDS[1], WOMAN_1990, MAN_1985])
def test_valid_resident_ids_pass_and_come_back_compact(number):
    assert validators.validate_resident_id(f" {number[:6]} {number[6:].lower()} ") == number


@pytest.mark.parametrize(
    ("number", "code"),
    [
        (wrong_check_character(WOMAN_1990), "resident_id_checksum"),
        (WOMAN_1990[:-1], "resident_id_length"),
        ("11010519900230002" + "X", "resident_id_birth_date"),  # 30 February
        ("110105" + "20990101" + "0011", "resident_id_birth_date"),  # born in the future
        ("99" + WOMAN_1990[2:], "resident_id_province"),
        ("1101051990030702A4", "resident_id_format"),
    ],
)
def test_wrong_resident_ids_are_refused_with_the_reason(number, code):
    with pytest.raises(ValidationError) as raised:
        validators.validate_resident_id(number)
    assert raised.value.code == code


def test_resident_id_tells_birth_date_and_gender():
    assert validators.resident_id_birth_date(WOMAN_1990) == date(1990, 3, 7)
    assert validators.resident_id_gender(WOMAN_1990) == "female"
    assert validators.resident_id_gender(MAN_1985) == "male"
    validators.validate_resident_id_matches(MAN_1985, birth_date=date(1985, 11, 30), gender="male")
    with pytest.raises(ValidationError) as raised:
        validators.validate_resident_id_matches(
            MAN_1985, birth_date=date(1985, 11, 29), gender="female"
        )
    assert set(raised.value.error_dict) == {"birth_date", "gender"}


def test_unified_social_credit_codes_are_checked():
    code = a_uscc()
    assert validators.validate_uscc(code.lower()) == code
    for wrong in (wrong_check_character(code), code[:-1], "91110000600037341I"):
        with pytest.raises(ValidationError):
            validators.validate_uscc(wrong)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("13812345678", "13812345678"),
        ("+86 138 1234 5678", "13812345678"),
        ("0086-19912345678", "19912345678"),
    ],
)
def test_mainland_mobile_numbers_pass(typed, stored):
    assert validators.validate_mobile(typed) == stored


@pytest.mark.parametrize("typed", ["12812345678", "1381234567", "010-12345678", "+1 3812345678"])
def test_other_phone_numbers_are_refused(typed):
    with pytest.raises(ValidationError):
        validators.validate_mobile(typed)


def test_passport_numbers():
    assert validators.validate_passport("e12345678") == "E12345678"
    assert validators.validate_passport("EA1234567") == "EA1234567"
    for wrong in ("ABCDEFGH", "E123", "E12345678901", "E1234-5678!"):
        with pytest.raises(ValidationError):
            validators.validate_passport(wrong)


# --- creating customers -----------------------------------------------------------------------


def individual(bank, **overrides) -> dict:
    data = {
        "kind": "individual",
        "number": "AAA1001",
        "name": "AAA孙丽",
        "status": "active",
        "id_type": "resident_id",
        "id_number": WOMAN_1990,
        "phone": "+86 139 0000 2222",
        "gender": "",
        "birth_date": "",
        "occupation": "教师",
        "income_band": "",
        "address": "",
        "industry": "",
        "company_size": "",
        "legal_representative": "",
        "home_branch": bank.sub_branch.pk,
        "relationship_manager": bank[Role.RELATIONSHIP_MANAGER].pk,
    }
    data.update(overrides)
    return data


def customers_named(bank, name: str) -> list[Customer]:
    with bank.scope():
        return list(Customer.objects.filter(name=name))


def test_a_valid_individual_is_created_with_identity_protected(bank_a, client_for):
    teller = bank_a[Role.TELLER]
    response = client_for(teller).post(CREATE, individual(bank_a))
    [customer] = customers_named(bank_a, "AAA孙丽")
    assert response.status_code == 302
    assert response["Location"] == reverse("customers:detail", args=[customer.pk])
    assert customer.birth_date == date(1990, 3, 7) and customer.gender == "female"
    assert customer.id_number_masked == "110***********" + WOMAN_1990[-4:]
    assert customer.phone_masked == "139****2222"
    assert WOMAN_1990 not in customer.id_number_encrypted
    with bank_a.scope():
        assert customer.reveal("phone") == "13900002222"
        assert Customer.objects.with_phone("13900002222", tenant_id=bank_a.tenant.pk).get() == (
            customer
        )
        assignment = Assignment.objects.get(customer=customer)
    assert assignment.relationship_manager_id == bank_a[Role.RELATIONSHIP_MANAGER].pk
    assert assignment.changed_by_id == teller.pk


def test_a_wrong_check_character_is_an_error_in_the_page_language(bank_a, client_for):
    response = client_for(bank_a[Role.TELLER]).post(
        CREATE, individual(bank_a, id_number=wrong_check_character(WOMAN_1990))
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'lang="zh-hans"' in page
    assert zh("This resident ID number is wrong: its check character does not match.") in page
    assert customers_named(bank_a, "AAA孙丽") == []


def test_a_wrong_mobile_number_is_an_error(bank_a, client_for):
    response = client_for(bank_a[Role.TELLER]).post(CREATE, individual(bank_a, phone="12345"))
    assert response.status_code == 400
    assert zh("Enter a mainland mobile number: 11 digits starting with 13 to 19.") in (
        response.content.decode()
    )
    assert customers_named(bank_a, "AAA孙丽") == []


def test_birth_date_and_gender_must_match_the_resident_id(bank_a, client_for):
    response = client_for(bank_a[Role.TELLER]).post(
        CREATE, individual(bank_a, birth_date="1990-03-08", gender="male")
    )
    page = response.content.decode()
    assert zh("The birth date does not match the resident ID number.") in page
    assert zh("The gender does not match the resident ID number.") in page
    assert customers_named(bank_a, "AAA孙丽") == []


def test_an_individual_needs_an_id_or_a_phone(bank_a, client_for):
    response = client_for(bank_a[Role.TELLER]).post(
        CREATE, individual(bank_a, id_number="", phone="")
    )
    assert response.status_code == 400
    assert 'data-testid="form-errors"' in response.content.decode()
    assert customers_named(bank_a, "AAA孙丽") == []


def test_a_passport_holder_is_created(bank_a, client_for):
    client_for(bank_a[Role.TELLER]).post(
        CREATE, individual(bank_a, id_type="passport", id_number="e12345678")
    )
    [customer] = customers_named(bank_a, "AAA孙丽")
    assert customer.id_type == "passport" and customer.id_number_masked == "E12**5678"


def test_a_corporate_is_checked_for_its_credit_code(bank_a, client_for):
    client = client_for(bank_a[Role.TELLER])
    # What the page sends for a company: its document type, and no individual's fields
    # (customer_form.js disables their inputs).
    data = {
        name: value
        for name, value in individual(
            bank_a,
            kind="corporate",
            name="AAA星辰科技有限公司",
            id_type="uscc",
            id_number=wrong_check_character(a_uscc()),
            phone="",
            legal_representative="AAA周明",
            industry="软件和信息技术服务业",
            company_size="small",
        ).items()
        if name not in ("gender", "birth_date", "occupation", "income_band", "address")
    }
    response = client.post(CREATE, data)
    assert response.status_code == 400
    assert (
        zh("This unified social credit code is wrong: its check character does not match.")
        in response.content.decode()
    )
    client.post(CREATE, {**data, "id_number": a_uscc()})
    [company] = customers_named(bank_a, "AAA星辰科技有限公司")
    assert company.kind == "corporate" and company.id_type == "uscc"
    assert company.legal_representative == "AAA周明"
    assert company.occupation == "" and company.birth_date is None


def test_duplicate_id_number_shows_the_existing_customer_and_creates_nothing(bank_a, client_for):
    response = client_for(bank_a[Role.TELLER]).post(
        CREATE, individual(bank_a, id_number=RESIDENT_IDS[0], name="AAA张三二号")
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'data-testid="duplicate-customer"' in page
    assert reverse("customers:detail", args=[bank_a.customer.pk]) in page
    assert customers_named(bank_a, "AAA张三二号") == []


def test_duplicate_phone_outside_scope_is_named_without_a_link(bank_a, client_for):
    with bank_a.scope():
        other = Customer.objects.get(pk=bank_a.other_customer.pk)
        other.set_phone("13900002222")
        other.save()
    response = client_for(bank_a[Role.TELLER]).post(CREATE, individual(bank_a))
    page = response.content.decode()
    assert "AAA李四公司" in page.split('data-testid="duplicate-customer"')[1]
    assert reverse("customers:detail", args=[other.pk]) not in page
    assert customers_named(bank_a, "AAA孙丽") == []


def test_the_same_id_in_another_bank_is_not_a_duplicate(bank_a, bank_b, client_for):
    # Blind indexes are keyed per bank: bank B's customer does not block bank A's.
    CustomerFactory(home_branch=bank_b.sub_branch, name="ZZZ某某", id_number=WOMAN_1990)
    response = client_for(bank_a[Role.TELLER]).post(CREATE, individual(bank_a))
    assert response.status_code == 302
    assert "ZZZ" not in response.content.decode()
    assert len(customers_named(bank_a, "AAA孙丽")) == 1


def test_the_customer_number_is_unique_in_the_bank(bank_a, client_for):
    response = client_for(bank_a[Role.TELLER]).post(CREATE, individual(bank_a, number="AAA0002"))
    assert response.status_code == 400
    assert zh("Another customer already has this number.") in response.content.decode()


def test_branches_and_managers_out_of_scope_cannot_be_chosen(bank_a, bank_b, client_for):
    client = client_for(bank_a[Role.TELLER])
    page = client.get(CREATE).content.decode()
    branch_select = page.split('name="home_branch"')[1].split("</select>")[0]
    assert bank_a.sub_branch.name in branch_select
    assert bank_a.other_branch.name not in branch_select and "ZZZ" not in page
    for data in (
        individual(bank_a, home_branch=bank_a.other_branch.pk),
        individual(bank_a, home_branch=bank_b.sub_branch.pk),
        individual(bank_a, relationship_manager=bank_b[Role.RELATIONSHIP_MANAGER].pk),
    ):
        response = client.post(CREATE, data)
        assert response.status_code == 400
        assert "ZZZ" not in response.content.decode()
    assert customers_named(bank_a, "AAA孙丽") == []
    with platform_wide():
        assert not Customer.objects.filter(name="AAA孙丽").exists()


@pytest.mark.parametrize("manager", ["OTHER_BRANCH", "DEACTIVATED", "TELLER", "abc"])
def test_a_new_customer_goes_only_to_an_active_manager_in_scope(manager, bank_a, client_for):
    value = {
        "OTHER_BRANCH": lambda: (
            StaffFactory(branch=bank_a.other_branch, roles=[Role.RELATIONSHIP_MANAGER]).pk
        ),
        "DEACTIVATED": lambda: (
            StaffFactory(
                branch=bank_a.sub_branch, is_active=False, roles=[Role.RELATIONSHIP_MANAGER]
            ).pk
        ),
        "TELLER": lambda: bank_a[Role.TELLER].pk,
    }.get(manager, lambda: manager)()
    response = client_for(bank_a[Role.TELLER]).post(
        CREATE, individual(bank_a, relationship_manager=value)
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert zh("This relationship manager cannot be chosen here: choose one from the list.") in page
    assert lookup_is_invalid(page)
    assert manager_lookup(page) == ("", "")  # the refused manager is not kept
    assert customers_named(bank_a, "AAA孙丽") == []


@pytest.mark.parametrize("nobody", ["", "pool"])
def test_a_new_customer_of_nobody_goes_to_the_public_pool(nobody, bank_a, client_for):
    response = client_for(bank_a[Role.TELLER]).post(
        CREATE, individual(bank_a, relationship_manager=nobody)
    )
    assert response.status_code == 302
    [customer] = customers_named(bank_a, "AAA孙丽")
    assert customer.relationship_manager_id is None
    with bank_a.scope():
        assert not Assignment.objects.filter(customer=customer).exists()


def test_a_refused_customer_keeps_the_chosen_manager(bank_a, client_for):
    rm = bank_a[Role.RELATIONSHIP_MANAGER]
    response = client_for(bank_a[Role.TELLER]).post(CREATE, individual(bank_a, phone="12345"))
    assert response.status_code == 400
    assert manager_lookup(response.content.decode()) == (str(rm.pk), f"{rm.name} · AAA第一支行")
    pooled = client_for(bank_a[Role.TELLER]).post(
        CREATE, individual(bank_a, phone="12345", relationship_manager="")
    )
    assert manager_lookup(pooled.content.decode()) == ("pool", zh("Nobody (public pool)"))


def test_the_customer_form_lists_no_manager_however_many(
    bank_a, client_for, django_assert_max_num_queries
):
    client = client_for(bank_a[Role.BRANCH_MANAGER])
    options_before = client.get(CREATE).content.decode().count("<option")
    for index in range(30):
        StaffFactory(
            branch=bank_a.sub_branch, name=f"AAA经理{index:02d}", roles=[Role.RELATIONSHIP_MANAGER]
        )
    with django_assert_max_num_queries(8):
        create_page = client.get(CREATE).content.decode()
    with django_assert_max_num_queries(10):
        edit_page = client.get(edit_url(bank_a.customer)).content.decode()
    for page in (create_page, edit_page):
        assert "AAA经理" not in page
        assert page.count("<option") == options_before
        assert page.count("data-manager-lookup") == 1
    assert """hx-vals='{"purpose": "new_customer"}'""" in create_page
    assert manager_lookup(create_page) == ("pool", zh("Nobody (public pool)"))
    assert """hx-vals='{"purpose": "successor"}'""" in edit_page  # a change is a handover
    rm = bank_a[Role.RELATIONSHIP_MANAGER]
    assert manager_lookup(edit_page) == (str(rm.pk), f"{rm.name} · AAA第一支行")


def test_looking_up_the_manager_of_a_new_customer_needs_the_permission(bank_a, client_for):
    managers = reverse("customers:managers")
    query = {"q": "AAA", "purpose": "new_customer"}
    response = client_for(bank_a[Role.TELLER]).get(managers, query)
    choices = re.findall(r'data-manager-choice="([^"]*)"', response.content.decode())
    assert str(bank_a[Role.RELATIONSHIP_MANAGER].pk) in choices and choices[-1] == "pool"
    assert client_for(bank_a[Role.MARKETING_MANAGER]).get(managers, query).status_code == 403
    with platform_wide():
        assert not Customer.objects.filter(name="AAA孙丽").exists()


def test_creating_needs_the_permission(bank_a, client_for):
    response = client_for(bank_a[Role.MARKETING_MANAGER]).post(CREATE, individual(bank_a))
    assert response.status_code == 403
    assert customers_named(bank_a, "AAA孙丽") == []


def test_a_relationship_manager_starts_with_their_branch_and_themselves(bank_a, client_for):
    page = client_for(bank_a[Role.RELATIONSHIP_MANAGER]).get(CREATE).content.decode()
    rm = bank_a[Role.RELATIONSHIP_MANAGER]
    assert manager_lookup(page) == (str(rm.pk), f"{rm.name} · AAA第一支行")
    branches = page.split('name="home_branch"')[1].split("</select>")[0]
    assert f'value="{bank_a.sub_branch.pk}" selected' in branches


# --- editing customers ------------------------------------------------------------------------


def edit_url(customer) -> str:
    return reverse("customers:edit", args=[customer.pk])


def current_values(bank, customer) -> dict:
    return individual(
        bank,
        number=customer.number,
        name=customer.name,
        id_type=customer.id_type,  # what the page starts with
        id_number="",
        phone="",
        occupation="",
        relationship_manager=customer.relationship_manager_id or "",
    )


def test_editing_keeps_identity_numbers_left_empty(bank_a, client_for):
    customer = bank_a.customer
    data = current_values(bank_a, customer) | {"name": "AAA张三丰", "occupation": "律师"}
    response = client_for(bank_a[Role.TELLER]).post(edit_url(customer), data)
    assert response.status_code == 302
    with bank_a.scope():
        customer.refresh_from_db()
        assert customer.name == "AAA张三丰" and customer.occupation == "律师"
        assert customer.reveal("id_number") == RESIDENT_IDS[0]
        assert customer.reveal("phone") == "13812345678"


def test_edit_page_never_shows_identity_in_clear(bank_a, client_for):
    page = client_for(bank_a[Role.TELLER]).get(edit_url(bank_a.customer)).content.decode()
    assert RESIDENT_IDS[0] not in page and "13812345678" not in page
    assert "138****5678" in page  # in the help text: what stays if left empty


def test_editing_can_replace_the_phone(bank_a, client_for):
    data = current_values(bank_a, bank_a.customer) | {"phone": "13700001234"}
    client_for(bank_a[Role.TELLER]).post(edit_url(bank_a.customer), data)
    with bank_a.scope():
        customer = Customer.objects.get(pk=bank_a.customer.pk)
        assert customer.reveal("phone") == "13700001234"


def test_editing_to_another_customers_phone_is_refused(bank_a, client_for):
    with bank_a.scope():
        other = Customer.objects.get(pk=bank_a.other_customer.pk)
        other.set_phone("13700001234")
        other.save()
    data = current_values(bank_a, bank_a.customer) | {"phone": "13700001234"}
    response = client_for(bank_a[Role.TELLER]).post(edit_url(bank_a.customer), data)
    assert response.status_code == 400
    with bank_a.scope():
        assert Customer.objects.get(pk=bank_a.customer.pk).reveal("phone") == "13812345678"


def test_only_staff_who_hand_over_can_change_the_manager_when_editing(bank_a, client_for):
    teller_page = client_for(bank_a[Role.TELLER]).get(edit_url(bank_a.customer))
    assert 'name="relationship_manager"' not in teller_page.content.decode()
    data = current_values(bank_a, bank_a.customer) | {"relationship_manager": ""}
    client_for(bank_a[Role.TELLER]).post(edit_url(bank_a.customer), data)
    with bank_a.scope():
        assert Customer.objects.get(pk=bank_a.customer.pk).relationship_manager_id == (
            bank_a[Role.RELATIONSHIP_MANAGER].pk
        )
    client_for(bank_a[Role.BRANCH_MANAGER]).post(edit_url(bank_a.customer), data)
    with bank_a.scope():
        customer = Customer.objects.get(pk=bank_a.customer.pk)
        release = Assignment.objects.get(customer=customer)
    assert customer.relationship_manager_id is None
    assert release.kind == Assignment.Kind.RELEASE
    assert release.changed_by_id == bank_a[Role.BRANCH_MANAGER].pk


def test_editing_another_banks_or_an_out_of_scope_customer_is_not_found(bank_a, bank_b, client_for):
    client = client_for(bank_a[Role.TELLER])
    for customer in (bank_b.customer, bank_a.other_customer):
        assert client.get(edit_url(customer)).status_code == 404
        data = current_values(bank_a, customer) | {"name": "被改掉"}
        assert client.post(edit_url(customer), data).status_code == 404
    with platform_wide():
        assert not Customer.objects.filter(name="被改掉").exists()


def test_editing_keeps_a_deactivated_current_manager(bank_a, client_for):
    rm = bank_a[Role.RELATIONSHIP_MANAGER]
    with bank_a.scope():
        rm.is_active = False
        rm.save(update_fields=["is_active"])
    client = client_for(bank_a[Role.BRANCH_MANAGER])
    page = client.get(edit_url(bank_a.customer)).content.decode()
    label = zh("%(manager)s (deactivated)") % {"manager": f"{rm.name} · AAA第一支行"}
    assert manager_lookup(page) == (str(rm.pk), label)
    data = current_values(bank_a, bank_a.customer) | {"name": "AAA张三丰"}
    assert client.post(edit_url(bank_a.customer), data).status_code == 302
    with bank_a.scope():
        customer = Customer.objects.get(pk=bank_a.customer.pk)
        assert customer.name == "AAA张三丰" and customer.relationship_manager_id == rm.pk
        assert not Assignment.objects.filter(customer=customer).exists()


def test_editing_keeps_a_current_manager_now_out_of_scope(bank_a, client_for):
    elsewhere = StaffFactory(branch=bank_a.other_branch, roles=[Role.RELATIONSHIP_MANAGER])
    CustomerFactory(home_branch=bank_a.sub_branch, relationship_manager=elsewhere, number="AAA0700")
    with bank_a.scope():
        customer = Customer.objects.get(number="AAA0700")
    data = current_values(bank_a, customer) | {"name": "AAA改名"}
    response = client_for(bank_a[Role.BRANCH_MANAGER]).post(edit_url(customer), data)
    assert response.status_code == 302
    with bank_a.scope():
        assert Customer.objects.get(pk=customer.pk).relationship_manager_id == elsewhere.pk


@pytest.mark.parametrize("manager", ["DEACTIVATED", "OTHER_BRANCH"])
def test_editing_to_a_manager_not_offered_is_refused(manager, bank_a, client_for):
    branch = bank_a.other_branch if manager == "OTHER_BRANCH" else bank_a.sub_branch
    other = StaffFactory(
        branch=branch, is_active=manager != "DEACTIVATED", roles=[Role.RELATIONSHIP_MANAGER]
    )
    data = current_values(bank_a, bank_a.customer) | {"relationship_manager": other.pk}
    response = client_for(bank_a[Role.BRANCH_MANAGER]).post(edit_url(bank_a.customer), data)
    assert response.status_code == 400
    assert lookup_is_invalid(response.content.decode())
    assert (
        zh("This relationship manager cannot be chosen here: choose one from the list.")
        in response.content.decode()
    )
    with bank_a.scope():
        assert Customer.objects.get(pk=bank_a.customer.pk).relationship_manager_id == (
            bank_a[Role.RELATIONSHIP_MANAGER].pk
        )


def test_editing_can_give_the_customer_to_a_colleague_or_the_pool(bank_a, client_for):
    colleague = StaffFactory(branch=bank_a.sub_branch, roles=[Role.RELATIONSHIP_MANAGER])
    client = client_for(bank_a[Role.BRANCH_MANAGER])
    data = current_values(bank_a, bank_a.customer)
    client.post(edit_url(bank_a.customer), data | {"relationship_manager": colleague.pk})
    with bank_a.scope():
        assert Customer.objects.get(pk=bank_a.customer.pk).relationship_manager_id == colleague.pk
    client.post(edit_url(bank_a.customer), data | {"relationship_manager": "pool"})
    with bank_a.scope():
        customer = Customer.objects.get(pk=bank_a.customer.pk)
        kinds = list(
            Assignment.objects.filter(customer=customer)
            .order_by("pk")
            .values_list("kind", flat=True)
        )
    assert customer.relationship_manager_id is None
    assert kinds == [Assignment.Kind.ASSIGN, Assignment.Kind.RELEASE]
