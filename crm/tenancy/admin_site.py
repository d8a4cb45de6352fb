"""The Django admin of the product: each bank's administrators see only their bank."""

from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


class CRMAdminSite(admin.AdminSite):
    site_header = _("Bank CRM administration")
    site_title = _("Bank CRM administration")
    index_title = _("Administration")
    site_url = "/"

    def has_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_staff

    def login(self, request, extra_context=None):
        if request.user.is_authenticated:
            # Logged in, but not an administrator: refuse rather than loop through login.
            raise PermissionDenied
        # One login page for everyone: it records logins in the tenant's audit trail.
        return redirect_to_login(request.GET.get("next") or reverse("admin:index"))


class TenantScopedAdmin(admin.ModelAdmin):
    """Admin of a tenant-owned model: scoped rows, the tenant field only for the platform."""

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if hasattr(queryset, "in_scope"):
            queryset = queryset.in_scope(request.user)
        return queryset

    def get_exclude(self, request, obj=None):
        exclude = list(super().get_exclude(request, obj) or [])
        if not request.user.is_platform_admin:
            exclude.append("tenant")
        return exclude

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        if not request.user.is_platform_admin and "tenant" in fields:
            fields.remove("tenant")
        return fields

    def get_list_display(self, request):
        columns = list(super().get_list_display(request))
        if request.user.is_platform_admin and "tenant" not in columns:
            columns.append("tenant")
        return columns

    def get_list_filter(self, request):
        filters = list(super().get_list_filter(request))
        if request.user.is_platform_admin and "tenant" not in filters:
            filters.insert(0, "tenant")
        return filters

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if not request.user.is_platform_admin:
            tenant = request.user.tenant

            class TenantBoundForm(form):
                def __init__(self, *args, **kwargs):
                    super().__init__(*args, **kwargs)
                    # Set before validation: model checks compare tenants.
                    if self.instance.tenant_id is None:
                        self.instance.tenant = tenant

            TenantBoundForm.__name__ = form.__name__
            return TenantBoundForm
        return form

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        queryset = db_field.related_model._default_manager.all()
        if "queryset" not in kwargs and hasattr(queryset, "in_scope"):
            kwargs["queryset"] = queryset.in_scope(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Admin of a record nobody edits (audit rows, job runs)."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
