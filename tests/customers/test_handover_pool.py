"""Handing customers over between relationship managers, and the public pool (公海)."""

import re

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext

from crm.tenancy.context import platform_wide
from crm.tenancy.models import Tenant
from crm.tenancy.roles import Role
from customers.models import Assignment, Customer, CustomerSettings
from tests.factories import CustomerFactory, StaffFactory
from tests.handover import book_handover_confirmed, confirmation_count
from tests.translation import zh

LIST = reverse("customers:list")
HANDOVER_SELECTED = reverse("customers:handover_selected")
BOOK_HANDOVER = reverse("customers:handover")
POOL = reverse("customers:pool")
MANAGERS = reverse("customers:managers")


def manager_of(bank, customer) -> int | None:
    with bank.scope():
        return Customer.objects.get(pk=customer.pk).relationship_manager_id


def assignments(bank, customer) -> list[Assignment]:
    with bank.scope():
        return list(Assignment.objects.filter(customer=customer).order_by("pk"))


@pytest.fixture
def colleague(bank_a):
    """A second relationship manager at the sub-branch."""
    return StaffFactory(branch=bank_a.sub_branch, name="AAA赵六", roles=[Role.RELATIONSHIP_MANAGER])


@pytest.fixture
def book(bank_a):
    """Three more customers of bank A's relationship manager, one at the other branch."""
    rm = bank_a[Role.RELATIONSHIP_MANAGER]
    return [
        CustomerFactory(home_branch=bank_a.sub_branch, relationship_manager=rm, number="AAA0101"),
        CustomerFactory(home_branch=bank_a.branch, relationship_manager=rm, number="AAA0102"),
        CustomerFactory(home_branch=bank_a.other_branch, relationship_manager=rm, number="AAA0103"),
    ]


# --- handing over the customers ticked in the list --------------------------------------------


def test_the_list_offers_handover_only_to_staff_who_may_hand_over(bank_a, colleague, client_for):
    manager = client_for(bank_a[Role.BRANCH_MANAGER])
    manager_page = manager.get(LIST).content.decode()
    assert 'data-testid="handover-selected"' in manager_page
    assert 'name="customer" value="' in manager_page
    # Managers are looked up as one types, not listed in the page.
    handover_form = manager_page.split('data-testid="handover-selected"')[1]
    assert """hx-vals='{"purpose": "handover"}'""" in handover_form
    assert "AAA赵六" not in manager_page
    targets = manager.get(MANAGERS, {"q": "赵", "purpose": "handover"}).content.decode()
    assert "AAA赵六" in targets
    teller = client_for(bank_a[Role.TELLER])
    teller_page = teller.get(LIST).content.decode()
    assert 'data-testid="handover-selected"' not in teller_page
    assert 'name="customer"' not in teller_page
    assert teller.get(MANAGERS, {"q": "赵", "purpose": "handover"}).status_code == 403


def test_ticked_customers_are_handed_over_with_the_reason(bank_a, book, colleague, client_for):
    manager = bank_a[Role.BRANCH_MANAGER]
    ticked = [bank_a.customer, book[0], book[1]]
    response = client_for(manager).post(
        HANDOVER_SELECTED,
        {
            "customer": [c.pk for c in ticked],
            "relationship_manager": colleague.pk,
            "reason": "AAA客户经理调岗",
        },
        headers={"referer": f"http://testserver{LIST}?tier=mvc&sort=name"},
    )
    assert response.status_code == 302
    assert response["Location"] == f"{LIST}?tier=mvc&sort=name"  # back to the same list
    for customer in ticked:
        assert manager_of(bank_a, customer) == colleague.pk
        [handover] = assignments(bank_a, customer)
        assert handover.kind == Assignment.Kind.HANDOVER
        assert handover.reason == "AAA客户经理调岗"
        assert handover.previous_manager_id == bank_a[Role.RELATIONSHIP_MANAGER].pk
        assert handover.changed_by_id == manager.pk
    assert manager_of(bank_a, book[2]) == bank_a[Role.RELATIONSHIP_MANAGER].pk


