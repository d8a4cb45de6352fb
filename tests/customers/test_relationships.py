"""Staff add, correct and end customers' relationships on the customer page."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from crm.tenancy.roles import Role
from customers import services
from customers.models import Customer, CustomerRelationship
from tests.factories import CustomerFactory
from tests.panels import customer_page, panel_queries

CORPORATE = Customer.Kind.CORPORATE


def zh(message: str) -> str:
    with translation.override("zh-hans"):
        return gettext(message)


def detail_url(customer) -> str:
    return reverse("customers:detail", args=[customer.pk])


def add_url(customer) -> str:
    return reverse("customers:relationship_add", args=[customer.pk])


def correct_url(customer, relationship) -> str:
    return reverse("customers:relationship_correct", args=[customer.pk, relationship.pk])


def end_url(customer, relationship) -> str:
    return reverse("customers:relationship_end", args=[customer.pk, relationship.pk])


def relationships_of(bank, customer) -> list[CustomerRelationship]:
    with bank.scope():
        return list(
            CustomerRelationship.objects.of_customer(customer)
            .select_related("from_customer", "to_customer")
            .order_by("pk")
        )


def relationships_panel(client, customer) -> str:
    page = customer_page(client, detail_url(customer))
    return page.split('data-testid="relationships"')[1].split('data-testid="panel-')[0]


@pytest.fixture
def spouse(bank_a):
    return CustomerFactory(home_branch=bank_a.sub_branch, number="AAA0010", name="AAA配偶")


@pytest.fixture
def company(bank_a):
    return CustomerFactory(
        home_branch=bank_a.sub_branch, number="AAA0020", name="AAA公司", kind=CORPORATE
    )


@pytest.fixture
def recorded(bank_a, spouse):
    """bank A's customer is recorded as the spouse's parent (a mistake to correct)."""
    with bank_a.scope():
        return services.relationship_add(
            from_customer=bank_a.customer, to_customer=spouse, kind="parent"
        )


# --- adding -----------------------------------------------------------------------------------


def test_a_teller_adds_a_spouse_and_both_pages_show_it(bank_a, spouse, client_for):
    teller = client_for(bank_a[Role.TELLER])
    form = teller.get(add_url(bank_a.customer))
    assert form.status_code == 200 and 'data-testid="relationship-form"' in form.text
    response = teller.post(
        add_url(bank_a.customer), {"other": "AAA0010", "role": "spouse", "note": "AAA结婚证"}
    )
    assert response.status_code == 302
    assert response.url == detail_url(bank_a.customer) + "#panel-relationships"
    [relationship] = relationships_of(bank_a, bank_a.customer)
    assert (relationship.from_customer, relationship.to_customer) == (spouse, bank_a.customer)
    assert relationship.kind == "spouse" and relationship.note == "AAA结婚证"
    mine = relationships_panel(teller, bank_a.customer)
    theirs = relationships_panel(teller, spouse)
    assert "AAA配偶" in mine and f'href="{detail_url(spouse)}"' in mine
    assert "AAA张三" in theirs and f'href="{detail_url(bank_a.customer)}"' in theirs
    # The history trigger wrote who did it, from which page.
    with bank_a.scope():
        event = CustomerRelationship.pgh_event_model.objects.get(
            pgh_obj_id=relationship.pk, pgh_label="insert"
        )
    assert event.pgh_context["username"] == bank_a[Role.TELLER].username
    assert event.pgh_context["url"] == add_url(bank_a.customer)


def test_each_side_reads_its_own_role(bank_a, spouse, client_for):
    """On the parent's page the other customer is chosen as "Child": recorded parent → child."""
    client = client_for(bank_a[Role.RELATIONSHIP_MANAGER])
    client.post(add_url(bank_a.customer), {"other": "AAA0010", "role": "~parent"})
    [relationship] = relationships_of(bank_a, bank_a.customer)
    assert relationship.from_customer == bank_a.customer and relationship.kind == "parent"
    assert relationship.to_customer == spouse
    with translation.override("zh-hans"):
        mine = relationships_panel(client, bank_a.customer)
        theirs = relationships_panel(client, spouse)
        assert gettext("Child") in mine and gettext("Parent") in theirs


def test_the_other_customer_is_found_by_a_search_within_scope(bank_a, bank_b, spouse, client_for):
    client = client_for(bank_a[Role.TELLER])
    CustomerFactory(home_branch=bank_a.other_branch, number="AAA0030", name="AAA配偶远")
    page = client.get(add_url(bank_a.customer), {"q": "AAA配偶"}).text
    candidates = page.split('data-testid="related-candidates"')[1].split("</ul>")[0]
    assert "AAA0010" in candidates
    assert "AAA0030" not in candidates  # another branch: out of the teller's scope
    assert "AAA张三" not in candidates  # not the customer themselves
    chosen = client.get(add_url(bank_a.customer), {"other": "AAA0010"}).text
    assert 'value="AAA0010"' in chosen
    assert "ZZZ张三" not in client.get(add_url(bank_a.customer), {"q": "ZZZ"}).text


