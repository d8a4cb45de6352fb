from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache

from crm.audit.selectors import recent_audit_entries
from crm.http import StaffRequest
from crm.tenancy import selectors
from crm.tenancy.roles import Role


def home(request: StaffRequest) -> HttpResponse:
    """Each role's landing page: their branch, their colleagues, their own work."""
    staff = request.user
    if staff.is_platform_admin:
        return render(
            request, "tenancy/platform_home.html", {"tenants": selectors.platform_overview()}
        )
    # Staff of a bank have both (a database constraint): only platform admins have neither.
    assert staff.branch is not None and staff.tenant is not None
    context = {
        "branch": staff.branch,
        "branch_ancestors": staff.branch.ancestors(),
        "branches": selectors.branches_in_scope(staff),
        "colleagues": selectors.colleagues_in_scope(staff),
        "roles": staff.roles,
        "role_labels": Role.choices,
    }
    if staff.has_role(Role.TENANT_ADMIN):
        context["admin_overview"] = selectors.tenant_admin_overview(staff)
    if staff.has_perm("audit.view_audit_trail"):
        context["audit_entries"] = recent_audit_entries(tenant=staff.tenant, limit=8)
    return render(request, "tenancy/home.html", context)


@method_decorator(never_cache, name="dispatch")
class LoginView(auth_views.LoginView):
    redirect_authenticated_user = True


@login_not_required
@never_cache
def health(request: HttpRequest) -> JsonResponse:
    """Liveness and database check for load balancers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
