from datetime import datetime
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import GroupAdmin
from django.contrib.auth.forms import SetPasswordMixin
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_stubs_ext import StrOrPromise

from crm.api.scopes import scope_choices
from crm.http import staff_of
from crm.tenancy.admin_site import TenantScopedAdmin
from crm.tenancy.models import Branch, PartnerApplication, Staff, Tenant
from crm.tenancy.roles import Role
from crm.tenancy.services import staff_deactivate, staff_set_roles

if TYPE_CHECKING:
    from django.contrib.admin.options import _FieldOpts, _FieldsetSpec
    from django.utils.datastructures import _ListOrTuple


# Imported, django.contrib.auth's admin has registered the groups; ours replaces it.
admin.site.unregister(Group)


@admin.register(Group)
class RoleGroupAdmin(GroupAdmin):
    """The groups behind the roles (platform administrators only), by the roles' names."""

    list_display = ["role_name", "name"]

    @admin.display(description=_("role"), ordering="name")
    def role_name(self, group: Group) -> StrOrPromise:
        labels: dict[str, StrOrPromise] = dict(Role.choices)
        return labels.get(group.name, group.name)


class TenantForm(forms.ModelForm[Tenant]):
    two_factor_roles = forms.TypedMultipleChoiceField(
        label=_("roles that must use two-factor sign-in"),
        choices=Role.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=Tenant._meta.get_field("two_factor_roles").help_text,
    )

    class Meta:
        model = Tenant
        fields = [
            "code",
            "name",
            "short_name",
            "time_zone",
            "rm_scope",
            "two_factor_roles",
            "is_active",
        ]


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin[Tenant]):
    form = TenantForm
    list_display = ["code", "name", "short_name", "time_zone", "rm_scope", "is_active"]
    list_filter = ["is_active", "rm_scope"]
    search_fields = ["code", "name", "short_name"]

    def get_readonly_fields(self, request: HttpRequest, obj: Tenant | None = None) -> list[str]:
        if staff_of(request).is_platform_admin:
            return ["created_at"]
        return ["code", "is_active", "created_at"]


