"""Run a block in the scope a staff member's own data lives in."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

from crm.tenancy.context import platform_wide, tenant_context

if TYPE_CHECKING:
    from crm.tenancy.models import Staff, Tenant


def scope_of(staff: Staff | None) -> AbstractContextManager[Tenant | None]:
    """Return the context in which rows about ``staff`` are read and written.

    Staff of a bank: that bank. Platform administrators (no tenant): platform-wide.
    """
    if staff is not None and staff.tenant is not None:
        return tenant_context(staff.tenant)
    return platform_wide()