def test_a_handover_without_reason_changes_nothing(bank_a, colleague, client_for):
    client = client_for(bank_a[Role.BRANCH_MANAGER])
    response = client.post(
        HANDOVER_SELECTED,
        {"customer": [bank_a.customer.pk], "relationship_manager": colleague.pk, "reason": ""},
        follow=True,
    )
    assert zh("Give a reason for the handover.") in response.content.decode()
    assert manager_of(bank_a, bank_a.customer) == bank_a[Role.RELATIONSHIP_MANAGER].pk
    assert assignments(bank_a, bank_a.customer) == []


@pytest.mark.parametrize("role", [Role.RELATIONSHIP_MANAGER, Role.TELLER, Role.AUDITOR])
def test_handing_over_needs_the_permission(role, bank_a, colleague, client_for):
    response = client_for(bank_a[role]).post(
        HANDOVER_SELECTED,
        {"customer": [bank_a.customer.pk], "relationship_manager": colleague.pk, "reason": "x"},
    )
    assert response.status_code == 403
    assert manager_of(bank_a, bank_a.customer) == bank_a[Role.RELATIONSHIP_MANAGER].pk


def test_customers_out_of_scope_or_of_another_bank_cannot_be_handed_over(
    bank_a, bank_b, colleague, client_for
):
    client = client_for(bank_a[Role.BRANCH_MANAGER])
    for outsider in (bank_a.other_customer, bank_b.customer):
        response = client.post(
            HANDOVER_SELECTED,
            {
                "customer": [bank_a.customer.pk, outsider.pk],
                "relationship_manager": colleague.pk,
                "reason": "越权",
            },
        )
        assert response.status_code == 404
    assert manager_of(bank_a, bank_a.customer) == bank_a[Role.RELATIONSHIP_MANAGER].pk
    assert manager_of(bank_a, bank_a.other_customer) is None
    assert manager_of(bank_b, bank_b.customer) == bank_b[Role.RELATIONSHIP_MANAGER].pk


def test_customers_cannot_be_handed_to_another_banks_manager(bank_a, bank_b, client_for):
    response = client_for(bank_a[Role.BRANCH_MANAGER]).post(
        HANDOVER_SELECTED,
        {
            "customer": [bank_a.customer.pk],
            "relationship_manager": bank_b[Role.RELATIONSHIP_MANAGER].pk,
            "reason": "越权",
        },
    )
    assert response.status_code == 404
    assert manager_of(bank_a, bank_a.customer) == bank_a[Role.RELATIONSHIP_MANAGER].pk


# --- handing over a whole book ----------------------------------------------------------------


def test_a_whole_book_moves_to_a_colleague_within_the_managers_scope(
    bank_a, book, colleague, client_for
):
    manager = bank_a[Role.BRANCH_MANAGER]
    rm = bank_a[Role.RELATIONSHIP_MANAGER]
    response = book_handover_confirmed(
        client_for(manager),
        {"from_manager": rm.pk, "to_manager": colleague.pk, "reason": "AAA离职交接"},
        follow=True,
    )
    assert response.status_code == 200
    moved = [bank_a.customer, book[0], book[1]]
    for customer in moved:
        assert manager_of(bank_a, customer) == colleague.pk
        assert assignments(bank_a, customer)[-1].reason == "AAA离职交接"
    # The branch manager does not see the other branch: that customer stays.
    assert manager_of(bank_a, book[2]) == rm.pk
    assert "3" in response.content.decode().split('role="alert"')[1].split("</div>")[0]


def test_head_office_moves_a_book_to_the_pool(bank_a, book, client_for):
    rm = bank_a[Role.RELATIONSHIP_MANAGER]
    book_handover_confirmed(
        client_for(bank_a[Role.TENANT_ADMIN]),
        {"from_manager": rm.pk, "to_manager": "", "reason": "AAA离职"},
    )
    for customer in [bank_a.customer, *book]:
        assert manager_of(bank_a, customer) is None
        assert assignments(bank_a, customer)[-1].kind == Assignment.Kind.RELEASE


