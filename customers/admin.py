from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from crm.domain import DomainError, add_to_form
from crm.tenancy.admin_site import ReadOnlyAdmin, TenantScopedAdmin
from crm.tenancy.context import tenant_context
from customers import rules, services
from customers.intake.models import CustomerExport, ImportJob
from customers.models import (
    CUSTOMER_DETAILS,
    CUSTOMER_SUMMARY,
    Assignment,
    BalanceSnapshot,
    Consent,
    Customer,
    CustomerRelationship,
    CustomerSettings,
    Holding,
    Product,
)

RECORD = (*CUSTOMER_DETAILS, "home_branch", "relationship_manager", "tier", "risk_grade")


class CustomerAdminForm(forms.ModelForm):
    """The admin's customer form: identity numbers typed in clear, the record's rules applied
    by the service (``customers.rules``), its refusals shown on the fields."""

    id_number = forms.CharField(label=_("ID number"), max_length=40, required=False)
    phone = forms.CharField(label=_("Mobile phone number"), max_length=20, required=False)

    actor = None  # the staff member using the admin, set by CustomerAdmin.get_form

    class Meta:
        model = Customer
        fields = list(RECORD)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk is not None:
            for name in ("id_number", "phone"):
                self.fields[name].help_text = _("Leave empty to keep %(masked)s.") % {
                    "masked": getattr(self.instance, f"{name}_masked") or _("no number")
                }

    def service_arguments(self) -> dict:
        """Keyword arguments of ``customer_create``/``customer_update``; on a change, empty
        identity numbers keep the stored ones."""
        arguments = {name: self.cleaned_data.get(name) for name in RECORD}
        adding = self.instance.pk is None
        for name in ("id_number", "phone"):
            value = self.cleaned_data.get(name, "").strip()
            arguments[name] = value if value or adding else None
        return arguments

    def _post_clean(self):
        # The instance is the stored customer until the service changes it: the rules
        # compare with what it was (a kept manager, a kept number).
        if self.errors:
            return
        self.tenant = self.cleaned_data.get("tenant") or self.instance.tenant
        arguments = self.service_arguments()
        with tenant_context(self.tenant):
            stored = Customer.objects.get(pk=self.instance.pk) if self.instance.pk else None
            try:
                rules.check_record(arguments, actor=self.actor, customer=stored)
                duplicate = services.find_duplicate(
                    id_number=arguments["id_number"] or "",
                    phone=arguments["phone"] or "",
                    exclude_pk=self.instance.pk,
                )
                if duplicate is not None:
                    raise services.DuplicateCustomer(*duplicate)
            except DomainError as error:
                add_to_form(self, error)


@admin.register(Customer)
class CustomerAdmin(TenantScopedAdmin):
    form = CustomerAdminForm
    list_display = list(CUSTOMER_SUMMARY)
    list_filter = ["kind", "status", "tier", "risk_grade"]
    search_fields = ["=number"]
    list_select_related = ["home_branch", "relationship_manager"]
    readonly_fields = ["id_number_masked", "phone_masked", "created_at", "updated_at"]
    show_full_result_count = False
    fields = [
        "tenant",
        *CUSTOMER_DETAILS,
        "id_number",
        "id_number_masked",
        "phone",
        "phone_masked",
        "home_branch",
        "relationship_manager",
        "tier",
        "risk_grade",
        "created_at",
        "updated_at",
    ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        form.actor = self.actor(request)
        return form

    @staticmethod
    def actor(request):
        # The platform administrator is nobody's staff: like a partner system they act with
        # the whole bank as their scope, and the bank's history does not name them (the
        # admin log does).
        return None if request.user.is_platform_admin else request.user

    def save_model(self, request, obj, form, change):
        """Save through the customers services, as the pages do (history, duplicates)."""
        arguments = form.service_arguments()
        with tenant_context(form.tenant):
            if change:
                stored = Customer.objects.get(pk=obj.pk)
                services.customer_update(customer=stored, actor=form.actor, **arguments)
            else:
                obj.pk = services.customer_create(actor=form.actor, **arguments).pk
                obj._state.adding = False
            obj.refresh_from_db()

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
    list_display = ["from_customer", "kind", "to_customer", "ended_on"]
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
