"""Marketing's tables in the bank administrators' admin site."""

from django.contrib import admin

from crm.tenancy.admin_site import ReadOnlyAdmin, TenantScopedAdmin
from marketing.models import ManualTier, ProductSpread, TierRuleSet


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


@admin.register(ProductSpread)
class ProductSpreadAdmin(TenantScopedAdmin):
    """The bank's funds-transfer-pricing spreads, one period after another per product."""

    list_display = ["product", "annual_rate", "valid_from", "valid_until"]
    list_filter = ["product__category"]
    search_fields = ["product__code", "product__name"]
    list_select_related = ["product"]
    ordering = ["product__code", "-valid_from"]