@pytest.mark.parametrize("target", ["", "pool", "COLLEAGUE"])
def test_a_whole_book_handover_says_how_many_move_to_whom_and_asks_once(
    target, bank_a, book, colleague, client_for
):
    rm = bank_a[Role.RELATIONSHIP_MANAGER]
    client = client_for(bank_a[Role.BRANCH_MANAGER])
    data = {
        "from_manager": rm.pk,
        "to_manager": colleague.pk if target == "COLLEAGUE" else target,
        "reason": "AAA离职",
    }
    with translation.override("zh-hans"):
        asked = client.post(BOOK_HANDOVER, data, HTTP_ACCEPT_LANGUAGE="zh-hans")
    # The branch manager sees three of the four customers: three move, and nothing yet.
    assert confirmation_count(asked) == 3
    summary = asked.content.decode().split('data-testid="handover-summary"')[1].split("</p>")[0]
    assert "3" in summary and rm.name in summary
    if target == "COLLEAGUE":
        assert "AAA赵六" in summary
    else:
        assert zh("public pool") in summary or "公海" in summary
    assert manager_of(bank_a, bank_a.customer) == rm.pk
    assert assignments(bank_a, bank_a.customer) == []

    client.post(BOOK_HANDOVER, {**data, "confirmed_count": 3})
    expected = colleague.pk if target == "COLLEAGUE" else None
    for customer in [bank_a.customer, book[0], book[1]]:
        assert manager_of(bank_a, customer) == expected
    assert manager_of(bank_a, book[2]) == rm.pk  # out of the branch manager's scope


def test_a_book_that_changed_since_the_count_is_shown_again_not_moved(
    bank_a, book, colleague, client_for
):
    rm = bank_a[Role.RELATIONSHIP_MANAGER]
    client = client_for(bank_a[Role.BRANCH_MANAGER])
    data = {"from_manager": rm.pk, "to_manager": "", "reason": "AAA离职"}
    assert confirmation_count(client.post(BOOK_HANDOVER, data)) == 3
    CustomerFactory(home_branch=bank_a.sub_branch, relationship_manager=rm, number="AAA0104")
    again = client.post(BOOK_HANDOVER, {**data, "confirmed_count": 3})
    assert confirmation_count(again) == 4
    assert 'data-testid="handover-count-changed"' in again.content.decode()
    assert manager_of(bank_a, bank_a.customer) == rm.pk


def test_changing_a_book_handover_goes_back_to_the_filled_form(bank_a, colleague, client_for):
    rm = bank_a[Role.RELATIONSHIP_MANAGER]
    client = client_for(bank_a[Role.BRANCH_MANAGER])
    data = {"from_manager": rm.pk, "to_manager": colleague.pk, "reason": "AAA离职"}
    page = client.post(BOOK_HANDOVER, {**data, "confirmed_count": 1, "change": "1"})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="book-handover-form"' in html and "AAA离职" in html
    assert lookup_of(html, "to_manager")[0] == str(colleague.pk)
    assert manager_of(bank_a, bank_a.customer) == rm.pk


def test_an_empty_book_is_refused_before_any_confirmation(bank_a, colleague, client_for):
    client = client_for(bank_a[Role.BRANCH_MANAGER])
    response = client.post(
        BOOK_HANDOVER, {"from_manager": colleague.pk, "to_manager": "", "reason": "x"}
    )
    assert response.status_code == 400
    assert 'name="confirmed_count" value=' not in response.content.decode()


def test_a_book_cannot_go_to_the_same_manager_or_without_reason(bank_a, client_for):
    rm = bank_a[Role.RELATIONSHIP_MANAGER]
    client = client_for(bank_a[Role.BRANCH_MANAGER])
    same = client.post(BOOK_HANDOVER, {"from_manager": rm.pk, "to_manager": rm.pk, "reason": "x"})
    assert same.status_code == 400
    assert zh("Choose a different relationship manager.") in same.content.decode()
    silent = client.post(BOOK_HANDOVER, {"from_manager": rm.pk, "to_manager": "", "reason": ""})
    assert silent.status_code == 400
    assert manager_of(bank_a, bank_a.customer) == rm.pk