@admin.register(Branch)
class BranchAdmin(TenantScopedAdmin[Branch]):
    list_display = ["indented_name", "code", "kind", "parent", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name"]
    fields = ["tenant", "parent", "code", "name", "kind", "address", "is_active"]
    ordering = ["path"]
    list_select_related = ["parent"]

    @admin.display(description=_("name"), ordering="path")
    def indented_name(self, branch: Branch) -> str:
        return "\u3000" * branch.depth + branch.name

    def get_queryset(self, request: HttpRequest) -> QuerySet[Branch]:
        # Branches are scoped by their own subtree, not by a branch column.
        return super().get_queryset(request)


# SetPasswordMixin is generic for django-stubs only: it cannot be subscripted at run time.
class StaffForm(SetPasswordMixin, forms.ModelForm[Staff]):  # type: ignore[type-arg]
    roles = forms.MultipleChoiceField(
        label=_("roles"),
        choices=Role.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    password1, password2 = SetPasswordMixin.create_password_fields(
        label1=_("Password"), label2=_("Password confirmation")
    )

    class Meta:
        model = Staff
        fields = ["tenant", "username", "name", "employee_number", "email", "branch", "is_active"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["roles"].initial = sorted(self.instance.role_codes)
            self.fields["password1"].required = False
            self.fields["password2"].required = False
            self.fields["password1"].help_text = _("Leave empty to keep the current password.")
        else:
            self.fields["password1"].required = True
            self.fields["password2"].required = True

    def clean(self) -> dict[str, Any]:
        super().clean()
        cleaned = self.cleaned_data  # what ModelForm.clean() returns
        if cleaned.get("password1") or not self.instance.pk:
            self.validate_passwords()
        branch = cleaned.get("branch")
        tenant = cleaned.get("tenant") or self.instance.tenant
        if branch is None:
            self.add_error("branch", _("Every staff member works in a branch."))
        elif tenant is not None and branch.tenant_id != tenant.pk:
            self.add_error("branch", _("The branch must belong to the same bank."))
        return cleaned

    def _post_clean(self) -> None:
        super()._post_clean()  # type: ignore[misc]  # private to Django: not in django-stubs
        if self.cleaned_data.get("password1"):
            self.validate_password_for_user(self.instance)

    def save(self, commit: bool = True) -> Staff:
        staff = super().save(commit=False)
        if self.cleaned_data.get("password1"):
            staff.set_password(self.cleaned_data["password1"])
        elif not staff.pk:
            staff.set_unusable_password()
        if commit:
            staff.save()
            self.save_roles(staff)
        return staff

    def save_roles(self, staff: Staff) -> None:
        staff_set_roles(staff=staff, roles=self.cleaned_data.get("roles", []))


class RoleFilter(admin.SimpleListFilter):
    """Filter by role, by its name: the groups behind the roles are named with codes."""

    title = _("role")
    parameter_name = "role"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, StrOrPromise]]:
        return list(Role.choices)

    def queryset(self, request: HttpRequest, queryset: QuerySet[Staff]) -> QuerySet[Staff]:
        value = self.value()
        return queryset.filter(groups__name=value) if value else queryset


@admin.register(Staff)
class StaffAdmin(TenantScopedAdmin[Staff]):
    form = StaffForm
    list_display = ["username", "name", "employee_number", "branch", "role_list", "is_active"]
    list_filter = ["is_active", RoleFilter, "branch__kind"]
    search_fields = ["username", "name", "employee_number"]
    list_select_related = ["branch", "tenant"]
    actions = ["deactivate"]
    readonly_fields = ["last_login", "date_joined", "two_factor"]

    def get_fieldsets(self, request: HttpRequest, obj: Staff | None = None) -> "_FieldsetSpec":
        fields: list[str | _ListOrTuple[str]] = [
            "username",
            "name",
            "employee_number",
            "email",
            "branch",
            "roles",
            "is_active",
        ]
        if staff_of(request).is_platform_admin:
            fields.insert(0, "tenant")
        fieldsets: list[tuple[StrOrPromise | None, _FieldOpts]] = [
            (None, {"fields": fields}),
            (_("Password"), {"fields": ["password1", "password2"]}),
        ]
        if obj is not None:
            activity: list[str | _ListOrTuple[str]] = ["last_login", "date_joined"]
            if staff_of(request).has_perm("tenancy.reset_two_factor"):
                activity.append("two_factor")
            fieldsets.append((_("Activity"), {"fields": activity}))
        return fieldsets

    def get_queryset(self, request: HttpRequest) -> QuerySet[Staff]:
        queryset = super().get_queryset(request).prefetch_related("groups")
        staff = staff_of(request)
        if staff.is_platform_admin:
            return queryset
        return queryset.filter(tenant=staff.tenant)

    @admin.display(description=_("two-factor sign-in"))
    def two_factor(self, staff: Staff) -> str:
        # The reset is audited with a reason: it has its own page (crm/two_factor).
        return format_html(
            '<a href="{}">{}</a>',
            reverse("two_factor:reset", args=[staff.pk]),
            _("Reset two-factor sign-in…"),
        )

    @admin.display(description=_("roles"))
    def role_list(self, staff: Staff) -> str:
        names = {group.name for group in staff.groups.all()}
        return "、".join(str(role.label) for role in Role if role.value in names)

    def save_model(self, request: HttpRequest, obj: Staff, form: StaffForm, change: bool) -> None:
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            form.save_roles(obj)

    def save_related(
        self, request: HttpRequest, form: StaffForm, formsets: Any, change: bool
    ) -> None:
        # Roles are saved by the form through staff_set_roles (with the tenant on each grant).
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def has_delete_permission(self, request: HttpRequest, obj: Staff | None = None) -> bool:
        # Staff are deactivated, never deleted: their actions stay attributable.
        return staff_of(request).is_platform_admin and super().has_delete_permission(request, obj)

    @admin.action(description=_("Deactivate selected staff"), permissions=["change"])
    def deactivate(self, request: HttpRequest, queryset: QuerySet[Staff]) -> None:
        count = 0
        for staff in queryset.filter(is_active=True):
            if staff.pk == request.user.pk:
                continue
            staff_deactivate(staff=staff)
            count += 1
        self.message_user(
            request,
            ngettext(
                "%(count)d staff member deactivated.",
                "%(count)d staff members deactivated.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )


class PartnerApplicationForm(forms.ModelForm[PartnerApplication]):
    scopes = forms.MultipleChoiceField(
        label=_("allowed scopes"),
        choices=scope_choices,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = PartnerApplication
        fields = ["tenant", "name", "client_id", "client_secret", "is_active", "allowed_networks"]
        widgets = {"allowed_networks": forms.Textarea(attrs={"rows": 3, "cols": 40})}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["scopes"].initial = self.instance.allowed_scopes
        if "client_secret" in self.fields:
            self.fields["client_secret"].help_text = _(
                "Copy the secret now and give it to the partner: it is stored hashed and "
                "cannot be shown again."
            )

    def save(self, commit: bool = True) -> PartnerApplication:
        application = super().save(commit=False)
        application.scope = " ".join(sorted(self.cleaned_data["scopes"]))
        application.client_type = PartnerApplication.CLIENT_CONFIDENTIAL
        application.authorization_grant_type = PartnerApplication.GRANT_CLIENT_CREDENTIALS
        application.hash_client_secret = True
        if commit:
            application.save()
        return application


# Registered by django-oauth-toolkit's admin through OAUTH2_PROVIDER["APPLICATION_ADMIN_CLASS"].
class PartnerApplicationAdmin(TenantScopedAdmin[PartnerApplication]):
    form = PartnerApplicationForm
    list_display = ["name", "client_id", "scope", "is_active", "created_display"]
    list_filter = ["is_active"]
    search_fields = ["name", "client_id"]

    # The toolkit's own label, "created", is the count of rows created in our catalogue.
    @admin.display(description=_("created at"), ordering="created")
    def created_display(self, application: PartnerApplication) -> datetime:
        created: datetime = application.created  # untyped oauth2_provider field
        return created

    def get_fields(
        self, request: HttpRequest, obj: PartnerApplication | None = None
    ) -> list[str | list[str] | tuple[str, ...]]:
        fields: list[str | list[str] | tuple[str, ...]] = [
            "name",
            "client_id",
            "scopes",
            "is_active",
            "allowed_networks",
        ]
        if obj is None:
            fields.insert(2, "client_secret")
        if staff_of(request).is_platform_admin:
            fields.insert(0, "tenant")
        return fields

    def get_readonly_fields(
        self, request: HttpRequest, obj: PartnerApplication | None = None
    ) -> list[str]:
        return ["client_id"] if obj is not None else []
