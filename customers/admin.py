from django.contrib import admin

from crm.tenancy.admin_site import ReadOnlyAdmin, TenantScopedAdmin
from customers.imports.models import CustomerExport, ImportJob
from customers.models import (
    Assignment,
    BalanceSnapshot,
    Consent,
    Customer,
    CustomerRelationship,
    CustomerSettings,
    Holding,
    Product,
)


@admin.register(Customer)
class CustomerAdmin(TenantScopedAdmin):
    list_display = [
        "number",
        "name",
        "kind",
        "status",
        "home_branch",
        "relationship_manager",
        "tier",
        "risk_grade",
        "id_number_masked",
        "phone_masked",
    ]
    list_filter = ["kind", "status", "tier", "risk_grade"]
    search_fields = ["=number"]
    list_select_related = ["home_branch", "relationship_manager"]
    readonly_fields = ["id_number_masked", "phone_masked", "created_at", "updated_at"]
    show_full_result_count = False
    fields = [
        "tenant",
        "number",
        "kind",
        "name",
        "status",
        "gender",
        "birth_date",
        "occupation",
        "income_band",
        "address",
        "industry",
        "company_size",
        "legal_representative",
        "id_type",
        "id_number_masked",
        "phone_masked",
        "home_branch",
        "relationship_manager",
        "tier",
        "risk_grade",
        "created_at",
        "updated_at",
    ]

    def get_search_results(self, request, queryset, search_term):
        # Exact number, or a name prefix that stays index-backed under row-level security.
        if not search_term:
            return queryset, False
        return queryset.filter(number=search_term) | queryset.name_starts_with(search_term), False


@admin.register(Product)
class ProductAdmin(TenantScopedAdmin):
    list_display = ["code", "name", "category", "is_active"]
    list_filter = ["category", "is_active"]
    search_fields = ["code", "name"]


@admin.register(Holding)
class HoldingAdmin(TenantScopedAdmin):
    list_display = ["account_number", "customer", "product", "status", "balance", "opened_on"]
    list_filter = ["status", "product__category"]
    search_fields = ["=account_number", "=customer__number"]
    list_select_related = ["customer", "product"]
    raw_id_fields = ["customer"]
    show_full_result_count = False


@admin.register(BalanceSnapshot)
class BalanceSnapshotAdmin(TenantScopedAdmin):
    list_display = ["customer", "month", "deposits", "loans", "wealth", "aum"]
    search_fields = ["=customer__number"]
    raw_id_fields = ["customer"]
    list_select_related = ["customer"]
    show_full_result_count = False


@admin.register(CustomerRelationship)
class CustomerRelationshipAdmin(TenantScopedAdmin):
    list_display = ["from_customer", "kind", "to_customer"]
    list_filter = ["kind"]
    raw_id_fields = ["from_customer", "to_customer"]
    search_fields = ["=from_customer__number", "=to_customer__number"]


@admin.register(Consent)
class ConsentAdmin(TenantScopedAdmin):
    list_display = ["customer", "purpose", "channel", "granted", "source", "recorded_at"]
    list_filter = ["purpose", "channel", "granted", "source"]
    raw_id_fields = ["customer"]
    search_fields = ["=customer__number"]


@admin.register(Assignment)
class AssignmentAdmin(ReadOnlyAdmin, TenantScopedAdmin):
    list_display = [
        "customer",
        "kind",
        "previous_manager",
        "relationship_manager",
        "reason",
        "changed_by",
        "changed_at",
    ]
    list_filter = ["kind"]
    search_fields = ["=customer__number"]
    list_select_related = ["customer", "previous_manager", "relationship_manager", "changed_by"]


@admin.register(CustomerSettings)
class CustomerSettingsAdmin(TenantScopedAdmin):
    list_display = ["__str__", "pool_claim_limit"]


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdmin, TenantScopedAdmin):
    list_display = [
        "name",
        "kind",
        "status",
        "total",
        "created_rows",
        "updated_rows",
        "created_by",
        "created_at",
    ]
    list_filter = ["kind", "status"]
    list_select_related = ["created_by"]


@admin.register(CustomerExport)
class CustomerExportAdmin(ReadOnlyAdmin, TenantScopedAdmin):
    list_display = ["name", "exported_at", "exported_by", "file_format", "rows"]
    list_select_related = ["exported_by"]
