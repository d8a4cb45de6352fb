"""Choosing a relationship manager in the list by typing (a bank has thousands of them)."""

import re

import pytest
from django.urls import reverse

from crm.tenancy.roles import Role
from customers import selectors
from tests.factories import CustomerFactory, StaffFactory
from tests.translation import zh

LIST = reverse("customers:list")
MANAGERS = reverse("customers:managers")
CHOICE = re.compile(r'data-manager-choice="([^"]*)"')


def offered(response) -> list[str]:
    """The values the lookup's fragment offers to choose, in order."""
    assert response.status_code == 200, response.content.decode()[:2000]
    return CHOICE.findall(response.content.decode())


@pytest.fixture
def managers(bank_a):
    """Relationship managers across bank A: at the sub-branch, the other branch, one gone."""
    return {
        "sub": StaffFactory(
            branch=bank_a.sub_branch,
            name="AAA王伟",
            username="aaa_wangwei",
            employee_number="E1001",
            roles=[Role.RELATIONSHIP_MANAGER],
        ),
        "other": StaffFactory(
            branch=bank_a.other_branch,
            name="AAA王芳",
            username="aaa_wangfang",
            employee_number="E2001",
            roles=[Role.RELATIONSHIP_MANAGER],
        ),
        "departed": StaffFactory(
            branch=bank_a.sub_branch,
            name="AAA王离职",
            username="aaa_gone",
            is_active=False,
            roles=[Role.RELATIONSHIP_MANAGER],
        ),
        "teller": StaffFactory(branch=bank_a.sub_branch, name="AAA王柜员", roles=[Role.TELLER]),
    }


# --- the lookup ---------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["王伟", "aaa_wangw", "AAA_WANGW", "E100", "e1001"])
def test_managers_are_found_by_name_username_or_employee_number(
    typed, bank_a, managers, client_for
):
    client = client_for(bank_a[Role.TENANT_ADMIN])
    choices = offered(client.get(MANAGERS, {"q": typed}))
    assert str(managers["sub"].pk) in choices
    assert str(managers["other"].pk) not in choices


def test_a_match_shows_who_and_where_and_the_label_to_keep(bank_a, managers, client_for):
    body = (
        client_for(bank_a[Role.TENANT_ADMIN])
        .get(MANAGERS, {"q": "E1001"}, headers={"HX-Request": "true"})
        .content.decode()
    )
    assert "AAA王伟" in body and "AAA第一支行" in body
    assert "aaa_wangwei" in body and "E1001" in body
    assert 'data-label="AAA王伟 · AAA第一支行"' in body
    assert "<html" not in body  # a fragment to put under the box


def test_managers_out_of_scope_or_of_another_bank_are_never_offered(
    bank_a, bank_b, managers, client_for
):
    branch_manager = client_for(bank_a[Role.BRANCH_MANAGER])  # the branch and its sub-branch
    choices = offered(branch_manager.get(MANAGERS, {"q": "王"}))
    assert str(managers["sub"].pk) in choices
    assert str(managers["other"].pk) not in choices
    everyone = client_for(bank_a[Role.TENANT_ADMIN]).get(MANAGERS)
    assert str(managers["other"].pk) in offered(everyone)
    assert str(bank_b[Role.RELATIONSHIP_MANAGER].pk) not in offered(everyone)
    assert "ZZZ" not in everyone.content.decode()
    assert offered(client_for(bank_a[Role.TENANT_ADMIN]).get(MANAGERS, {"q": "ZZZ"})) == ["pool"]


def test_only_relationship_managers_are_offered(bank_a, managers, client_for):
    choices = offered(client_for(bank_a[Role.TENANT_ADMIN]).get(MANAGERS, {"q": "AAA王"}))
    assert str(managers["teller"].pk) not in choices


def test_the_filter_offers_departed_managers_and_the_pool_a_handover_neither(
    bank_a, managers, client_for
):
    client = client_for(bank_a[Role.BRANCH_MANAGER])
    to_find = client.get(MANAGERS, {"q": "AAA王", "purpose": "filter"})
    assert str(managers["departed"].pk) in offered(to_find)
    assert offered(to_find)[-1] == "pool"
    to_give = client.get(MANAGERS, {"q": "AAA王", "purpose": "handover"})
    assert offered(to_give) == [str(managers["sub"].pk)]