@pytest.mark.parametrize(
    ("other", "role", "field"),
    [
        ("AAA9999", "spouse", "other"),  # no such customer
        ("AAA0002", "guarantor", "other"),  # at the other branch: out of the teller's scope
        ("ZZZ0001", "spouse", "other"),  # another bank's
        ("AAA0001", "spouse", "other"),  # the customer themselves
        ("AAA0020", "spouse", "role"),  # a company is nobody's spouse
        ("AAA0020", "legal_representative", "role"),  # a company represents no person
        ("AAA0010", "wife", "role"),  # no such kind
        ("", "spouse", "other"),
    ],
)
def test_bad_input_is_refused_on_its_field_and_changes_nothing(
    other, role, field, bank_a, bank_b, spouse, company, client_for
):
    response = client_for(bank_a[Role.TELLER]).post(
        add_url(bank_a.customer), {"other": other, "role": role}
    )
    assert response.status_code == 400
    page = response.text
    assert "is-invalid" in page.split(f'name="{field}"')[1].split(">")[0]
    assert "ZZZ张三" not in page  # another bank's customer is not named
    assert relationships_of(bank_a, bank_a.customer) == []


def test_a_relationship_is_recorded_once_either_way(bank_a, spouse, client_for):
    client = client_for(bank_a[Role.TELLER])
    client.post(add_url(bank_a.customer), {"other": "AAA0010", "role": "spouse"})
    again = client.post(add_url(spouse), {"other": "AAA0001", "role": "spouse"})
    assert again.status_code == 400
    assert relationships_of(bank_a, bank_a.customer)[0].kind == "spouse"
    assert len(relationships_of(bank_a, bank_a.customer)) == 1


def test_mutual_guarantees_are_two_relationships(bank_a, spouse, client_for):
    client = client_for(bank_a[Role.TELLER])
    client.post(add_url(bank_a.customer), {"other": "AAA0010", "role": "guarantor"})
    response = client.post(add_url(bank_a.customer), {"other": "AAA0010", "role": "~guarantor"})
    assert response.status_code == 302
    assert len(relationships_of(bank_a, bank_a.customer)) == 2


# --- correcting and ending ----------------------------------------------------------------


def test_correcting_the_kind_keeps_the_relationship_and_its_history(
    bank_a, spouse, recorded, client_for
):
    client = client_for(bank_a[Role.RELATIONSHIP_MANAGER])
    form = client.get(correct_url(bank_a.customer, recorded)).text
    assert 'value="~parent" selected' in form  # read from this customer's side: "Child"
    response = client.post(correct_url(bank_a.customer, recorded), {"role": "spouse"})
    assert response.status_code == 302
    [relationship] = relationships_of(bank_a, bank_a.customer)
    assert relationship.pk == recorded.pk and relationship.kind == "spouse"
    with bank_a.scope():
        labels = list(
            CustomerRelationship.pgh_event_model.objects.filter(pgh_obj_id=recorded.pk)
            .order_by("pgh_id")
            .values_list("pgh_label", "kind")
        )
    assert labels == [("insert", "parent"), ("update", "spouse")]


def test_correcting_which_side_is_which(bank_a, spouse, recorded, client_for):
    """Recorded as the customer being the spouse's parent; it is the other way round."""
    client = client_for(bank_a[Role.TELLER])
    client.post(correct_url(bank_a.customer, recorded), {"role": "parent"})
    [relationship] = relationships_of(bank_a, bank_a.customer)
    assert (relationship.from_customer, relationship.to_customer) == (spouse, bank_a.customer)


def test_ending_keeps_the_relationship_as_history(bank_a, spouse, recorded, client_for):
    client = client_for(bank_a[Role.TELLER])
    day = timezone.localdate() - timedelta(days=30)
    response = client.post(end_url(spouse, recorded), {"ended_on": day.isoformat()})
    assert response.status_code == 302
    [relationship] = relationships_of(bank_a, bank_a.customer)
    assert relationship.ended_on == day
    panel = relationships_panel(client, bank_a.customer)
    item = panel.split(f'data-testid="relationship-{recorded.pk}"')[1].split("</li>")[0]
    assert 'data-current="no"' in panel and day.isoformat() in item
    assert 'data-testid="end-relationship"' not in item  # history is not ended again
    # Ended, it may be recorded anew beside its history.
    client.post(add_url(bank_a.customer), {"other": "AAA0010", "role": "~parent"})
    assert len(relationships_of(bank_a, bank_a.customer)) == 2
    again = client.post(end_url(bank_a.customer, recorded), {"ended_on": day.isoformat()})
    assert again.status_code == 400


