"""Other apps' open work moves with a relationship manager's customers.

When customers change hands (a book handover, a handover of ticked customers, a release to
the pool, a claim), every registered participant is called inside the same transaction as
the assignment itself: channels gives the old manager's open service requests to the new
one, and marketing's follow-ups or risk's warnings will do the same. A participant that
raises rolls the whole handover back, so a book never moves without its work.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from crm.tenancy.models import Staff


@dataclass(frozen=True)
class Handover:
    #: Each customer that changed hands, with the manager who looked after them (or None).
    previous_managers: dict[int, int | None]
    relationship_manager: Staff | None  # None: the public pool
    actor: Staff | None
    reason: str
    kind: str  # Assignment.Kind

    def customers_of(self, manager_id: int) -> list[int]:
        return [pk for pk, previous in self.previous_managers.items() if previous == manager_id]

    @property
    def previous_manager_ids(self) -> set[int]:
        return {previous for previous in self.previous_managers.values() if previous is not None}


Participant = Callable[[Handover], None]
_participants: dict[str, Participant] = {}


def register_handover_participant(name: str, participant: Participant) -> None:
    """Call ``participant`` in every handover's transaction (a name registered again replaces)."""
    _participants[name] = participant


def unregister_handover_participant(name: str) -> Participant | None:
    return _participants.pop(name, None)


def run_participants(handover: Handover) -> None:
    for participant in _participants.values():
        participant(handover)
