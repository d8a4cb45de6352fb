"""Actions that need a second person's approval (maker-checker), declared by their apps.

An app registers each action in ``AppConfig.ready()``; crm never imports it. ``check``
validates a payload and returns it cleaned (raising ``DomainError``): it runs when the
maker proposes and again, against the data as it is then, when the approver approves.
``apply`` does the work inside the approval's transaction and returns a short result.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Protocol

from django.utils.functional import Promise

if TYPE_CHECKING:
    from crm.tenancy.models import Staff


class CheckPayload(Protocol):
    """Validate a payload against today's data; return it cleaned or raise DomainError."""

    def __call__(self, payload: dict[str, Any], /, *, actor: Staff) -> dict[str, Any]: ...


class ApplyPayload(Protocol):
    """Do the approved work; return a short text of what was done."""

    def __call__(self, payload: dict[str, Any], /, *, maker: Staff, approver: Staff) -> str: ...


class DescribePayload(Protocol):
    """The summary of a payload shown to approvers."""

    def __call__(self, payload: dict[str, Any], /) -> str: ...


@dataclass(frozen=True)
class ApprovalAction:
    key: str
    label: str | Promise
    permission: str  # "app_label.codename" the approver must hold
    check: CheckPayload
    apply: ApplyPayload
    describe: DescribePayload
    # The approver's branch must be above the maker's in the tree (for a maker at the head
    # office, who has nobody above: another head-office person).
    requires_higher_level: bool = True
    expires_after: timedelta = timedelta(days=3)


_actions: dict[str, ApprovalAction] = {}


def register_approval_action(action: ApprovalAction) -> ApprovalAction:
    existing = _actions.get(action.key)
    if existing is not None and existing != action:
        raise ValueError(f"Approval action {action.key!r} is registered twice.")
    _actions[action.key] = action
    return action


def approval_action(key: str) -> ApprovalAction:
    try:
        return _actions[key]
    except KeyError:
        raise LookupError(f"No approval action {key!r} is registered.") from None


def approval_actions() -> list[ApprovalAction]:
    return list(_actions.values())
