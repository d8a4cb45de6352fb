"""Follow-ups: planned, made (the contact on the timeline), rescheduled, cancelled, reassigned,
and moved with a relationship manager's book."""

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from channels import follow_ups
from channels.models import FollowUp, Interaction
from crm.domain import DomainError
from crm.tenancy.roles import Role
from customers import services as customer_services
from tests.factories import CustomerFactory, StaffFactory
from tests.factories.channels import FollowUpFactory, standard_catalog


@pytest.fixture
def catalog(bank_a):
    return standard_catalog(bank_a.tenant)


@pytest.fixture
def rm(bank_a):
    return bank_a[Role.RELATIONSHIP_MANAGER]


def soon(**delta):
    return timezone.now() + timedelta(**(delta or {"days": 1}))


def test_a_follow_up_is_planned_for_the_customer(bank_a, rm, catalog):
    with bank_a.scope():
        follow_up = follow_ups.follow_up_create(
            customer=bank_a.customer,
            owner=rm,
            due_at=soon(),
            purpose=FollowUp.Purpose.POST_SALE,
            actor=rm,
            preferred_channel=catalog["channels"]["PHONE"],
            notes="理财到账确认",
        )
        stored = FollowUp.objects.get(pk=follow_up.pk)
    assert stored.status == FollowUp.Status.OPEN
    assert (stored.owner_id, stored.created_by_id, stored.source) == (rm.pk, rm.pk, "manual")
    assert not stored.is_overdue


def test_a_due_time_in_the_past_is_refused_and_nothing_is_written(bank_a, rm):
    with bank_a.scope(), pytest.raises(DomainError) as refused:
        follow_ups.follow_up_create(
            customer=bank_a.customer, owner=rm, due_at=timezone.now() - timedelta(hours=2)
        )
    assert refused.value.field == "due_at"
    with bank_a.scope():
        assert not FollowUp.objects.exists()


def test_an_owner_who_cannot_see_the_customer_is_refused(bank_a):
    # A relationship manager of another branch does not serve a sub-branch's customer.
    stranger = StaffFactory(branch=bank_a.other_branch, roles=[Role.RELATIONSHIP_MANAGER])
    with bank_a.scope(), pytest.raises(DomainError) as refused:
        follow_ups.follow_up_create(customer=bank_a.customer, owner=stranger, due_at=soon())
    assert refused.value.field == "owner"


def test_a_rule_run_twice_for_a_period_creates_one_follow_up(bank_a, rm):
    arguments = {
        "customer": bank_a.customer,
        "owner": rm,
        "due_at": soon(),
        "purpose": FollowUp.Purpose.BIRTHDAY,
        "source": "channels.birthday",
        "period": "2026",
    }
    with bank_a.scope():
        first = follow_ups.follow_up_create(**arguments)
        second = follow_ups.follow_up_create(**arguments)
        assert first.pk == second.pk
        assert FollowUp.objects.count() == 1


def test_completing_logs_the_contact_on_the_customers_timeline(bank_a, rm, catalog):
    with bank_a.scope():
        follow_up = FollowUpFactory(customer=bank_a.customer, notes="到期提醒")
        done = follow_ups.follow_up_complete(
            follow_up=follow_up, outcome=FollowUp.Outcome.REACHED, actor=rm, notes="客户续存"
        )
        contact = Interaction.objects.get(customer=bank_a.customer)
    assert done.status == FollowUp.Status.DONE and done.interaction_id == contact.pk
    assert done.completed_by_id == rm.pk and done.completed_at == contact.occurred_at
    # No channel planned: the contact was a phone call, an outbound callback by the RM.
    assert contact.channel_id == catalog["channels"]["PHONE"].pk
    assert (contact.kind, contact.direction, contact.staff_id) == ("callback", "outbound", rm.pk)
    assert "客户续存" in contact.summary and contact.outcome == str(FollowUp.Outcome.REACHED.label)


def test_when_the_contact_cannot_be_logged_nothing_is_completed(bank_a, rm, catalog):
    with bank_a.scope():
        follow_up = FollowUpFactory(customer=bank_a.customer)
        with (
            mock.patch(
                "channels.services._create_interaction", side_effect=RuntimeError("database")
            ),
            pytest.raises(RuntimeError),
        ):
            follow_ups.follow_up_complete(
                follow_up=follow_up, outcome=FollowUp.Outcome.REACHED, actor=rm
            )
        stored = FollowUp.objects.get(pk=follow_up.pk)
        assert stored.status == FollowUp.Status.OPEN and stored.interaction is None
        assert not Interaction.objects.exists()


def test_a_customer_not_reached_is_called_again_later(bank_a, rm, catalog):
    later = soon(days=2)
    with bank_a.scope():
        follow_up = FollowUpFactory(customer=bank_a.customer, purpose=FollowUp.Purpose.MATURITY)
        follow_ups.follow_up_complete(
            follow_up=follow_up,
            outcome=FollowUp.Outcome.NOT_REACHED,
            actor=rm,
            reschedule_to=later,
        )
        next_one = FollowUp.objects.open().get()
    assert next_one.pk != follow_up.pk and next_one.rescheduled_from_id == follow_up.pk
    assert (next_one.due_at, next_one.owner_id, next_one.purpose) == (later, rm.pk, "maturity")


