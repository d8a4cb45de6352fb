from django.contrib import admin

from crm.tenancy.admin_site import ReadOnlyAdmin, TenantScopedAdmin
from marketing.models import ManualTier, TierRuleSet


# Both are written only through maker-checker (the marketing pages): read-only here.
@admin.register(TierRuleSet)
class TierRuleSetAdmin(ReadOnlyAdmin[TierRuleSet], TenantScopedAdmin[TierRuleSet]):
    list_display = [
        "kind",
        "version",
        "effective_from",
        "new_customer_months",
        "bz_months",
        "mvc_top_percent",
        "mvc_min_contribution",
        "mgc_min_potential",
        "downgrade_months",
        "approved_by",
    ]
    list_filter = ["kind"]
    list_select_related = ["approved_by"]


@admin.register(ManualTier)
class ManualTierAdmin(ReadOnlyAdmin[ManualTier], TenantScopedAdmin[ManualTier]):
    list_display = ["customer", "tier", "starts_on", "expires_on", "requested_by", "withdrawn_at"]
    list_filter = ["tier"]
    search_fields = ["=customer__number"]
    list_select_related = ["customer", "requested_by"]
    show_full_result_count = False
