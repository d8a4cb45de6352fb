"""Actions on channels: logging contacts, opening and moving service requests.

Pages, the partner API, imports and tasks all call these, so a request moved from the
mobile app follows exactly the rules of one moved at the counter.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time
from decimal import Decimal

import pghistory
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from channels import rollup
from channels.catalog import ensure_standard_catalog
from channels.models import (
    Channel,
    ChannelPreference,
    ContactHold,
    Interaction,
    Outlet,
    ServiceRequest,
    ServiceRequestStep,
    ServiceRequestType,
)
from crm.domain import DomainError
from crm.events.services import event_record
from crm.tenancy.context import require_tenant
from crm.tenancy.models import Branch, Staff
from customers.models import Customer


@transaction.atomic
def interaction_log(
    *,
    customer: Customer,
    channel: Channel,
    kind: str,
    actor: Staff | None = None,
    outlet: Outlet | None = None,
    direction: str = Interaction.Direction.INBOUND,
    summary: str = "",
    outcome: str = "",
    amount: Decimal | None = None,
    occurred_at: datetime | None = None,
    source: str = "",
    external_id: str = "",
    service_request: ServiceRequest | None = None,
) -> Interaction:
    """Record one contact with a customer; a repeated (source, external id) returns the first."""
    if kind == Interaction.Kind.TRANSACTION and amount is None:
        raise DomainError(_("A transaction needs its amount."), field="amount")
    if external_id:
        existing = Interaction.objects.filter(source=source, external_id=external_id).first()
        if existing is not None:
            return existing
    try:
        # A savepoint: a concurrent call with the same (source, external id) may win the race.
        with transaction.atomic():
            return _create_interaction(
                customer=customer,
                channel=channel,
                outlet=outlet,
                staff=actor,
                kind=kind,
                direction=direction,
                summary=summary,
                outcome=outcome,
                amount=amount,
                occurred_at=occurred_at,
                source=source,
                external_id=external_id,
                service_request=service_request,
            )
    except IntegrityError:
        if not external_id:
            raise
        return Interaction.objects.get(source=source, external_id=external_id)


def _create_interaction(*, occurred_at, **fields) -> Interaction:
    interaction = Interaction.objects.create(
        tenant=require_tenant(),
        occurred_at=occurred_at or timezone.now(),
        **fields,
    )
    event_record(  # outbox
        "channels.interaction.created",
        subject_id=interaction.pk,
        payload={"customer_id": interaction.customer_id},
        actor=fields.get("staff"),
    )
    return interaction


@transaction.atomic
def service_request_open(
    *,
    request_type: ServiceRequestType,
    customer: Customer,
    channel: Channel,
    summary: str,
    team: Branch | None = None,
    owner: Staff | None = None,
    actor: Staff | None = None,
    partner_name: str = "",
    note: str = "",
    source: str = "",
    external_id: str = "",
    opened_at: datetime | None = None,
) -> ServiceRequest:
    """Open a request in ``channel``; its deadline follows the type's SLA.

    A partner replaying the same (source, external id) gets the request it opened first.
    The request's team defaults to the customer's home branch.
    """
    if not request_type.is_active:
        raise DomainError(_("This type of request is no longer offered."), field="request_type")
    if external_id:
        existing = ServiceRequest.objects.filter(source=source, external_id=external_id).first()
        if existing is not None:
            return existing
    opened_at = opened_at or timezone.now()
    request = ServiceRequest.objects.create(
        tenant=require_tenant(),
        number="",
        request_type=request_type,
        customer=customer,
        summary=summary,
        team=team or customer.home_branch,
        owner=owner,
        opened_channel=channel,
        opened_at=opened_at,
        due_at=opened_at + request_type.sla,
        source=source,
        external_id=external_id,
    )
    # The number is readable over the phone: date and the request's id.
    request.number = f"SR{timezone.localtime(opened_at):%Y%m%d}{request.pk:06d}"
    request.save(update_fields=["number"])
    ServiceRequestStep.objects.create(
        tenant=request.tenant,
        request=request,
        from_status="",
        to_status=request.status,
        channel=channel,
        staff=actor,
        partner_name=partner_name,
        note=note or summary,
        occurred_at=opened_at,
    )
    return request


@transaction.atomic
def service_request_move(
    *,
    request: ServiceRequest,
    to_status: str,
    channel: Channel,
    actor: Staff | None = None,
    partner_name: str = "",
    note: str = "",
) -> ServiceRequest:
    """Move a request to its next status from any channel, refusing moves the workflow forbids."""
    # Lock the row: two channels moving the same request at once must not both succeed.
    request = ServiceRequest.objects.select_for_update().get(pk=request.pk)
    if to_status not in ServiceRequest.Status.values:
        raise DomainError(_("Unknown status."), field="to_status")
    if to_status not in request.allowed_next_statuses():
        raise DomainError(
            _("A request that is “%(current)s” cannot become “%(next)s”.")
            % {
                "current": request.get_status_display(),
                "next": ServiceRequest.Status(to_status).label,
            },
            field="to_status",
        )
    if to_status in (ServiceRequest.Status.REJECTED, ServiceRequest.Status.CANCELLED) and not (
        note.strip()
    ):
        raise DomainError(_("Say why the request is rejected or cancelled."), field="note")
    previous = request.status
    request.status = to_status
    if to_status in ServiceRequest.CLOSED_STATUSES:
        request.closed_at = timezone.now()
    if actor is not None and request.owner_id is None:
        request.owner = actor
    request.save(update_fields=["status", "closed_at", "owner"])
    ServiceRequestStep.objects.create(
        tenant=request.tenant,
        request=request,
        from_status=previous,
        to_status=to_status,
        channel=channel,
        staff=actor,
        partner_name=partner_name,
        note=note,
    )
    return request


@transaction.atomic
def service_request_reassign(
    *,
    request: ServiceRequest,
    owner: Staff | None,
    team: Branch,
    channel: Channel,
    actor: Staff,
    note: str = "",
) -> ServiceRequest:
    """Give a request to another owner or team; the step keeps the status and says who did it."""
    request = ServiceRequest.objects.select_for_update().get(pk=request.pk)
    if request.is_closed:
        raise DomainError(_("A closed request cannot be reassigned."))
    if owner is not None and (owner.tenant_id != request.tenant_id or not owner.is_active):
        raise DomainError(_("Choose an active colleague of this bank."), field="owner")
    request.owner = owner
    request.team = team
    request.save(update_fields=["owner", "team"])
    ServiceRequestStep.objects.create(
        tenant=request.tenant,
        request=request,
        from_status=request.status,
        to_status=request.status,
        channel=channel,
        staff=actor,
        note=note
        or _("Reassigned to %(owner)s, %(team)s") % {"owner": owner or _("nobody"), "team": team},
    )
    return request


@transaction.atomic
def channel_preference_set(
    *,
    customer: Customer,
    preferred_channel: Channel | None,
    contact_from: time | None,
    contact_until: time | None,
    do_not_contact: bool,
    actor: Staff | None,
) -> ChannelPreference:
    """Record how the customer wants to be contacted; the first answer creates their row.

    Contact hours are times of day in the bank's time zone, either end open. A window across
    midnight is refused rather than guessed at. ``actor`` is who the audit trail names when
    no request does (imports, partner systems, tasks).
    """
    if preferred_channel is not None and (
        preferred_channel.tenant_id != customer.tenant_id or not preferred_channel.is_active
    ):
        raise DomainError(_("Choose one of the bank's active channels."), field="preferred_channel")
    if contact_from is not None and contact_until is not None and contact_from >= contact_until:
        raise DomainError(_("The contact hours must start before they end."), field="contact_until")
    values = {
        "preferred_channel_id": preferred_channel.pk if preferred_channel else None,
        "contact_from": contact_from,
        "contact_until": contact_until,
        "do_not_contact": do_not_contact,
    }
    who = {"staff_id": actor.pk, "username": actor.get_username()} if actor else {}
    with pghistory.context(**who):
        preference, created = ChannelPreference.objects.select_for_update().get_or_create(
            tenant_id=customer.tenant_id, customer=customer, defaults=values
        )
        changed = [name for name, value in values.items() if getattr(preference, name) != value]
        if not created and changed:
            # Saving an unchanged form writes nothing: the trail shows real changes only.
            for name in changed:
                setattr(preference, name, values[name])
            preference.save(update_fields=[*changed, "updated_at"])
    return preference


@transaction.atomic
def contact_hold_place(
    *,
    customer: Customer,
    reason: str,
    source: str,
    until: datetime,
    starts_at: datetime | None = None,
) -> ContactHold:
    """Hold the customer back from marketing from ``starts_at`` (default now) until ``until``.

    Any app may place one (``source`` names the app and rule, e.g. "risk.complaint"); the
    contact policy reads it without importing the app. Service contact ignores holds.
    """
    starts_at = starts_at or timezone.now()
    if not reason.strip():
        raise DomainError(_("Give a reason."), field="reason")
    if until <= starts_at:
        raise DomainError(_("A hold must end after it starts."), field="until")
    return ContactHold.objects.create(
        tenant_id=customer.tenant_id,
        customer=customer,
        reason=reason.strip(),
        source=source,
        starts_at=starts_at,
        ends_at=until,
    )


@transaction.atomic
def contact_holds_lift(*, customer: Customer, source: str, at: datetime | None = None) -> int:
    """End now the holds ``source`` placed on the customer that are still to run; how many.

    A hold that has not started yet is withdrawn (its history keeps it)."""
    at = at or timezone.now()
    running = ContactHold.objects.filter(customer=customer, source=source, ends_at__gt=at)
    withdrawn, _per_model = running.filter(starts_at__gte=at).delete()
    ended = running.filter(starts_at__lt=at).update(ends_at=at)
    return withdrawn + ended


def standard_catalog_ensure(*, tenant) -> None:
    """Give the bank the standard channels and service-request types it does not have yet."""
    ensure_standard_catalog(tenant)


def rollup_backfill(*, first_day: date, last_day: date) -> int:
    """Roll up the current bank's days ``first_day`` to ``last_day`` not rolled up yet.

    One pass of the roll-up's own statements over the range, a job run recorded per day
    (see ``channels.rollup.rollup_days_once``); returns the rows written or deleted.
    """
    runs = rollup.rollup_days_once(first_day=first_day, last_day=last_day)
    return sum(run.rows_touched for run in runs)


# The bank's nightly chain: what runs after a day's roll-up, before the next day's. Apps
# above channels plug in from their AppConfig.ready() (marketing scores a month once its
# cut-off day is rolled up, so the next day's roll-up counts the new tiers).
_after_rollup: list[Callable[[date], None]] = []


def register_after_rollup(hook: Callable[[date], None]) -> None:
    """Call ``hook(day)`` in the bank's nightly task after ``day`` is rolled up."""
    if hook not in _after_rollup:
        _after_rollup.append(hook)


def after_rollup_hooks() -> list[Callable[[date], None]]:
    return list(_after_rollup)