@pytest.mark.parametrize(
    ("outcome", "when"),
    [
        (FollowUp.Outcome.REACHED, {"days": 2}),  # reached: nothing to try again
        (FollowUp.Outcome.NOT_REACHED, {"hours": -3}),  # again, but in the past
    ],
)
def test_a_wrong_reschedule_is_refused_and_nothing_changes(bank_a, rm, catalog, outcome, when):
    with bank_a.scope():
        follow_up = FollowUpFactory(customer=bank_a.customer)
        with pytest.raises(DomainError) as refused:
            follow_ups.follow_up_complete(
                follow_up=follow_up, outcome=outcome, actor=rm, reschedule_to=soon(**when)
            )
        assert refused.value.field == "reschedule_to"
        assert FollowUp.objects.get().status == FollowUp.Status.OPEN
        assert not Interaction.objects.exists()


def test_a_follow_up_is_completed_once(bank_a, rm, catalog):
    with bank_a.scope():
        follow_up = FollowUpFactory(customer=bank_a.customer)
        follow_ups.follow_up_complete(follow_up=follow_up, outcome="reached", actor=rm)
        with pytest.raises(DomainError):
            follow_ups.follow_up_complete(follow_up=follow_up, outcome="declined", actor=rm)
        assert Interaction.objects.count() == 1


def test_a_cancelled_follow_up_keeps_its_reason(bank_a, rm):
    with bank_a.scope():
        follow_up = FollowUpFactory(customer=bank_a.customer)
        with pytest.raises(DomainError) as refused:
            follow_ups.follow_up_cancel(follow_up=follow_up, reason="  ", actor=rm)
        assert refused.value.field == "reason"
        follow_ups.follow_up_cancel(follow_up=follow_up, reason="客户已销户", actor=rm)
        stored = FollowUp.objects.get()
    assert (stored.status, stored.cancel_reason) == ("cancelled", "客户已销户")


def test_a_branch_manager_reassigns_within_the_branch(bank_a, rm):
    colleague = StaffFactory(branch=bank_a.sub_branch, roles=[Role.RELATIONSHIP_MANAGER])
    with bank_a.scope():
        follow_up = FollowUpFactory(customer=bank_a.customer)
        follow_ups.follow_up_reassign(
            follow_up=follow_up, to_staff=colleague, actor=bank_a[Role.BRANCH_MANAGER]
        )
        assert FollowUp.objects.get().owner_id == colleague.pk


def test_reassigning_outside_ones_scope_is_refused(bank_a, rm):
    elsewhere = StaffFactory(branch=bank_a.other_branch, roles=[Role.RELATIONSHIP_MANAGER])
    with bank_a.scope():
        follow_up = FollowUpFactory(customer=bank_a.customer)
        with pytest.raises(DomainError) as refused:
            follow_ups.follow_up_reassign(
                follow_up=follow_up, to_staff=elsewhere, actor=bank_a[Role.BRANCH_MANAGER]
            )
        assert refused.value.field == "to_staff"
        with pytest.raises(DomainError):  # an RM holds no permission to reassign
            follow_ups.follow_up_reassign(follow_up=follow_up, to_staff=rm, actor=rm)
        assert FollowUp.objects.get().owner_id == rm.pk


@pytest.fixture
def book(bank_a, rm):
    """The RM's open, done and colleague's follow-ups, one of a customer outside the book."""
    teller = bank_a[Role.TELLER]
    second = CustomerFactory(home_branch=bank_a.sub_branch, relationship_manager=rm)
    with bank_a.scope():
        rows = {
            "open": FollowUpFactory(customer=bank_a.customer),
            "second": FollowUpFactory(customer=second),
            "teller's": FollowUpFactory(customer=bank_a.customer, owner=teller),
            "done": FollowUpFactory(
                customer=second,
                status=FollowUp.Status.DONE,
                outcome=FollowUp.Outcome.REACHED,
                completed_at=timezone.now(),
            ),
        }
    return rows


def states(bank, rows):
    with bank.scope():
        return {
            name: (row.owner_id, row.status)
            for name, row in ((n, FollowUp.objects.get(pk=r.pk)) for n, r in rows.items())
        }


def test_the_open_follow_ups_of_a_book_go_to_the_new_manager(bank_a, rm, book):
    colleague = StaffFactory(branch=bank_a.sub_branch, roles=[Role.RELATIONSHIP_MANAGER])
    with bank_a.scope():
        customer_services.book_handover(
            from_manager=rm, to_manager=colleague, actor=bank_a[Role.BRANCH_MANAGER], reason="调岗"
        )
    assert states(bank_a, book) == {
        "open": (colleague.pk, "open"),
        "second": (colleague.pk, "open"),
        "teller's": (bank_a[Role.TELLER].pk, "open"),
        "done": (rm.pk, "done"),
    }


def test_a_book_released_to_the_pool_cancels_its_open_follow_ups(bank_a, rm, book):
    with bank_a.scope():
        customer_services.book_handover(
            from_manager=rm, to_manager=None, actor=bank_a[Role.BRANCH_MANAGER], reason="离职"
        )
        cancelled = FollowUp.objects.get(pk=book["open"].pk)
    assert states(bank_a, book)["teller's"] == (bank_a[Role.TELLER].pk, "open")
    assert cancelled.status == "cancelled" and "离职" in cancelled.cancel_reason
