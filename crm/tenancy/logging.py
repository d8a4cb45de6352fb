import logging

from crm.tenancy.context import current_scope


class RequestContextFilter(logging.Filter):
    """Add the current tenant (and staff, when known) to every log record."""

    def filter(self, record: logging.LogRecord) -> bool:
        scope = current_scope()
        if not hasattr(record, "tenant"):
            record.tenant = "platform" if scope.platform_wide else (scope.tenant_id or "-")
        if not hasattr(record, "staff"):
            record.staff = "-"
        return True
