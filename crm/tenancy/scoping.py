"""What a staff member may see inside their bank, and the tenant their own rows live in.

``StaffScope.of`` is the one place the rule is written: by role and place in the branch tree.
Every ``in_scope(staff)`` query applies it (``ScopedQuerySet.within``): customers, service
requests, interactions, the channel roll-ups, branches, staff, outlets. A query declares
only how its rows reach a branch, a relationship manager's book or another scoped row; it
never decides again who sees what. Partner systems are no staff: they read the whole bank
through ``for_partner``.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from crm.tenancy.context import platform_wide, tenant_context
from crm.tenancy.roles import Role

if TYPE_CHECKING:
    from crm.tenancy.models import Staff, Tenant


@dataclass(frozen=True)
class StaffScope:
    """The rows of one bank a staff member may see.

    - ``tenant_id``: their bank; None for a platform administrator, who sees what the
      platform-wide context gives (Django admin of every bank).
    - ``branch_ids``: the branches whose rows they see; None for the whole bank.
    - ``book_of``: set to their own id when they see only the customers they look after.
    """

    tenant_id: int | None
    branch_ids: tuple[int, ...] | None = None
    book_of: int | None = None

    @classmethod
    def of(cls, staff: Staff) -> StaffScope:
        """Return what ``staff`` may see.

        Head-office staff see the whole bank, everyone else their branch and the branches
        under it. Where the bank says so (``Tenant.rm_scope``), a relationship manager who
        holds no other role sees only their own book of customers.

        Any other way of seeing rows (a manager's book outside their branch, the requests
        given to someone) belongs here as well, so that every page follows it at once.
        """
        from crm.tenancy.models import Tenant  # the models module imports this one

        if staff.is_platform_admin:
            return cls(tenant_id=None)
        assert staff.tenant is not None  # only platform administrators belong to no bank
        branch = staff.branch
        branch_ids = None
        if branch is not None and not branch.is_head_office:
            branch_ids = tuple(branch.subtree_ids())
        own_book = (
            staff.tenant.rm_scope == Tenant.RmScope.OWN_BOOK
            # read only where the bank limits managers: it costs a query
            and staff.role_codes == {Role.RELATIONSHIP_MANAGER}
        )
        return cls(
            tenant_id=staff.tenant_id,
            branch_ids=branch_ids,
            book_of=staff.pk if own_book else None,
        )

    @property
    def whole_bank(self) -> bool:
        return self.branch_ids is None and self.book_of is None

    def covers_branch(self, branch_id: int | None) -> bool:
        """Whether rows of ``branch_id`` are within the branches of this scope."""
        return self.branch_ids is None or branch_id in self.branch_ids

    def narrowed_to(self, branch_ids: Iterable[int]) -> StaffScope:
        """This scope limited to ``branch_ids`` (never widened by them).

        One list, not two: a second ``IN`` list on the same column makes PostgreSQL multiply
        both selectivities, expect far too few rows and choose the wrong index.
        """
        allowed = None if self.branch_ids is None else set(self.branch_ids)
        return replace(
            self, branch_ids=tuple(pk for pk in branch_ids if allowed is None or pk in allowed)
        )

    def without_book(self) -> StaffScope:
        """The same branches for everyone: for rows that are nobody's book (the pool)."""
        return replace(self, book_of=None)


def scope_of(staff: Staff | None) -> AbstractContextManager[Tenant | None]:
    """Return the context in which rows about ``staff`` are read and written.

    Staff of a bank: that bank. Platform administrators (no tenant): platform-wide.
    """
    if staff is not None and staff.tenant is not None:
        return tenant_context(staff.tenant)
    return platform_wide()
