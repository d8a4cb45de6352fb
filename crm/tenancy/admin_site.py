"""The Django admin of the product: each bank's administrators see only their bank."""

from typing import Any, TypeVar

from django import forms
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import ForeignKey, Model, QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from crm.http import staff_of

_M = TypeVar("_M", bound=Model)


class CRMAdminSite(admin.AdminSite):
    site_header = _("Bank CRM administration")
    site_title = _("Bank CRM administration")
    index_title = _("Administration")
    site_url = "/"

    def has_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_staff

    def login(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if request.user.is_authenticated:
            # Logged in, but not an administrator: refuse rather than loop through login.
            raise PermissionDenied
        # One login page for everyone: it records logins in the tenant's audit trail.
        return redirect_to_login(request.GET.get("next") or reverse("admin:index"))


class TenantScopedAdmin(admin.ModelAdmin[_M]):
    """Admin of a tenant-owned model: scoped rows, the tenant field only for the platform."""

    def get_queryset(self, request: HttpRequest) -> QuerySet[_M]:
        queryset = super().get_queryset(request)
        if hasattr(queryset, "in_scope"):
            queryset = queryset.in_scope(staff_of(request))
        return queryset

    def get_exclude(self, request: HttpRequest, obj: _M | None = None) -> list[str]:
        exclude = list(super().get_exclude(request, obj) or [])
        if not staff_of(request).is_platform_admin:
            exclude.append("tenant")
        return exclude

    def get_fields(
        self, request: HttpRequest, obj: _M | None = None
    ) -> list[str | list[str] | tuple[str, ...]]:
        fields = list(super().get_fields(request, obj))
        if not staff_of(request).is_platform_admin and "tenant" in fields:
            fields.remove("tenant")
        return fields

    def get_list_display(self, request: HttpRequest) -> list[Any]:
        columns = list(super().get_list_display(request))
        if staff_of(request).is_platform_admin and "tenant" not in columns:
            columns.append("tenant")
        return columns

    def get_list_filter(self, request: HttpRequest) -> list[Any]:
        filters = list(super().get_list_filter(request))
        if staff_of(request).is_platform_admin and "tenant" not in filters:
            filters.insert(0, "tenant")
        return filters

    def get_form(
        self, request: HttpRequest, obj: _M | None = None, change: bool = False, **kwargs: Any
    ) -> type[forms.ModelForm[_M]]:
        form = super().get_form(request, obj, change, **kwargs)
        staff = staff_of(request)
        if not staff.is_platform_admin:
            tenant = staff.tenant

            # A subclass of the form class the admin builds at run time, unknown to mypy.
            class TenantBoundForm(form):  # type: ignore[valid-type, misc]
                def __init__(self, *args: Any, **kwargs: Any) -> None:
                    super().__init__(*args, **kwargs)
                    # Set before validation: model checks compare tenants.
                    if self.instance.tenant_id is None:
                        self.instance.tenant = tenant

            TenantBoundForm.__name__ = form.__name__
            return TenantBoundForm
        return form

    def formfield_for_foreignkey(
        self, db_field: ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> forms.ModelChoiceField[Any] | None:
        # related_model is "self" only until the app registry resolves it to the class.
        queryset = db_field.related_model._default_manager.all()  # type: ignore[union-attr]
        if "queryset" not in kwargs and hasattr(queryset, "in_scope"):
            kwargs["queryset"] = queryset.in_scope(staff_of(request))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ReadOnlyAdmin(admin.ModelAdmin[_M]):
    """Admin of a record nobody edits (audit rows, job runs)."""

    def has_add_permission(self, request: HttpRequest, obj: _M | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: _M | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: _M | None = None) -> bool:
        return False