def test_book_handover_page_needs_the_permission(bank_a, client_for):
    assert client_for(bank_a[Role.TELLER]).get(BOOK_HANDOVER).status_code == 403
    response = client_for(bank_a[Role.RELATIONSHIP_MANAGER]).post(
        BOOK_HANDOVER,
        {"from_manager": bank_a[Role.RELATIONSHIP_MANAGER].pk, "to_manager": "", "reason": "x"},
    )
    assert response.status_code == 403
    assert manager_of(bank_a, bank_a.customer) == bank_a[Role.RELATIONSHIP_MANAGER].pk


def test_book_handover_with_another_banks_managers_is_not_found(
    bank_a, bank_b, colleague, client_for
):
    client = client_for(bank_a[Role.TENANT_ADMIN])
    foreign_rm = bank_b[Role.RELATIONSHIP_MANAGER]
    for data in (
        {"from_manager": foreign_rm.pk, "to_manager": colleague.pk, "reason": "越权"},
        {
            "from_manager": bank_a[Role.RELATIONSHIP_MANAGER].pk,
            "to_manager": foreign_rm.pk,
            "reason": "越权",
        },
    ):
        response = client.post(BOOK_HANDOVER, data)
        assert response.status_code == 404
        assert "ZZZ" not in response.content.decode()
    assert manager_of(bank_b, bank_b.customer) == foreign_rm.pk
    assert manager_of(bank_a, bank_a.customer) == bank_a[Role.RELATIONSHIP_MANAGER].pk


def lookup_of(page: str, name: str) -> tuple[str, str]:
    """The value and the label a manager lookup of the page shows for the field ``name``."""
    value = re.search(rf'name="{name}" id="id_{name}" value="([^"]*)"', page)
    label = re.search(rf'id="id_{name}-lookup"[^>]*?value="([^"]*)"', page, re.S)
    assert value and label, f"no manager lookup for {name}"
    return value.group(1), label.group(1)


def test_the_book_handover_page_lists_no_manager_however_many(
    bank_a, client_for, django_assert_max_num_queries
):
    for index in range(30):
        StaffFactory(
            branch=bank_a.sub_branch, name=f"AAA经理{index:02d}", roles=[Role.RELATIONSHIP_MANAGER]
        )
    client = client_for(bank_a[Role.TENANT_ADMIN])
    with django_assert_max_num_queries(6):
        page = client.get(BOOK_HANDOVER).content.decode()
    assert "AAA经理" not in page and bank_a[Role.RELATIONSHIP_MANAGER].name not in page
    assert "<option" not in page
    assert """hx-vals='{"purpose": "departing"}'""" in page
    assert """hx-vals='{"purpose": "successor"}'""" in page
    # Nobody is chosen to hand over; the book goes to the pool unless someone is chosen.
    assert lookup_of(page, "from_manager") == ("", "")
    assert lookup_of(page, "to_manager") == ("pool", zh("Nobody (public pool)"))


def test_book_handover_looks_up_only_managers_in_scope(bank_a, bank_b, colleague, client_for):
    outsider = StaffFactory(
        branch=bank_a.other_branch, name="AAA外行经理", roles=[Role.RELATIONSHIP_MANAGER]
    )
    departed = StaffFactory(
        branch=bank_a.sub_branch,
        name="AAA离职经理",
        is_active=False,
        roles=[Role.RELATIONSHIP_MANAGER],
    )
    client = client_for(bank_a[Role.BRANCH_MANAGER])
    rm = bank_a[Role.RELATIONSHIP_MANAGER]

    def offered(purpose: str) -> list[str]:
        response = client.get(MANAGERS, {"purpose": purpose})
        assert response.status_code == 200
        assert "ZZZ" not in response.content.decode()
        return re.findall(r'data-manager-choice="([^"]*)"', response.content.decode())

    departing = offered("departing")  # a departing manager may be deactivated already
    assert {str(rm.pk), str(colleague.pk), str(departed.pk)} <= set(departing)
    assert str(outsider.pk) not in departing and "pool" not in departing
    successor = offered("successor")  # only active managers take a book over
    assert {str(rm.pk), str(colleague.pk)} <= set(successor) and successor[-1] == "pool"
    assert str(departed.pk) not in successor and str(outsider.pk) not in successor


