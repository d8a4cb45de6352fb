"""Follow-ups (回访): planning a contact with a customer, making it, and handing it on.

The actions every way in calls: the customer page and "My follow-ups", the team page of a
branch manager, the handover of a book, and other apps. Marketing (tier cadence) and risk
(warning checks, complaint callbacks) never import each other; both create follow-ups
through ``follow_up_create`` here, naming themselves in ``source`` and, for rules that run
every period, the period in ``period`` so that a second run creates nothing twice.

Completing a follow-up logs the contact through ``channels.services.interaction_log`` in
the same transaction: the customer's timeline shows every follow-up made, and a contact
that cannot be logged leaves the follow-up open.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import pghistory
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from channels import services
from channels.models import Channel, FollowUp, Interaction
from crm.domain import DomainError
from crm.tenancy.models import Staff
from customers.handover import Handover
from customers.models import Customer

# A due time typed in a form has minute precision: "now" typed a few seconds ago is not in
# the past to the person who typed it.
PAST_GRACE = timedelta(minutes=1)
MANUAL = "manual"
RESCHEDULED = "channels.reschedule"
HANDOVER = "customers.handover"
# Outcomes after which the same contact is tried again later.
RESCHEDULABLE = (FollowUp.Outcome.NOT_REACHED, FollowUp.Outcome.CALLBACK_REQUESTED)


@contextmanager
def _acting(actor: Staff | None) -> Iterator[None]:
    """Name ``actor`` in the audit trail where no request does (tasks, other apps)."""
    if actor is None:
        yield
        return
    with pghistory.context(staff_id=actor.pk, username=actor.get_username()):
        yield


def _check_due(due_at: datetime, field: str) -> None:
    if timezone.is_naive(due_at):
        raise DomainError(_("Give the due time with its time zone."), field=field)
    if due_at < timezone.now() - PAST_GRACE:
        raise DomainError(_("The due time has passed: choose a time to come."), field=field)


def _check_owner(owner: Staff, customer: Customer, field: str = "owner") -> None:
    """The owner works for the customer's bank, is active and may open the customer."""
    if owner.tenant_id != customer.tenant_id or not owner.is_active:
        raise DomainError(_("Choose an active colleague of this bank."), field=field)
    if not Customer.objects.in_scope(owner).filter(pk=customer.pk).exists():
        raise DomainError(
            _("%(owner)s cannot see this customer: choose someone who serves them.")
            % {"owner": owner.name},
            field=field,
        )


@transaction.atomic
def follow_up_create(
    *,
    customer: Customer,
    owner: Staff,
    due_at: datetime,
    purpose: str = FollowUp.Purpose.MANUAL,
    actor: Staff | None = None,
    source: str = MANUAL,
    preferred_channel: Channel | None = None,
    notes: str = "",
    period: str = "",
    rescheduled_from: FollowUp | None = None,
) -> FollowUp:
    """Plan a contact with ``customer`` by ``owner`` before ``due_at``.

    For other apps: call it with ``source`` naming the app and its rule (e.g.
    ``"risk.warning"``, ``"marketing.tier_cadence"``) and ``actor=None`` when no person
    asked for it. A rule that runs every period passes the period (``"2026-12"``): a
    follow-up of the same customer, purpose and period is returned instead of a second one,
    so a rule run twice creates nothing twice.

    Refuses (``DomainError``) a due time in the past (field ``due_at``), an owner who is not
    an active colleague of the bank able to see the customer (``owner``) and a channel the
    bank does not offer (``preferred_channel``).
    """
    if purpose not in FollowUp.Purpose.values:
        raise DomainError(_("Unknown purpose."), field="purpose")
    _check_due(due_at, "due_at")
    _check_owner(owner, customer)
    if preferred_channel is not None and (
        preferred_channel.tenant_id != customer.tenant_id or not preferred_channel.is_active
    ):
        raise DomainError(_("Choose one of the bank's active channels."), field="preferred_channel")
    if period:
        existing = FollowUp.objects.filter(customer=customer, purpose=purpose, period=period)
        if (found := existing.first()) is not None:
            return found
    fields = {
        "tenant_id": customer.tenant_id,
        "customer": customer,
        "owner": owner,
        "due_at": due_at,
        "purpose": purpose,
        "preferred_channel": preferred_channel,
        "notes": notes.strip(),
        "created_by": actor,
        "source": source,
        "period": period,
        "rescheduled_from": rescheduled_from,
    }
    with _acting(actor):
        try:
            # A savepoint: a rule running at the same time may create the same period's one.
            with transaction.atomic():
                return FollowUp.objects.create(**fields)
        except IntegrityError:
            if not period:
                raise
            return FollowUp.objects.get(customer=customer, purpose=purpose, period=period)


def _open_locked(follow_up: FollowUp) -> FollowUp:
    """The follow-up, locked: two people completing it at once must not both succeed."""
    locked = FollowUp.objects.select_for_update().get(pk=follow_up.pk)
    if not locked.is_open:
        raise DomainError(
            _("This follow-up is already “%(status)s”.") % {"status": locked.get_status_display()}
        )
    return locked


def contact_channel(follow_up: FollowUp) -> Channel | None:
    """Where the contact is most likely made: the planned channel, else the phone."""
    if follow_up.preferred_channel_id is not None:
        return follow_up.preferred_channel
    return Channel.objects.filter(kind=Channel.Kind.PHONE, is_active=True).order_by("code").first()