@pytest.mark.parametrize("ended_on", ["", "not a date", "FUTURE", "1899-12-31"])
def test_an_end_date_must_be_a_past_day(ended_on, bank_a, recorded, client_for):
    if ended_on == "FUTURE":
        ended_on = (timezone.localdate() + timedelta(days=1)).isoformat()
    response = client_for(bank_a[Role.TELLER]).post(
        end_url(bank_a.customer, recorded), {"ended_on": ended_on}
    )
    assert response.status_code == 400
    assert "is-invalid" in response.text.split('name="ended_on"')[1].split(">")[0]
    assert relationships_of(bank_a, bank_a.customer)[0].ended_on is None


def test_a_correction_cannot_make_a_duplicate(bank_a, spouse, recorded, client_for):
    with bank_a.scope():
        services.relationship_add(from_customer=spouse, to_customer=bank_a.customer, kind="spouse")
    response = client_for(bank_a[Role.TELLER]).post(
        correct_url(bank_a.customer, recorded), {"role": "spouse"}
    )
    assert response.status_code == 400
    assert relationships_of(bank_a, bank_a.customer)[0].kind == "parent"


# --- who may ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "role", [Role.AUDITOR, Role.MARKETING_MANAGER, Role.RISK_OFFICER, Role.TENANT_ADMIN]
)
def test_roles_that_do_not_edit_customers_cannot_change_relationships(
    role, bank_a, recorded, client_for
):
    client = client_for(bank_a[role])
    day = timezone.localdate().isoformat()
    assert (
        client.post(add_url(bank_a.customer), {"other": "AAA0010", "role": "spouse"}).status_code
        == 403
    )
    assert (
        client.post(correct_url(bank_a.customer, recorded), {"role": "spouse"}).status_code == 403
    )
    assert client.post(end_url(bank_a.customer, recorded), {"ended_on": day}).status_code == 403
    panel = relationships_panel(client, bank_a.customer)
    assert 'data-testid="add-relationship"' not in panel
    assert 'data-testid="correct-relationship"' not in panel
    [relationship] = relationships_of(bank_a, bank_a.customer)
    assert relationship.kind == "parent" and relationship.ended_on is None


def test_a_relationship_is_changed_only_through_its_own_customers(
    bank_a, bank_b, recorded, client_for
):
    client = client_for(bank_a[Role.BRANCH_MANAGER])
    stranger = CustomerFactory(home_branch=bank_a.sub_branch, number="AAA0040")
    day = timezone.localdate().isoformat()
    # Not this customer's relationship; another bank's customer; out of scope: not found.
    for customer in (stranger, bank_b.customer, bank_a.other_customer):
        assert client.post(correct_url(customer, recorded), {"role": "spouse"}).status_code == 404
        assert client.post(end_url(customer, recorded), {"ended_on": day}).status_code == 404
    assert relationships_of(bank_a, bank_a.customer)[0].kind == "parent"


def test_a_relationship_with_a_customer_out_of_scope_is_shown_but_not_changed(bank_a, client_for):
    far = CustomerFactory(home_branch=bank_a.other_branch, number="AAA0050", name="AAA远方")
    with bank_a.scope():
        relationship = services.relationship_add(
            from_customer=far, to_customer=bank_a.customer, kind="guarantor"
        )
    client = client_for(bank_a[Role.TELLER])
    panel = relationships_panel(client, bank_a.customer)
    assert "AAA远方" in panel and detail_url(far) not in panel
    assert 'data-testid="end-relationship"' not in panel
    response = client.post(
        end_url(bank_a.customer, relationship), {"ended_on": timezone.localdate().isoformat()}
    )
    assert response.status_code == 400
    assert relationships_of(bank_a, bank_a.customer)[0].ended_on is None


# --- the panel's cost -----------------------------------------------------------------------


def test_the_panel_costs_two_queries_however_many_relationships(
    bank_a, client_for, django_assert_max_num_queries
):
    with bank_a.scope():
        for index in range(25):
            other = CustomerFactory(home_branch=bank_a.sub_branch, number=f"AAA07{index:02d}")
            relationship = services.relationship_add(
                from_customer=other, to_customer=bank_a.customer, kind="guarantor"
            )
            if index % 3 == 0:
                services.relationship_end(relationship=relationship, ended_on=timezone.localdate())
    client = client_for(bank_a[Role.TELLER])
    assert panel_queries(client, detail_url(bank_a.customer), "relationships") == 2
    with django_assert_max_num_queries(20):
        assert client.get(detail_url(bank_a.customer)).status_code == 200
    url = reverse("customers:panel", args=[bank_a.customer.pk, "relationships"])
    with django_assert_max_num_queries(12):
        panel = client.get(url).text
    # The 16 current ones first, then the ended ones as history, 20 in all.
    assert panel.count('data-current="yes"') == 16
    assert panel.count('data-current="no"') == 4
    assert panel.index('data-current="no"') > panel.rindex('data-current="yes"')
