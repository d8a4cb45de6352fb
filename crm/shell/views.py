from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache

from crm.http import StaffRequest
from crm.shell import selectors
from crm.shell.widgets import rendered_widgets


def home(request: StaffRequest) -> HttpResponse:
    """Each role's landing page: the widgets of every app that this person may see."""
    staff = request.user
    if staff.is_platform_admin:
        return render(
            request, "shell/platform_home.html", {"tenants": selectors.platform_overview()}
        )
    context = {"roles": staff.roles, "widgets": rendered_widgets(request)}
    return render(request, "shell/home.html", context)


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