@pytest.mark.parametrize("purpose", ["departing", "successor"])
def test_looking_up_managers_for_a_book_handover_needs_the_permission(purpose, bank_a, client_for):
    for role in (Role.TELLER, Role.RELATIONSHIP_MANAGER, Role.AUDITOR):
        assert client_for(bank_a[role]).get(MANAGERS, {"purpose": purpose}).status_code == 403
    assert (
        client_for(bank_a[Role.BRANCH_MANAGER]).get(MANAGERS, {"purpose": purpose}).status_code
        == 200
    )


def test_a_deactivated_managers_book_goes_to_a_colleague(bank_a, book, colleague, client_for):
    rm = bank_a[Role.RELATIONSHIP_MANAGER]
    with bank_a.scope():
        rm.is_active = False
        rm.save(update_fields=["is_active"])
    response = book_handover_confirmed(
        client_for(bank_a[Role.TENANT_ADMIN]),
        {"from_manager": rm.pk, "to_manager": colleague.pk, "reason": "AAA离职"},
    )
    assert response.status_code == 302
    for customer in [bank_a.customer, *book]:
        assert manager_of(bank_a, customer) == colleague.pk


def test_the_pool_choice_moves_a_book_to_the_pool(bank_a, book, client_for):
    rm = bank_a[Role.RELATIONSHIP_MANAGER]
    response = book_handover_confirmed(
        client_for(bank_a[Role.BRANCH_MANAGER]),
        {"from_manager": rm.pk, "to_manager": "pool", "reason": "AAA离职"},
    )
    assert response.status_code == 302
    for customer in [bank_a.customer, book[0], book[1]]:
        assert manager_of(bank_a, customer) is None
        assert assignments(bank_a, customer)[-1].kind == Assignment.Kind.RELEASE


@pytest.mark.parametrize(
    ("source", "target"),
    [
        ("OUTSIDER", "RM"),  # a manager of a branch outside the branch manager's scope
        ("RM", "OUTSIDER"),
        ("RM", "DEPARTED"),  # a book is never given to a deactivated manager
        ("POOL", "COLLEAGUE"),  # the pool has no book to hand over
        ("abc", "COLLEAGUE"),
    ],
)
def test_book_handover_to_or_from_a_manager_not_offered_is_not_found(
    source, target, bank_a, colleague, client_for
):
    values = {
        "RM": bank_a[Role.RELATIONSHIP_MANAGER].pk,
        "COLLEAGUE": colleague.pk,
        "POOL": "pool",
        "OUTSIDER": StaffFactory(branch=bank_a.other_branch, roles=[Role.RELATIONSHIP_MANAGER]).pk,
        "DEPARTED": StaffFactory(
            branch=bank_a.sub_branch, is_active=False, roles=[Role.RELATIONSHIP_MANAGER]
        ).pk,
    }
    response = client_for(bank_a[Role.BRANCH_MANAGER]).post(
        BOOK_HANDOVER,
        {"from_manager": values.get(source, source), "to_manager": values[target], "reason": "x"},
    )
    assert response.status_code == 404
    assert manager_of(bank_a, bank_a.customer) == bank_a[Role.RELATIONSHIP_MANAGER].pk


