"""The current tenant of a request or a task, kept in a context variable.

Three things set it: ``TenantMiddleware`` from the logged-in staff member, the API from the
partner application's tenant after authentication, and ``tenant_task`` from a task's
``tenant_id`` argument. Code that must see every tenant (the platform administrators'
admin, authentication before the tenant is known, the fan-out of periodic jobs) says so
explicitly with ``platform_wide()``.

The database backend (``crm.db``) copies this state into each transaction with
``set_config(..., true)``, where row-level security reads it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from crm.tenancy.models import Tenant


class NoTenantError(RuntimeError):
    """Tenant data was queried with no tenant set and outside platform-wide code."""


@dataclass(frozen=True)
class Scope:
    tenant: Tenant | None = None
    platform_wide: bool = False

    @property
    def tenant_id(self) -> int | None:
        return self.tenant.pk if self.tenant is not None else None


_NO_SCOPE = Scope()
_scope: ContextVar[Scope] = ContextVar("crm_tenant_scope", default=_NO_SCOPE)


def current_scope() -> Scope:
    return _scope.get()


def current_tenant() -> Tenant | None:
    return _scope.get().tenant


def current_tenant_id() -> int | None:
    return _scope.get().tenant_id


def require_tenant() -> Tenant:
    """Return the current tenant; raise when there is none."""
    tenant = _scope.get().tenant
    if tenant is None:
        raise NoTenantError("No tenant is set for this request or task.")
    return tenant


def activate_tenant(tenant: Tenant | None) -> Token[Scope]:
    """Make ``tenant`` current until ``deactivate`` is called with the returned token."""
    if tenant is None or tenant.pk is None:
        raise NoTenantError("Cannot activate an unsaved or missing tenant.")
    return _scope.set(Scope(tenant=tenant))


def activate_platform_wide() -> Token[Scope]:
    return _scope.set(Scope(platform_wide=True))


def deactivate(token: Token[Scope]) -> None:
    _scope.reset(token)


@contextmanager
def tenant_context(tenant: Tenant) -> Iterator[Tenant]:
    """Run the block as ``tenant``: scoped managers and row-level security see only it."""
    token = activate_tenant(tenant)
    try:
        yield tenant
    finally:
        deactivate(token)


@contextmanager
def platform_wide() -> Iterator[None]:
    """Run the block across all tenants. Only platform code may do this."""
    token = activate_platform_wide()
    try:
        yield
    finally:
        deactivate(token)


@contextmanager
def no_tenant() -> Iterator[None]:
    """Run the block with no tenant at all, e.g. to prove that nothing is visible."""
    token = _scope.set(_NO_SCOPE)
    try:
        yield
    finally:
        deactivate(token)
