from django.contrib import admin

from crm.tenancy.admin_site import TenantScopedAdmin
from marketing.models import ProductSpread


@admin.register(ProductSpread)
class ProductSpreadAdmin(TenantScopedAdmin):
    """The bank's funds-transfer-pricing spreads, one period after another per product."""

    list_display = ["product", "annual_rate", "valid_from", "valid_until"]
    list_filter = ["product__category"]
    search_fields = ["product__code", "product__name"]
    list_select_related = ["product"]
    ordering = ["product__code", "-valid_from"]
