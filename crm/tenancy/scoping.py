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
    - ``own_rows_of``: their own id, for the rows that are theirs wherever the customer is
      homed: the customers they look after and the service requests given to them. None for
      the whole bank (nothing to add) and once narrowed to chosen branches.

    A row is in scope when it is within the branches (and the book, if limited to it), or
    when it is one's own: ``(branches [and book]) OR own customers OR requests given to one``.
    """

    tenant_id: int | None
    branch_ids: tuple[int, ...] | None = None
    book_of: int | None = None
    own_rows_of: int | None = None

    @classmethod
    def of(cls, staff: Staff) -> StaffScope:
        """Return what ``staff`` may see.

        Head-office staff see the whole bank, everyone else their branch and the branches
        under it, plus the customers they look after and the requests given to them, wherever
        the customer is homed (a manager's book spans branches; a request goes to whoever
        handles it). Where the bank says so (``Tenant.rm_scope``), a relationship manager who
        holds no other role sees only their own book of customers and the requests given to
        them.
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
        limited = branch_ids is not None or own_book
        return cls(
            tenant_id=staff.tenant_id,
            branch_ids=branch_ids,
            book_of=staff.pk if own_book else None,
            own_rows_of=staff.pk if limited else None,
        )

    def covers_customer(self, *, home_branch_id: int | None, manager_id: int | None) -> bool:
        """Whether a customer is in scope, from the ids a page has already read."""
        if self.own_rows_of is not None and manager_id == self.own_rows_of:
            return True
        return self.covers_branch(home_branch_id) and (
            self.book_of is None or manager_id == self.book_of
        )

    def covers_request(
        self,
        *,
        team_id: int | None,
        owner_id: int | None,
        home_branch_id: int | None,
        manager_id: int | None,
    ) -> bool:
        """Whether a service request is in scope, from the ids a page has already read.

        The same rule as ``ScopedQuerySet.scope_condition`` for ``ServiceRequest``, for rows
        read without it (the steps on a customer's timeline).
        """
        if self.own_rows_of is not None and self.own_rows_of in (owner_id, manager_id):
            return True
        return self.covers_branch(team_id) and self.covers_customer(
            home_branch_id=home_branch_id, manager_id=manager_id
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
        # Chosen branches mean rows of those branches: one's own customers homed elsewhere
        # are not of them.
        return replace(
            self,
            branch_ids=tuple(pk for pk in branch_ids if allowed is None or pk in allowed),
            own_rows_of=None,
        )

    def for_exact_lookup(self) -> StaffScope:
        """The whole bank, for one exact identity lookup at the counter (a walk-in customer).

        Only an exact ID or mobile number reaches past one's scope, and only for a minimal,
        audited card (``customers.selectors.walk_in_cards``): browsing stays scoped.
        """
        return StaffScope(tenant_id=self.tenant_id)

    def without_book(self) -> StaffScope:
        """The same branches for everyone: for rows that are nobody's book (the pool)."""
        return replace(self, book_of=None, own_rows_of=None)


def scope_of(staff: Staff | None) -> AbstractContextManager[Tenant | None]:
    """Return the context in which rows about ``staff`` are read and written.

    Staff of a bank: that bank. Platform administrators (no tenant): platform-wide.
    """
    if staff is not None and staff.tenant is not None:
        return tenant_context(staff.tenant)
    return platform_wide()
