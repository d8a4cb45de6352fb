"""A walk-in customer at the counter: an exact ID or mobile number finds them bank-wide.

Only a minimal card (masked name, number, home branch, manager), never their holdings, no
link into a record out of scope, and every lookup audited. Names, numbers and partial input
stay in scope, and another bank's customers are never found.
"""

from decimal import Decimal

import pytest
from django.urls import reverse

from crm.audit.models import PersonalDataAccess
from crm.tenancy.roles import Role
from tests.factories import RESIDENT_IDS, CustomerFactory, HoldingFactory, StaffFactory
from tests.translation import zh

LIST = reverse("customers:list")
WALK_IN_ID = RESIDENT_IDS[2]
WALK_IN_PHONE = "13955556666"


@pytest.fixture
def walk_in(bank_a, bank_b):
    """何秀英, a customer of the other branch looked after by its manager; and in the other
    bank someone with the same ID and phone numbers."""
    with bank_a.scope():
        manager = StaffFactory(
            tenant=bank_a.tenant,
            branch=bank_a.other_branch,
            name="赵经理",
            roles=[Role.RELATIONSHIP_MANAGER],
        )
        customer = CustomerFactory(
            home_branch=bank_a.other_branch,
            relationship_manager=manager,
            number="AAA7001",
            name="何秀英",
            id_number=WALK_IN_ID,
            phone=WALK_IN_PHONE,
        )
        HoldingFactory(customer=customer, balance=Decimal("8765432.10"))
    with bank_b.scope():
        CustomerFactory(
            home_branch=bank_b.sub_branch,
            number="ZZZ7001",
            name="ZZZ何秀英",
            id_number=WALK_IN_ID,
            phone=WALK_IN_PHONE,
        )
    return customer


def accesses(bank):
    with bank.scope():
        return list(PersonalDataAccess.objects.values_list("staff_id", "subject_id", "field"))


@pytest.mark.parametrize("typed", [WALK_IN_ID, WALK_IN_PHONE, "139 5555 6666"])
def test_an_exact_id_or_phone_shows_a_minimal_card_and_is_audited(
    typed, walk_in, bank_a, client_for
):
    teller = bank_a[Role.TELLER]  # of the sub-branch: the customer is out of her scope
    response = client_for(teller).get(LIST, {"q": typed})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="walk-in-cards"' in html
    assert 'data-walk-in="AAA7001"' in html
    assert "何*英" in html and "何秀英" not in html
    assert bank_a.other_branch.name in html and "赵经理" in html
    # No holdings or balances, no way into the record, nothing of the other bank.
    assert "8,765,432" not in html and "8765432" not in html
    assert reverse("customers:detail", args=[walk_in.pk]) not in html
    assert "ZZZ" not in html
    assert accesses(bank_a) == [(teller.pk, walk_in.pk, "walk_in_lookup")]
    # The record itself stays out of scope.
    detail = client_for(teller).get(reverse("customers:detail", args=[walk_in.pk]))
    assert detail.status_code == 404


@pytest.mark.parametrize("typed", ["何秀", "何秀英", "AAA7001", "5555"])
def test_browsing_and_partial_search_stay_in_scope(typed, walk_in, bank_a, client_for):
    response = client_for(bank_a[Role.TELLER]).get(LIST, {"q": typed})
    html = response.content.decode()
    assert 'data-testid="walk-in-cards"' not in html
    assert 'data-customer="AAA7001"' not in html and 'data-walk-in="AAA7001"' not in html
    assert accesses(bank_a) == []


def test_a_customer_in_scope_is_listed_as_usual_without_a_card(walk_in, bank_a, client_for):
    manager = bank_a[Role.AUDITOR]  # head office: the whole bank
    html = client_for(manager).get(LIST, {"q": WALK_IN_ID}).content.decode()
    assert 'data-customer="AAA7001"' in html
    assert 'data-testid="walk-in-cards"' not in html
    assert accesses(bank_a) == []


def test_the_card_links_to_a_record_in_scope_under_a_narrowing_filter(walk_in, bank_a, client_for):
    """Filtered to one branch, a customer in scope elsewhere is a card with a link."""
    auditor = bank_a[Role.AUDITOR]
    html = (
        client_for(auditor)
        .get(LIST, {"q": WALK_IN_PHONE, "branch": bank_a.sub_branch.pk})
        .content.decode()
    )
    assert 'data-walk-in="AAA7001"' in html
    assert reverse("customers:detail", args=[walk_in.pk]) in html


def test_the_lookup_shows_on_the_customers_audit_panel(walk_in, bank_a, client_for):
    client_for(bank_a[Role.TELLER]).get(LIST, {"q": WALK_IN_ID})
    panel = client_for(bank_a[Role.AUDITOR]).get(
        reverse("customers:panel", args=[walk_in.pk, "audit"])
    )
    html = panel.content.decode()
    assert zh("Walk-in lookup (minimal card)") in html
    assert bank_a[Role.TELLER].username in html
