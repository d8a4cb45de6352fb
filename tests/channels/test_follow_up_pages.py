"""The follow-up pages: the customer panel and its form, "My follow-ups" with completion in
two clicks, one follow-up, and a branch manager's team page with reassignment."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from channels.models import FollowUp, Interaction
from crm.tenancy.roles import Role
from tests.factories import StaffFactory
from tests.factories.channels import FollowUpFactory, standard_catalog


@pytest.fixture
def rm(bank_a):
    standard_catalog(bank_a.tenant)
    return bank_a[Role.RELATIONSHIP_MANAGER]


def due(**delta):
    return timezone.now() + timedelta(**delta)


def local_input(moment) -> str:
    """How the browser's picker sends a time: in the bank's time zone, to the minute."""
    return timezone.localtime(moment).strftime("%Y-%m-%dT%H:%M")


@pytest.fixture
def planned(bank_a, rm):
    with bank_a.scope():
        return {
            "overdue": FollowUpFactory(customer=bank_a.customer, due_at=due(hours=-30)),
            "upcoming": FollowUpFactory(customer=bank_a.customer, due_at=due(days=3)),
        }


def test_my_follow_ups_lists_overdue_and_upcoming(bank_a, rm, planned, client_for):
    html = client_for(rm).get(reverse("channels:follow_ups")).content.decode()
    overdue, rest = html.split('data-testid="due-today"')
    assert f'data-testid="follow-up-{planned["overdue"].pk}"' in overdue
    assert f'data-testid="follow-up-{planned["upcoming"].pk}"' in rest.split("upcoming")[-1]


def test_my_follow_ups_cost_the_same_for_many(
    bank_a, rm, client_for, django_assert_max_num_queries
):
    with bank_a.scope():
        for hours in range(1, 40):
            FollowUpFactory(customer=bank_a.customer, due_at=due(hours=hours))
    client = client_for(rm)
    client.get(reverse("channels:follow_ups"))
    with django_assert_max_num_queries(12):
        response = client.get(reverse("channels:follow_ups"))
    assert response.content.decode().count('data-testid="complete-') == 39


def test_completing_takes_the_outcome_and_logs_the_contact(bank_a, rm, planned, client_for):
    follow_up = planned["overdue"]
    response = client_for(rm).post(
        reverse("channels:follow_up_complete", args=[follow_up.pk]),
        {"outcome": "reached", "next": reverse("channels:follow_ups")},
    )
    assert response.status_code == 302 and response.url == reverse("channels:follow_ups")
    with bank_a.scope():
        stored = FollowUp.objects.get(pk=follow_up.pk)
        assert stored.status == "done" and stored.outcome == "reached"
        assert Interaction.objects.filter(pk=stored.interaction_id, customer=bank_a.customer)


def test_completing_without_an_outcome_says_so_and_changes_nothing(bank_a, rm, planned, client_for):
    follow_up = planned["overdue"]
    response = client_for(rm).post(
        reverse("channels:follow_up_complete", args=[follow_up.pk]), {"outcome": ""}
    )
    assert response.status_code == 400
    assert response.context["complete_form"].has_error("outcome")
    with bank_a.scope():
        assert FollowUp.objects.get(pk=follow_up.pk).status == "open"
        assert not Interaction.objects.exists()


def test_rescheduling_from_the_follow_up_page(bank_a, rm, planned, client_for):
    follow_up = planned["overdue"]
    response = client_for(rm).post(
        reverse("channels:follow_up_complete", args=[follow_up.pk]),
        {"outcome": "not_reached", "reschedule_to": local_input(due(days=1))},
    )
    assert response.status_code == 302
    with bank_a.scope():
        assert FollowUp.objects.open().filter(rescheduled_from=follow_up).count() == 1


def test_completing_someone_elses_follow_up_out_of_scope_is_a_404(bank_a, rm, planned, client_for):
    # A manager of another branch sees neither the customer nor the follow-up.
    outsider = StaffFactory(branch=bank_a.other_branch, roles=[Role.RELATIONSHIP_MANAGER])
    follow_up = planned["overdue"]
    client = client_for(outsider)
    assert client.get(reverse("channels:follow_up_detail", args=[follow_up.pk])).status_code == 404
    response = client.post(
        reverse("channels:follow_up_complete", args=[follow_up.pk]), {"outcome": "reached"}
    )
    assert response.status_code == 404
    with bank_a.scope():
        assert FollowUp.objects.get(pk=follow_up.pk).status == "open"


def test_a_follow_up_is_cancelled_with_a_reason(bank_a, rm, planned, client_for):
    follow_up = planned["upcoming"]
    url = reverse("channels:follow_up_cancel", args=[follow_up.pk])
    assert client_for(rm).post(url, {"reason": ""}).status_code == 400
    assert client_for(rm).post(url, {"reason": "重复"}).status_code == 302
    with bank_a.scope():
        assert FollowUp.objects.get(pk=follow_up.pk).cancel_reason == "重复"


def test_planning_from_the_customer_page(bank_a, rm, client_for, django_assert_max_num_queries):
    client = client_for(rm)
    url = reverse("channels:follow_up_new", args=[bank_a.customer.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {"purpose": "post_sale", "due_at": local_input(due(days=2)), "owner": rm.pk},
    )
    assert response.status_code == 302
    panel = reverse("customers:panel", args=[bank_a.customer.pk, "follow_ups"])
    # The request's own (session, staff, customer...); the panel's three are
    # tests/customers/test_panel_budgets.py's.
    with django_assert_max_num_queries(10):
        html = client.get(panel).content.decode()
    with bank_a.scope():
        planned = FollowUp.objects.get()
    assert planned.created_by_id == rm.pk and planned.purpose == "post_sale"
    assert f'data-testid="follow-up-{planned.pk}"' in html


def test_a_due_time_in_the_past_is_refused_on_the_form(bank_a, rm, client_for):
    response = client_for(rm).post(
        reverse("channels:follow_up_new", args=[bank_a.customer.pk]),
        {"purpose": "manual", "due_at": local_input(due(days=-1)), "owner": rm.pk},
    )
    assert response.status_code == 400
    assert response.context["form"].has_error("due_at")
    with bank_a.scope():
        assert not FollowUp.objects.exists()


def test_the_team_page_shows_figures_and_reassigns(
    bank_a, rm, planned, client_for, django_assert_max_num_queries
):
    manager = bank_a[Role.BRANCH_MANAGER]
    colleague = StaffFactory(branch=bank_a.sub_branch, roles=[Role.RELATIONSHIP_MANAGER])
    with bank_a.scope():
        FollowUpFactory(
            customer=bank_a.customer,
            due_at=due(days=-2),
            status="done",
            outcome="reached",
            completed_at=due(days=-2),
        )
    client = client_for(manager)
    client.get(reverse("channels:follow_ups_team"))
    with django_assert_max_num_queries(12):
        html = client.get(reverse("channels:follow_ups_team")).content.decode()
    member = html.split(f'data-testid="member-{rm.pk}"')[1].split("</tr>")[0]
    # Open: 2; overdue: 1; due in 30 days: the overdue one and the done one; done: 1.
    assert [cell.split(">")[-1] for cell in member.split("</td>")[1:6]] == [
        "2",
        "1",
        "2",
        "1",
        "50%",
    ]
    follow_up = planned["overdue"]
    response = client.post(
        reverse("channels:follow_up_reassign", args=[follow_up.pk]), {"to_staff": colleague.pk}
    )
    assert response.status_code == 302
    with bank_a.scope():
        assert FollowUp.objects.get(pk=follow_up.pk).owner_id == colleague.pk


def test_reassigning_to_someone_out_of_scope_is_a_404(bank_a, rm, planned, client_for, bank_b):
    follow_up = planned["overdue"]
    response = client_for(bank_a[Role.BRANCH_MANAGER]).post(
        reverse("channels:follow_up_reassign", args=[follow_up.pk]),
        {"to_staff": bank_b[Role.RELATIONSHIP_MANAGER].pk},
    )
    assert response.status_code == 404
    with bank_a.scope():
        assert FollowUp.objects.get(pk=follow_up.pk).owner_id == rm.pk


def test_relationship_managers_have_no_team_page(bank_a, rm, client_for):
    assert client_for(rm).get(reverse("channels:follow_ups_team")).status_code == 403