def test_a_refused_book_handover_shows_the_chosen_managers_again(bank_a, colleague, client_for):
    rm = bank_a[Role.RELATIONSHIP_MANAGER]
    client = client_for(bank_a[Role.BRANCH_MANAGER])
    without_reason = client.post(
        BOOK_HANDOVER, {"from_manager": rm.pk, "to_manager": colleague.pk, "reason": ""}
    ).content.decode()
    assert lookup_of(without_reason, "from_manager") == (
        str(rm.pk),
        escape(f"{rm.name} · AAA第一支行"),
    )
    assert lookup_of(without_reason, "to_manager") == (str(colleague.pk), "AAA赵六 · AAA第一支行")
    to_the_pool = client.post(
        BOOK_HANDOVER, {"from_manager": rm.pk, "to_manager": "", "reason": ""}
    ).content.decode()
    assert lookup_of(to_the_pool, "to_manager") == ("pool", zh("Nobody (public pool)"))
    same = client.post(BOOK_HANDOVER, {"from_manager": rm.pk, "to_manager": rm.pk, "reason": "x"})
    assert same.status_code == 400
    page = same.content.decode()
    assert lookup_of(page, "to_manager")[0] == str(rm.pk)  # shown again, to be changed
    assert "is-invalid" in page.split('id="id_to_manager-lookup"')[1].split(">")[0]
    assert "is-invalid" not in page.split('id="id_from_manager-lookup"')[1].split(">")[0]
    assert manager_of(bank_a, bank_a.customer) == rm.pk


