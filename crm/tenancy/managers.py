"""The one way in to tenant data: managers scoped to the current tenant."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Self, TypeVar

from django.contrib.postgres.expressions import ArraySubquery
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.sql.compiler import SQLCompiler

from crm.tenancy.context import NoTenantError, current_scope

if TYPE_CHECKING:
    from crm.api.authentication import PartnerPrincipal
    from crm.tenancy.models import Staff
    from crm.tenancy.scoping import StaffScope

_M = TypeVar("_M", bound=models.Model)


class CurrentTenantCondition(models.Expression):
    """``<column> = <current tenant>``, bound when the query runs, not when it is built.

    Binding late lets querysets be declared ahead of time (form fields, class attributes)
    and still follow the tenant of the request that evaluates them. With no tenant set the
    query refuses to run; platform-wide code gets no condition at all.
    """

    conditional = True
    output_field = models.BooleanField()

    def __init__(self, field_name: str = "tenant_id", model_name: str = "") -> None:
        super().__init__()
        # An F() until the query resolves it into the column's expression.
        self.column: Any = models.F(field_name)
        self.model_name = model_name

    def get_source_expressions(self) -> list[Any]:
        return [self.column]

    def set_source_expressions(self, expressions: Sequence[Any]) -> None:
        (self.column,) = expressions

    def as_sql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper
    ) -> tuple[str, list[Any]]:
        scope = current_scope()
        if scope.platform_wide:
            return "TRUE", []
        if scope.tenant_id is None:
            raise NoTenantError(
                f"{self.model_name or 'This'} is tenant data: set a tenant (tenant_context) "
                "or mark the code platform-wide (platform_wide) before querying it."
            )
        column_sql, params = compiler.compile(self.column)
        return f"{column_sql} = %s", [*params, scope.tenant_id]


class IsAnyOf(models.Expression):
    """``<column> = ANY(ARRAY(<subquery>))``: an id list that PostgreSQL computes once (an
    InitPlan) and an index scan of the column can take as its condition."""

    conditional = True
    output_field = models.BooleanField()

    def __init__(self, field_name: str, queryset: models.QuerySet[Any]) -> None:
        super().__init__()
        self.column: Any = models.F(field_name)
        self.ids: Any = ArraySubquery(queryset)

    def get_source_expressions(self) -> list[Any]:
        return [self.column, self.ids]

    def set_source_expressions(self, expressions: Sequence[Any]) -> None:
        self.column, self.ids = expressions

    def as_sql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper
    ) -> tuple[str, list[Any]]:
        column_sql, column_params = compiler.compile(self.column)
        ids_sql, ids_params = compiler.compile(self.ids)
        return f"{column_sql} = ANY({ids_sql})", [*column_params, *ids_params]


class ScopedQuerySet(models.QuerySet[_M]):
    """Queries over one tenant's rows, narrowed further to what a staff member may see.

    The rule of who sees what is ``StaffScope.of``; a model's queryset only declares how its
    rows reach what that rule speaks of.
    """

    #: Path from the model to the branch that decides who may see a row. None: whole tenant.
    scope_branch_field: str | None = None
    #: Path to the relationship manager whose book a row is in, for staff limited to theirs.
    scope_book_field: str | None = None
    #: Path to the staff member a row is given to (a request's owner): it is in their scope
    #: wherever its customer is homed.
    scope_owner_field: str | None = None
    #: Path to another scoped row this one is about (a request's customer): a row is in
    #: scope only when that one is too, by that model's own declarations.
    scope_follows: str | None = None
    #: Rows that sum up many customers (the channel roll-ups): staff limited to their own
    #: book see none of them, since a branch's totals are mostly other people's customers.
    scope_sums_books: bool = False

    def in_scope(self, staff: Staff, *, branch_ids: Iterable[int] | None = None) -> Self:
        """Return the rows this staff member may see (``staff.scope``, see ``StaffScope.of``).

        ``branch_ids`` narrows the rows to those branches, the ones in scope.
        """
        if not hasattr(staff, "scope"):
            # A partner application is no staff member: it sees the whole bank, and says so.
            raise TypeError(f"in_scope() takes a staff member, not {staff!r}: use for_partner().")
        scope = staff.scope
        if branch_ids is not None:
            if self.scope_branch_field is None:
                raise TypeError(f"{self.model.__name__} rows belong to no branch to narrow by.")
            scope = scope.narrowed_to(branch_ids)
        return self.within(scope)

    def within(self, scope: StaffScope) -> Self:
        """Return the rows ``scope`` covers."""
        queryset = self if scope.tenant_id is None else self.filter(tenant_id=scope.tenant_id)
        return queryset.filter(self.scope_condition(scope))

    def scope_condition(self, scope: StaffScope, *, via: str = "") -> models.Q:
        """The rows ``scope`` covers as a condition, on this model or reached through ``via``.

        ``(within the branches [and the book]) OR (one's own rows)``: one's own rows are the
        customers one looks after and the requests given to one, wherever the customer is
        homed, and whatever follows them (their holdings, contacts, requests). On customers
        the OR is of two indexed columns, ``home_branch_id IN (…) OR relationship_manager_id
        = …``, which PostgreSQL answers with a BitmapOr of both indexes. On rows that follow
        a customer (requests) every arm has a side on the row's own columns, ``(team_id IN
        (…) AND customer.home_branch_id IN (…)) OR customer_id = ANY(<one's own customers>)
        OR owner_id = …``, so that PostgreSQL draws ``team_id IN (…) OR customer_id = ANY(…)
        OR owner_id = …`` out of it for a BitmapOr of the request's indexes before any join.

        The branches stay a condition on the joined rows rather than a subquery: a subquery
        over every customer of the branches could make the planner read a whole branch's
        customers to show one page. One's own customers are few: their ids are listed once.
        """
        prefix = f"{via}__" if via else ""
        if scope.book_of is not None and self.scope_sums_books:
            return models.Q(**{f"{prefix}pk__in": []})
        within, limited_to_book = self._within_branches(scope, prefix)
        own = self._own_rows(scope, prefix) if scope.own_rows_of is not None else None
        if own is None:
            return within
        if limited_to_book and scope.book_of == scope.own_rows_of:
            # Rows of one's book within the branches are one's own rows already: the
            # smaller condition says the same and leaves the planner one index to use.
            return own
        return within | own

    def _within_branches(self, scope: StaffScope, prefix: str) -> tuple[models.Q, bool]:
        """Rows within the scope's branches (and its book): the condition, and whether the
        book limited it."""
        condition = models.Q()
        limited_to_book = False
        if scope.branch_ids is not None and self.scope_branch_field is not None:
            condition &= models.Q(**{f"{prefix}{self.scope_branch_field}__in": scope.branch_ids})
        if scope.book_of is not None and self.scope_book_field is not None:
            condition &= models.Q(**{f"{prefix}{self.scope_book_field}": scope.book_of})
            limited_to_book = True
        followed = self._followed_rows()
        if followed is not None:
            more, by_book = followed._within_branches(scope, f"{prefix}{self.scope_follows}__")
            condition &= more
            limited_to_book = limited_to_book or by_book
        return condition, limited_to_book

    def _own_rows(self, scope: StaffScope, prefix: str) -> models.Q | None:
        """Rows that are ``scope.own_rows_of``'s own, or None if this model has none."""
        conditions = []
        if self.scope_book_field is not None:
            conditions.append(models.Q(**{f"{prefix}{self.scope_book_field}": scope.own_rows_of}))
        if self.scope_owner_field is not None:
            conditions.append(models.Q(**{f"{prefix}{self.scope_owner_field}": scope.own_rows_of}))
        followed = self._followed_rows()
        if followed is not None:
            more = followed._own_rows(scope, "")
            if more is not None:
                # The followed rows that are one's own, as a list of ids on this row's own
                # column: ``customer_id = ANY(ARRAY(SELECT id … WHERE relationship_manager
                # = me))``. A condition on the joined row instead would tie every arm of the
                # OR to the join, so no index of this table could narrow it (a whole bank's
                # open requests joined to their customers to find one team's). With each arm
                # on this table's columns, PostgreSQL draws ``team IN (…) OR customer_id =
                # ANY(…) OR owner = …`` out of the OR and answers it with a BitmapOr of the
                # three indexes. ARRAY(…) rather than IN (SELECT …): an IN under an OR is
                # checked row by row; an array is computed once and an index can take it.
                own_ids = followed.filter(more).values("pk")
                conditions.append(models.Q(IsAnyOf(f"{prefix}{self.scope_follows}_id", own_ids)))
        if not conditions:
            return None
        condition = conditions[0]
        for more in conditions[1:]:
            condition |= more
        return condition

    def _followed_rows(self) -> ScopedQuerySet[Any] | None:
        if self.scope_follows is None:
            return None
        followed = self.model._meta.get_field(self.scope_follows).related_model
        # scope_follows names a relation to a model of its own: never "self" or none.
        followed_rows = followed._default_manager.get_queryset()  # type: ignore[union-attr]
        assert isinstance(followed_rows, ScopedQuerySet)  # another scoped model's rows
        return followed_rows

    def for_partner(self, partner: PartnerPrincipal | None) -> Self:
        """Return every row of the partner's bank.

        Partner systems (core banking, call center) feed and read the whole bank, not a
        branch: the API says so with this call, so that a query which merely forgot its
        scope never passes for one that means the whole bank.
        """
        if partner is None:  # no partner behind the call (the OpenAPI schema's stand-in)
            return self.none()
        return self.filter(tenant_id=partner.tenant.pk)


if TYPE_CHECKING:
    # For mypy a plain Manager with ScopedQuerySet's methods declared below: the plugin
    # cannot make a manager class from from_queryset() the base of the apps' managers.
    _ScopedManagerBase = models.Manager
else:
    _ScopedManagerBase = models.Manager.from_queryset(ScopedQuerySet)


class ScopedManager(_ScopedManagerBase[_M]):
    """Filter by the current tenant; refuse to query when none is set.

    The explicit ``tenant_id = <current>`` condition matters even though row-level security
    would hide other tenants' rows: with it the planner uses ``(tenant_id, ...)`` indexes
    and evaluates the policy once instead of per row.
    """

    tenant_field = "tenant_id"

    def get_queryset(self) -> models.QuerySet[_M]:
        return (
            super()
            .get_queryset()
            .filter(CurrentTenantCondition(self.tenant_field, self.model.__name__))
        )

    if TYPE_CHECKING:

        def in_scope(
            self, staff: Staff, *, branch_ids: Iterable[int] | None = None
        ) -> ScopedQuerySet[_M]: ...

        def within(self, scope: StaffScope) -> ScopedQuerySet[_M]: ...

        def scope_condition(self, scope: StaffScope, *, via: str = "") -> models.Q: ...

        def for_partner(self, partner: PartnerPrincipal | None) -> ScopedQuerySet[_M]: ...
