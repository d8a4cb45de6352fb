"""Actions on channels: logging contacts, opening and moving service requests.

Pages, the partner API, imports and tasks all call these, so a request moved from the
mobile app follows exactly the rules of one moved at the counter.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from channels.models import (
    Channel,
    Interaction,
    Outlet,
    ServiceRequest,
    ServiceRequestStep,
    ServiceRequestType,
)
from crm.tenancy.context import require_tenant
from crm.tenancy.models import Branch, Staff
from customers.models import Customer


class ChannelError(Exception):
    """A refused action, with a message for the user and the field it concerns."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


@transaction.atomic
def interaction_log(
    *,
    customer: Customer,
    channel: Channel,
    kind: str,
    staff: Staff | None = None,
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
        raise ChannelError(_("A transaction needs its amount."), field="amount")
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
                staff=staff,
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
    return Interaction.objects.create(
        tenant=require_tenant(),
        occurred_at=occurred_at or timezone.now(),
        **fields,
    )


@transaction.atomic
def service_request_open(
    *,
    request_type: ServiceRequestType,
    customer: Customer,
    channel: Channel,
    summary: str,
    team: Branch | None = None,
    owner: Staff | None = None,
    staff: Staff | None = None,
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
        raise ChannelError(_("This type of request is no longer offered."), field="request_type")
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
        staff=staff,
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
    staff: Staff | None = None,
    partner_name: str = "",
    note: str = "",
) -> ServiceRequest:
    """Move a request to its next status from any channel, refusing moves the workflow forbids."""
    # Lock the row: two channels moving the same request at once must not both succeed.
    request = ServiceRequest.objects.select_for_update().get(pk=request.pk)
    if to_status not in ServiceRequest.Status.values:
        raise ChannelError(_("Unknown status."), field="to_status")
    if to_status not in request.allowed_next_statuses():
        raise ChannelError(
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
        raise ChannelError(_("Say why the request is rejected or cancelled."), field="note")
    previous = request.status
    request.status = to_status
    if to_status in ServiceRequest.CLOSED_STATUSES:
        request.closed_at = timezone.now()
    if staff is not None and request.owner_id is None:
        request.owner = staff
    request.save(update_fields=["status", "closed_at", "owner"])
    ServiceRequestStep.objects.create(
        tenant=request.tenant,
        request=request,
        from_status=previous,
        to_status=to_status,
        channel=channel,
        staff=staff,
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
        raise ChannelError(_("A closed request cannot be reassigned."))
    if owner is not None and (owner.tenant_id != request.tenant_id or not owner.is_active):
        raise ChannelError(_("Choose an active colleague of this bank."), field="owner")
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
