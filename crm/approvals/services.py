"""Propose, approve, reject and expire actions that need a second person."""

from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.approvals.models import Proposal
from crm.approvals.registry import approval_action
from crm.domain import DomainError
from crm.notifications.claims import claim_due
from crm.notifications.services import notification_send
from crm.tenancy.context import require_tenant
from crm.tenancy.models import Staff


def may_decide(staff: Staff, proposal: Proposal) -> bool:
    """Whether ``staff`` may approve or reject ``proposal`` (the maker never may).

    The approver holds the action's permission, sees the maker's branch, and where the
    action requires it works higher in the branch tree than the maker did when proposing
    (for a maker at the head office, anybody else there).
    """
    action = approval_action(proposal.action)
    if staff.pk == proposal.maker_id or staff.tenant_id != proposal.tenant_id:
        return False
    if not staff.is_active or not staff.has_perm(action.permission):
        return False
    # The scope rule is the scoped queryset's (one place), not written again here.
    if not Proposal.objects.in_scope(staff).filter(pk=proposal.pk).exists():
        return False
    maker_branch = proposal.maker_branch
    if not action.requires_higher_level:
        return True
    if maker_branch.parent_id is None:
        return staff.branch_id == maker_branch.pk
    branch = staff.branch
    if branch is None:  # platform staff: already refused as of no tenant
        return False
    return branch.depth < maker_branch.depth and maker_branch.path.startswith(branch.path)


@transaction.atomic
def proposal_submit(*, action_key: str, payload: dict[str, Any], actor: Staff) -> Proposal:
    """Propose an action; its app's check validates the payload first."""
    action = approval_action(action_key)
    if actor.branch_id is None:
        raise DomainError(_("Only staff of a branch can propose actions."))
    cleaned = action.check(payload, actor=actor)
    return Proposal.objects.create(
        tenant=require_tenant(),
        action=action.key,
        payload=cleaned,
        summary=str(action.describe(cleaned))[:300],
        maker=actor,
        maker_branch_id=actor.branch_id,
        expires_at=timezone.now() + action.expires_after,
    )


def _lock_pending(proposal: Proposal) -> Proposal:
    locked = Proposal.objects.select_for_update().select_related("maker_branch").get(pk=proposal.pk)
    if locked.status != Proposal.Status.PENDING:
        raise DomainError(_("This proposal has already been decided."))
    return locked


def _tell_maker(proposal: Proposal, kind: str) -> None:
    notification_send(
        recipient_id=proposal.maker_id,
        kind=kind,
        key=f"approvals.proposal:{proposal.pk}:{proposal.status}",
        params={
            "summary": proposal.summary,
            "approver": proposal.decided_by.name if proposal.decided_by else "",
            "reason": proposal.reason,
        },
        link=reverse("approvals:detail", args=[proposal.pk]),
    )


def _decide(
    proposal: Proposal, *, actor: Staff, status: str, reason: str, result: str = ""
) -> None:
    proposal.status = status
    proposal.decided_by = actor
    proposal.decided_at = timezone.now()
    proposal.reason = reason[:300]
    proposal.result = result[:300]
    proposal.save(update_fields=["status", "decided_by", "decided_at", "reason", "result"])
    _tell_maker(proposal, f"approvals.{status}")


@transaction.atomic
def proposal_approve(*, proposal: Proposal, actor: Staff, reason: str = "") -> Proposal:
    """Approve and apply: the handler re-checks the payload against today's data."""
    proposal = _lock_pending(proposal)
    if proposal.is_expired:
        raise DomainError(_("This proposal has expired and can no longer be approved."))
    if not may_decide(actor, proposal):
        raise DomainError(_("You may not decide on this proposal."))
    action = approval_action(proposal.action)
    payload = action.check(proposal.payload, actor=proposal.maker)
    result = action.apply(payload, maker=proposal.maker, approver=actor)
    _decide(proposal, actor=actor, status=Proposal.Status.APPROVED, reason=reason, result=result)
    return proposal


@transaction.atomic
def proposal_reject(*, proposal: Proposal, actor: Staff, reason: str) -> Proposal:
    if not reason.strip():
        raise DomainError(_("Give a reason for the rejection."), field="reason")
    proposal = _lock_pending(proposal)
    if not may_decide(actor, proposal):
        raise DomainError(_("You may not decide on this proposal."))
    _decide(proposal, actor=actor, status=Proposal.Status.REJECTED, reason=reason)
    return proposal


def _expire(proposal: Proposal) -> None:
    proposal.status = Proposal.Status.EXPIRED
    proposal.decided_at = timezone.now()
    proposal.save(update_fields=["status", "decided_at"])
    _tell_maker(proposal, "approvals.expired")


def proposals_expire() -> int:
    """Mark the current tenant's overdue proposals expired and tell their makers.

    Claimed in batches (``claim_due``): two runs at once expire each proposal once, and a
    run killed half-way leaves the rest for the next.
    """
    return claim_due(Proposal.objects.overdue().select_related("decided_by"), process=_expire)
