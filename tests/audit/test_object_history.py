"""One record's history (the customer page's audit panel): each change against the one before."""

import pghistory
from django.db import connection
from django.test.utils import CaptureQueriesContext

from crm.audit.selectors import EVENT_LABELS, object_history
from crm.tenancy.roles import Role
from customers.models import Customer


def label(name: str) -> str:
    return str(Customer._meta.get_field(name).verbose_name)


def test_each_change_is_compared_with_the_one_before_it(bank_a):
    customer = bank_a.customer
    manager = bank_a[Role.BRANCH_MANAGER]
    occupation_at_first = customer.occupation
    with bank_a.scope():
        customer.occupation = "教师"
        customer.save()
        with pghistory.context(username=manager.username):
            customer.home_branch = bank_a.other_branch
            customer.relationship_manager = None
            customer.save()
        customer.occupation = "医生"
        customer.save()
        # The oldest change shown is compared with the record's creation, which is not shown.
        history = object_history(Customer, customer.pk, tenant=bank_a.tenant, limit=3)

    assert [entry.action for entry in history] == [str(EVENT_LABELS["update"])] * 3
    assert history[0].changes == [(label("occupation"), "教师", "医生")]
    assert history[1].actor == manager.username
    assert history[1].changes == [
        (label("home_branch"), bank_a.sub_branch.name, bank_a.other_branch.name),
        (label("relationship_manager"), bank_a[Role.RELATIONSHIP_MANAGER].name, "—"),
    ]
    assert history[2].changes == [(label("occupation"), occupation_at_first or "—", "教师")]


def test_the_history_costs_two_queries_however_long_it_is(bank_a):
    customer = bank_a.customer
    with bank_a.scope():
        for index in range(30):
            customer.occupation = f"职业{index}"
            customer.home_branch = bank_a.other_branch if index % 2 else bank_a.sub_branch
            customer.relationship_manager = bank_a[Role.RELATIONSHIP_MANAGER] if index % 2 else None
            customer.save()
        with CaptureQueriesContext(connection) as captured:
            history = object_history(Customer, customer.pk, tenant=bank_a.tenant, limit=20)
    assert len(history) == 20
    assert len(captured.captured_queries) == 2  # the events with their predecessors; names
    assert history[0].changes == [
        (label("home_branch"), bank_a.sub_branch.name, bank_a.other_branch.name),
        (label("relationship_manager"), "—", bank_a[Role.RELATIONSHIP_MANAGER].name),
        (label("occupation"), "职业28", "职业29"),
    ]


def test_a_row_of_another_bank_is_never_named(bank_a, bank_b):
    customer = bank_a.customer
    stranger = bank_b[Role.RELATIONSHIP_MANAGER]
    occupation_at_first = customer.occupation
    with bank_a.scope():
        customer.occupation = "教师"
        customer.save()
        # The record's own constraints refuse another bank's staff member; an event written
        # by a bug or by hand could still hold one, and must not reveal their name.
        latest = Customer.pgh_event_model.objects.filter(pgh_obj_id=customer.pk).latest("pgh_id")
        Customer.pgh_event_model.objects.filter(pgh_id=latest.pgh_id).update(
            relationship_manager_id=stranger.pk
        )
        history = object_history(Customer, customer.pk, tenant=bank_a.tenant)
    assert history[0].changes == [
        (
            label("relationship_manager"),
            bank_a[Role.RELATIONSHIP_MANAGER].name,
            f"#{stranger.pk}",
        ),
        (label("occupation"), occupation_at_first or "—", "教师"),
    ]