def test_the_lookup_lists_a_screenful_and_asks_for_more_of_the_name(
    bank_a, client_for, django_assert_max_num_queries
):
    for index in range(selectors.MANAGER_MATCHES + 5):
        StaffFactory(
            branch=bank_a.sub_branch, name=f"AAA张{index:02d}", roles=[Role.RELATIONSHIP_MANAGER]
        )
    client = client_for(bank_a[Role.TENANT_ADMIN])
    with django_assert_max_num_queries(8):  # whatever the number of managers
        response = client.get(MANAGERS, {"q": "张", "purpose": "handover"})
    assert len(offered(response)) == selectors.MANAGER_MATCHES
    assert 'data-testid="more-managers"' in response.content.decode()
    narrower = client.get(MANAGERS, {"q": "AAA张2", "purpose": "handover"})
    assert len(offered(narrower)) == 5
    assert 'data-testid="more-managers"' not in narrower.content.decode()


def test_looking_up_handover_targets_needs_the_handover_permission(bank_a, managers, client_for):
    teller = client_for(bank_a[Role.TELLER])
    assert teller.get(MANAGERS, {"q": "王"}).status_code == 200  # to filter the list
    assert teller.get(MANAGERS, {"q": "王", "purpose": "handover"}).status_code == 403


@pytest.mark.parametrize("query", [{"purpose": "everyone"}, {"q": "王" * 101}])
def test_a_bad_lookup_is_refused(query, bank_a, client_for):
    assert client_for(bank_a[Role.TENANT_ADMIN]).get(MANAGERS, query).status_code == 400


def test_the_lookup_is_for_bank_staff_who_may_see_customers(bank_a, platform_admin, client_for):
    assert client_for(platform_admin).get(MANAGERS).status_code == 404


# --- the list's filter and handover form --------------------------------------------------


def test_the_list_renders_no_relationship_manager_of_the_bank(bank_a, managers, client_for):
    page = client_for(bank_a[Role.TENANT_ADMIN]).get(LIST).content.decode()
    for manager in managers.values():
        assert manager.name not in page
    assert page.count("data-manager-lookup") == 2  # the filter's and the handover's
    assert f'hx-get="{MANAGERS}"' in page


def test_the_chosen_manager_is_shown_again_after_a_reload(bank_a, managers, client_for):
    client = client_for(bank_a[Role.BRANCH_MANAGER])
    CustomerFactory(
        home_branch=bank_a.sub_branch, relationship_manager=managers["departed"], number="AAA0098"
    )
    page = client.get(LIST, {"relationship_manager": managers["departed"].pk}).content.decode()
    lookup = page.split('data-testid="customer-filter"')[1].split("</form>")[0]
    assert f'id="id_relationship_manager" value="{managers["departed"].pk}"' in lookup
    label = zh("%(manager)s (deactivated)") % {"manager": "AAA王离职 · AAA第一支行"}
    assert f'value="{label}"' in lookup
    assert re.findall(r'<tr data-customer="([^"]+)"', page) == ["AAA0098"]
    pool_page = client.get(LIST, {"relationship_manager": "pool"}).content.decode()
    assert 'id="id_relationship_manager" value="pool"' in pool_page
    assert f'value="{zh("Nobody (public pool)")}"' in pool_page


@pytest.mark.parametrize("value", ["abc", "TELLER", "OTHER", "99999999999"])
def test_a_manager_not_offered_is_a_filter_error(value, bank_a, managers, client_for):
    value = {"TELLER": managers["teller"].pk, "OTHER": managers["other"].pk}.get(value, value)
    client = client_for(bank_a[Role.BRANCH_MANAGER])
    response = client.get(LIST, {"relationship_manager": value})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'data-testid="filter-errors"' in body
    assert re.findall(r'<tr data-customer="', body) == []
    # The bad id is not kept: the next change of the filters starts from "anyone".
    assert 'id="id_relationship_manager" value=""' in body
    assert "is-invalid" in body.split('id="id_relationship_manager-lookup"')[1].split(">")[0]
