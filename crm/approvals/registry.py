"""Actions that need a second person's approval (maker-checker), declared by their apps.

An app registers each action in ``AppConfig.ready()``; crm never imports it. ``check``
validates a payload and returns it cleaned (raising ``DomainError``): it runs when the
maker proposes and again, against the data as it is then, when the approver approves.
``apply`` does the work inside the approval's transaction and returns a short result.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django.utils.functional import Promise


@dataclass(frozen=True)
class ApprovalAction:
    key: str
    label: str | Promise
    permission: str  # "app_label.codename" the approver must hold
    check: Callable  # (payload: dict, *, actor) -> cleaned payload
    apply: Callable  # (payload: dict, *, maker, approver) -> result text
    describe: Callable  # (payload: dict) -> summary shown to approvers
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