@transaction.atomic
def follow_up_complete(
    *,
    follow_up: FollowUp,
    outcome: str,
    actor: Staff,
    notes: str = "",
    channel: Channel | None = None,
    reschedule_to: datetime | None = None,
) -> FollowUp:
    """Record that the contact was made (or tried), and log it on the customer's timeline.

    The contact is logged through ``services.interaction_log`` in this transaction: if it
    cannot be logged, the follow-up stays open. ``channel`` defaults to the planned one,
    else the bank's phone channel.

    A customer not reached, or who asked to be called back, can be tried again:
    ``reschedule_to`` creates the next open follow-up (same customer, owner and purpose)
    rather than moving this one's due time, so that each attempt keeps its own outcome and
    contact, and completion rates count what was actually done. Returns the completed one.
    """
    follow_up = _open_locked(follow_up)
    if outcome not in FollowUp.Outcome.values:
        raise DomainError(_("Choose what came of the contact."), field="outcome")
    if reschedule_to is not None:
        if outcome not in RESCHEDULABLE:
            raise DomainError(
                _("Only a customer not reached or asking for a callback is called again."),
                field="reschedule_to",
            )
        _check_due(reschedule_to, "reschedule_to")
    channel = channel or contact_channel(follow_up)
    if channel is None:
        raise DomainError(_("Choose the channel of the contact."), field="channel")
    notes = notes.strip()
    summary = follow_up.get_purpose_display()
    if notes:
        summary = f"{summary}: {notes}"
    with _acting(actor):
        interaction = services.interaction_log(
            customer=follow_up.customer,
            channel=channel,
            kind=Interaction.Kind.CALLBACK,
            direction=Interaction.Direction.OUTBOUND,
            actor=actor,
            summary=summary[:500],
            outcome=str(FollowUp.Outcome(outcome).label),
        )
        follow_up.status = FollowUp.Status.DONE
        follow_up.outcome = outcome
        follow_up.interaction = interaction
        follow_up.completed_at = interaction.occurred_at
        follow_up.completed_by = actor
        follow_up.save(
            update_fields=["status", "outcome", "interaction", "completed_at", "completed_by"]
        )
        if reschedule_to is not None:
            follow_up_create(
                customer=follow_up.customer,
                owner=follow_up.owner,
                due_at=reschedule_to,
                purpose=follow_up.purpose,
                actor=actor,
                source=RESCHEDULED,
                preferred_channel=follow_up.preferred_channel,
                notes=follow_up.notes,
                rescheduled_from=follow_up,
            )
    return follow_up


@transaction.atomic
def follow_up_cancel(*, follow_up: FollowUp, reason: str, actor: Staff | None) -> FollowUp:
    """Call off a planned contact, saying why (the customer moved away, a duplicate...)."""
    follow_up = _open_locked(follow_up)
    reason = reason.strip()
    if not reason:
        raise DomainError(_("Say why the follow-up is cancelled."), field="reason")
    with _acting(actor):
        follow_up.status = FollowUp.Status.CANCELLED
        follow_up.cancel_reason = reason[:300]
        follow_up.completed_at = timezone.now()
        follow_up.completed_by = actor
        follow_up.save(update_fields=["status", "cancel_reason", "completed_at", "completed_by"])
    return follow_up


@transaction.atomic
def follow_up_reassign(*, follow_up: FollowUp, to_staff: Staff, actor: Staff) -> FollowUp:
    """Give an open follow-up to a colleague, within the acting manager's scope.

    The actor needs ``channels.reassign_followup`` and must see the follow-up and the
    colleague; the colleague must be able to see the customer.
    """
    if not actor.has_perm("channels.reassign_followup"):
        raise DomainError(_("You may not reassign follow-ups."))
    if not FollowUp.objects.in_scope(actor).filter(pk=follow_up.pk).exists():
        raise DomainError(_("This follow-up is not in your scope."))
    if not Staff.objects.in_scope(actor).active().filter(pk=to_staff.pk).exists():
        raise DomainError(_("Choose an active colleague within your scope."), field="to_staff")
    follow_up = _open_locked(follow_up)
    _check_owner(to_staff, follow_up.customer, field="to_staff")
    if follow_up.owner_id != to_staff.pk:
        with _acting(actor):
            follow_up.owner = to_staff
            follow_up.save(update_fields=["owner"])
    return follow_up


def move_open_follow_ups(handover: Handover) -> None:
    """A handover participant: the previous manager's open follow-ups of the customers that
    changed hands go to the new manager, in the handover's transaction.

    Follow-ups owned by colleagues (a teller's callback, a complaint handler's) stay with
    them. Customers released to the public pool have nobody to call them: their manager's
    open follow-ups are cancelled, with the handover's reason, rather than left to someone
    who no longer serves them.
    """
    new_owner = handover.relationship_manager
    for previous in handover.previous_manager_ids:
        moving = FollowUp.objects.open().filter(
            customer_id__in=handover.customers_of(previous), owner_id=previous
        )
        if new_owner is not None:
            moving.update(owner=new_owner)
        else:
            reason = _("Released to the public pool: %(reason)s") % {"reason": handover.reason}
            moving.update(
                status=FollowUp.Status.CANCELLED,
                cancel_reason=reason[:300],
                completed_at=timezone.now(),
                completed_by=handover.actor,
            )