def test_a_book_handover_without_a_departing_manager_is_refused(bank_a, client_for):
    response = client_for(bank_a[Role.BRANCH_MANAGER]).post(
        BOOK_HANDOVER, {"from_manager": "", "to_manager": "", "reason": "x"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "is-invalid" in page.split('id="id_from_manager-lookup"')[1].split(">")[0]
    assert manager_of(bank_a, bank_a.customer) == bank_a[Role.RELATIONSHIP_MANAGER].pk


# --- the public pool --------------------------------------------------------------------------


@pytest.fixture
def pooled(bank_a):
    """Pool customers: two at the sub-branch, one at the other branch, one closed."""
    return {
        "mine": CustomerFactory(home_branch=bank_a.sub_branch, number="AAA0201", name="AAA池一"),
        "also_mine": CustomerFactory(
            home_branch=bank_a.sub_branch, number="AAA0202", name="AAA池二"
        ),
        "elsewhere": CustomerFactory(
            home_branch=bank_a.other_branch, number="AAA0203", name="AAA池三"
        ),
        "closed": CustomerFactory(
            home_branch=bank_a.sub_branch,
            number="AAA0204",
            name="AAA池四",
            status=Customer.Status.CLOSED,
        ),
    }


def pool_numbers(response) -> list[str]:
    assert response.status_code == 200
    return sorted(re.findall(r'<tr data-customer="([^"]+)"', response.content.decode()))


def test_pool_shows_unassigned_active_customers_of_my_branches(bank_a, bank_b, pooled, client_for):
    response = client_for(bank_a[Role.RELATIONSHIP_MANAGER]).get(POOL)
    assert pool_numbers(response) == ["AAA0201", "AAA0202"]
    assert "ZZZ" not in response.content.decode()


def test_relationship_managers_limited_to_their_book_still_see_the_pool(bank_a, pooled, client_for):
    with platform_wide():
        Tenant.objects.filter(pk=bank_a.tenant.pk).update(rm_scope=Tenant.RmScope.OWN_BOOK)
    response = client_for(bank_a[Role.RELATIONSHIP_MANAGER]).get(POOL)
    assert pool_numbers(response) == ["AAA0201", "AAA0202"]
    # ...but not the pool customers' pages: their names are no links to a 404.
    row = pool_row(response, "AAA0201")
    assert "AAA池一" in row and detail_url(pooled["mine"]) not in row
    assert (
        client_for(bank_a[Role.RELATIONSHIP_MANAGER]).get(detail_url(pooled["mine"])).status_code
        == 404
    )


def detail_url(customer) -> str:
    return reverse("customers:detail", args=[customer.pk])


def pool_row(response, number: str) -> str:
    return response.content.decode().split(f'<tr data-customer="{number}">')[1].split("</tr>")[0]


def test_pool_rows_link_to_the_customer_page(bank_a, pooled, client_for):
    client = client_for(bank_a[Role.RELATIONSHIP_MANAGER])
    response = client.get(POOL)
    for key, number in (("mine", "AAA0201"), ("also_mine", "AAA0202")):
        row = pool_row(response, number)
        assert f'<a href="{detail_url(pooled[key])}">' in row
        assert client.get(detail_url(pooled[key])).status_code == 200


def test_claiming_takes_the_customer_into_my_book(bank_a, pooled, client_for):
    rm = bank_a[Role.RELATIONSHIP_MANAGER]
    customer = pooled["mine"]
    response = client_for(rm).post(reverse("customers:claim", args=[customer.pk]), follow=True)
    assert response.status_code == 200
    assert manager_of(bank_a, customer) == rm.pk
    [claim] = assignments(bank_a, customer)
    assert claim.kind == Assignment.Kind.CLAIM and claim.changed_by_id == rm.pk
    assert "AAA0201" not in pool_numbers(response)


def test_claims_stop_at_the_monthly_limit(bank_a, pooled, client_for):
    with bank_a.scope():
        CustomerSettings.objects.create(tenant=bank_a.tenant, pool_claim_limit=1)
    client = client_for(bank_a[Role.RELATIONSHIP_MANAGER])
    client.post(reverse("customers:claim", args=[pooled["mine"].pk]))
    response = client.post(reverse("customers:claim", args=[pooled["also_mine"].pk]), follow=True)
    with translation.override("zh-hans"):
        refusal = gettext(
            "You have reached this month's limit of %(limit)d customers from the pool."
        ) % {"limit": 1}
    assert escape(refusal) in response.content.decode()
    assert manager_of(bank_a, pooled["also_mine"]) is None
    assert assignments(bank_a, pooled["also_mine"]) == []


def test_a_customer_already_taken_is_not_claimed_again(bank_a, pooled, colleague, client_for):
    client_for(colleague).post(reverse("customers:claim", args=[pooled["mine"].pk]))
    response = client_for(bank_a[Role.RELATIONSHIP_MANAGER]).post(
        reverse("customers:claim", args=[pooled["mine"].pk]), follow=True
    )
    assert zh("This customer is no longer in the pool.") in response.content.decode()
    assert manager_of(bank_a, pooled["mine"]) == colleague.pk


def test_claims_out_of_scope_or_of_another_bank_are_not_found(bank_a, bank_b, pooled, client_for):
    client = client_for(bank_a[Role.RELATIONSHIP_MANAGER])
    for customer in (pooled["elsewhere"], bank_b.other_customer):
        assert client.post(reverse("customers:claim", args=[customer.pk])).status_code == 404
    assert manager_of(bank_a, pooled["elsewhere"]) is None
    assert manager_of(bank_b, bank_b.other_customer) is None
    with platform_wide():
        assert not Assignment.objects.filter(kind=Assignment.Kind.CLAIM).exists()


def test_pool_and_claims_need_the_permission(bank_a, pooled, client_for):
    teller = client_for(bank_a[Role.TELLER])
    assert teller.get(POOL).status_code == 403
    assert teller.post(reverse("customers:claim", args=[pooled["mine"].pk])).status_code == 403
    assert manager_of(bank_a, pooled["mine"]) is None


def test_pool_search_and_htmx_results(bank_a, pooled, client_for):
    client = client_for(bank_a[Role.RELATIONSHIP_MANAGER])
    assert pool_numbers(client.get(POOL, {"q": "AAA池二"})) == ["AAA0202"]
    fragment = client.get(POOL, {"q": "AAA0201"}, headers={"HX-Request": "true"})
    assert fragment.content.decode().lstrip().startswith('<div id="pool-results"')
    assert pool_numbers(fragment) == ["AAA0201"]
