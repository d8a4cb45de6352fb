from django.db.models import Q, QuerySet
from django.utils import timezone

from crm.approvals.models import Proposal
from crm.approvals.registry import approval_actions
from crm.tenancy.models import Staff


def proposals_to_decide(staff: Staff) -> QuerySet[Proposal]:
    """Pending, unexpired proposals ``staff`` may decide (see ``services.may_decide``)."""
    held = [a for a in approval_actions() if staff.has_perm(a.permission)]
    if not held:
        return Proposal.objects.none()
    branch = staff.branch  # None for platform staff, and only for them: they have no tenant
    if branch is None:
        return Proposal.objects.none()
    flat = [a.key for a in held if not a.requires_higher_level]
    tiered = [a.key for a in held if a.requires_higher_level]
    senior = Q(maker_branch__depth__gt=branch.depth, maker_branch__path__prefix=branch.path)
    if branch.parent_id is None:
        senior |= Q(maker_branch=branch)
    return (
        Proposal.objects.in_scope(staff)
        .pending()
        .filter(expires_at__gt=timezone.now())
        .exclude(maker=staff)
        .filter(Q(action__in=flat) | (Q(action__in=tiered) & senior))
        .select_related("maker", "maker_branch")
        .order_by("expires_at", "pk")
    )


def proposals_made_by(staff: Staff) -> QuerySet[Proposal]:
    return Proposal.objects.filter(maker=staff).select_related("decided_by")


def visible_proposals(staff: Staff) -> QuerySet[Proposal]:
    """What a staff member may open: what they may decide, proposed or decided."""
    return Proposal.objects.filter(
        Q(pk__in=proposals_to_decide(staff).values("pk")) | Q(maker=staff) | Q(decided_by=staff)
    ).select_related("maker", "maker_branch", "decided_by")
