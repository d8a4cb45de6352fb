from django.utils import translation

from channels.catalog import ensure_standard_catalog
from channels.models import Channel, ServiceRequestType
from crm.tenancy.context import tenant_context


def standard_catalog(tenant) -> dict:
    """Give ``tenant`` the standard channels and request types; return them by code."""
    with tenant_context(tenant), translation.override("zh-hans"):
        ensure_standard_catalog(tenant)
        channels = {c.code: c for c in Channel.objects.all()}
        request_types = {t.code: t for t in ServiceRequestType.objects.all()}
    return {"channels": channels, "request_types": request_types}
