"""Large book handovers need a second person's approval (crm.approvals, maker-checker).

A handover of more than ``settings.LARGE_HANDOVER_SIZE`` customers is proposed instead of
done; a colleague higher in the branch tree who may hand books over approves it, and the
handover then runs through ``services.book_handover`` inside the approval's transaction,
with the maker's scope (only the part of the book the maker sees moves).
"""

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.approvals.models import Proposal
from crm.approvals.registry import ApprovalAction
from crm.approvals.services import proposal_submit
from crm.domain import DomainError
from crm.tenancy.models import Staff
from customers import services
from customers.models import Customer

LARGE_HANDOVER = "customers.large_handover"


def _staff(pk) -> Staff | None:
    if pk is None:
        return None
    staff = Staff.objects.filter(pk=pk).first()
    if staff is None:
        raise DomainError(_("This relationship manager no longer exists."))
    return staff


def check(payload: dict, *, actor) -> dict:
    source = _staff(payload.get("from_manager"))
    target = _staff(payload.get("to_manager"))
    reason = str(payload.get("reason", "")).strip()
    if source is None:
        raise DomainError(_("Choose whose book to hand over."))
    if target is not None and target.pk == source.pk:
        raise DomainError(_("Choose a different relationship manager."))
    if target is not None and not target.is_active:
        raise DomainError(_("%(name)s is no longer active.") % {"name": target.name})
    if not reason:
        raise DomainError(_("Give a reason for the handover."), field="reason")
    return {
        "from_manager": source.pk,
        "from_name": source.name,
        "to_manager": target.pk if target else None,
        "to_name": target.name if target else "",
        "reason": reason[:300],
        "size": book_size(source, actor=actor),
    }


def describe(payload: dict) -> str:
    return _("Hand over %(size)d customers of %(source)s to %(target)s") % {
        "size": payload["size"],
        "source": payload["from_name"],
        "target": payload["to_name"] or _("the public pool"),
    }


def apply(payload: dict, *, maker, approver) -> str:
    moved = services.book_handover(
        from_manager=_staff(payload["from_manager"]),
        to_manager=_staff(payload["to_manager"]),
        actor=maker,
        reason=payload["reason"],
    )
    return _("%(count)d customers handed over.") % {"count": moved}


ACTION = ApprovalAction(
    key=LARGE_HANDOVER,
    label=gettext_lazy("Large book handover"),
    permission="customers.hand_over_customers",
    check=check,
    apply=apply,
    describe=describe,
)


def book_size(manager: Staff, *, actor) -> int:
    return Customer.objects.in_scope(actor).filter(relationship_manager=manager).count()


def book_handover_or_propose(
    *, from_manager: Staff, to_manager: Staff | None, actor: Staff, reason: str
) -> int | Proposal:
    """Hand the book over now, or propose it for approval when it is large."""
    if book_size(from_manager, actor=actor) > settings.LARGE_HANDOVER_SIZE:
        return proposal_submit(
            action_key=LARGE_HANDOVER,
            payload={
                "from_manager": from_manager.pk,
                "to_manager": to_manager.pk if to_manager else None,
                "reason": reason,
            },
            actor=actor,
        )
    return services.book_handover(
        from_manager=from_manager, to_manager=to_manager, actor=actor, reason=reason
    )
