"""Partner feed batches in Django admin: read-only, for the bank's administrators and auditors."""

from django.contrib import admin

from crm.audit.models import FeedBatch
from crm.tenancy.admin_site import ReadOnlyAdmin, TenantScopedAdmin


@admin.register(FeedBatch)
class FeedBatchAdmin(ReadOnlyAdmin[FeedBatch], TenantScopedAdmin[FeedBatch]):
    list_display = [
        "received_at",
        "partner_name",
        "feed",
        "items",
        "created",
        "updated",
        "unchanged",
        "outcome",
        "refused",
    ]
    list_filter = ["feed", "outcome"]
    search_fields = ["partner_name", "feed"]
    date_hierarchy = "received_at"
