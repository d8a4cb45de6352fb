"""The one way in to tenant data: managers scoped to the current tenant."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, Self, TypeVar

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.sql.compiler import SQLCompiler

from crm.tenancy.context import NoTenantError, current_scope

if TYPE_CHECKING:
    from crm.tenancy.models import Staff

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


class ScopedQuerySet(models.QuerySet[_M]):
    """Queries over one tenant's rows, narrowed further to what a staff member may see."""

    #: Path from the model to the branch that decides who may see a row. None: whole tenant.
    scope_branch_field: str | None = None

    def in_scope(self, staff: Staff, *, branch_ids: Iterable[int] | None = None) -> Self:
        """Return the rows this staff member may see.

        Head-office staff see the whole bank, branch staff their branch's subtree. Platform
        administrators (no tenant) see what the platform-wide scope gives them.

        ``branch_ids`` narrows the rows to those branches, the ones in scope. It is one
        condition with the scope's: a second ``IN`` list on the same column would make
        PostgreSQL multiply both selectivities, expect far too few rows and choose the
        wrong index.
        """
        if branch_ids is not None and self.scope_branch_field is None:
            raise TypeError(f"{self.model.__name__} rows belong to no branch to narrow by.")
        if staff.is_platform_admin:
            queryset, scope = self, None
        else:
            queryset, scope = self.filter(tenant_id=staff.tenant_id), staff.scope_branch_ids
        if branch_ids is not None:
            allowed = None if scope is None else set(scope)
            scope = [pk for pk in branch_ids if allowed is None or pk in allowed]
        if scope is None or self.scope_branch_field is None:
            return queryset
        return queryset.filter(**{f"{self.scope_branch_field}__in": scope})


if TYPE_CHECKING:
    # For mypy a plain Manager with in_scope declared below: the plugin cannot make a
    # manager class from from_queryset() the base of the apps' from_queryset() managers.
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
