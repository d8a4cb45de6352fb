from django.contrib import admin

from channels.models import (
    Channel,
    ChannelPreference,
    Interaction,
    Outlet,
    ServiceRequest,
    ServiceRequestType,
)
from crm.tenancy.admin_site import ReadOnlyAdmin, TenantScopedAdmin


@admin.register(Channel)
class ChannelAdmin(TenantScopedAdmin):
    list_display = ["code", "name", "kind", "is_electronic", "cost_per_transaction", "is_active"]
    list_filter = ["kind", "is_electronic", "is_active"]
    search_fields = ["code", "name"]


@admin.register(Outlet)
class OutletAdmin(TenantScopedAdmin):
    list_display = ["code", "name", "kind", "outlet_model", "branch", "channel", "is_active"]
    list_filter = ["kind", "outlet_model", "is_active"]
    search_fields = ["code", "name"]
    list_select_related = ["branch", "channel"]


@admin.register(ServiceRequestType)
class ServiceRequestTypeAdmin(TenantScopedAdmin):
    list_display = ["code", "name", "sla_hours", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name"]


@admin.register(ServiceRequest)
class ServiceRequestAdmin(ReadOnlyAdmin, TenantScopedAdmin):
    list_display = ["number", "request_type", "customer", "status", "owner", "team", "due_at"]
    list_filter = ["status", "request_type"]
    search_fields = ["=number"]
    list_select_related = ["request_type", "customer", "owner", "team"]
    show_full_result_count = False


@admin.register(Interaction)
class InteractionAdmin(ReadOnlyAdmin, TenantScopedAdmin):
    list_display = ["occurred_at", "customer", "channel", "kind", "direction", "amount", "source"]
    list_filter = ["kind", "channel", "direction"]
    search_fields = ["=customer__number", "=external_id"]
    list_select_related = ["customer", "channel"]
    show_full_result_count = False


@admin.register(ChannelPreference)
class ChannelPreferenceAdmin(TenantScopedAdmin):
    list_display = [
        "customer",
        "preferred_channel",
        "contact_from",
        "contact_until",
        "do_not_contact",
    ]
    raw_id_fields = ["customer"]
    search_fields = ["=customer__number"]
