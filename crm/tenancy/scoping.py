"""Run a block in the scope a staff member's own data lives in."""

from contextlib import AbstractContextManager

from crm.tenancy.context import platform_wide, tenant_context


def scope_of(staff) -> AbstractContextManager:
    """Return the context in which rows about ``staff`` are read and written.

    Staff of a bank: that bank. Platform administrators (no tenant): platform-wide.
    """
    if staff is not None and staff.tenant_id is not None:
        return tenant_context(staff.tenant)
    return platform_wide()
