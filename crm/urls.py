from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from crm.api.views import PartnerRevokeTokenView, PartnerTokenView
from crm.shell import views as shell_views

urlpatterns = [
    path("", shell_views.home, name="home"),
    path("accounts/login/", shell_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/two-factor/", include("crm.two_factor.urls")),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("audit/", include("crm.audit.urls")),
    path("notifications/", include("crm.notifications.urls")),
    path("approvals/", include("crm.approvals.urls")),
    path("customers/", include("customers.urls")),
    path("channels/", include("channels.urls")),
    path("marketing/", include("marketing.urls")),
    path("admin/", admin.site.urls),
    path("o/token/", PartnerTokenView.as_view(), name="oauth2-token"),
    path("o/revoke_token/", PartnerRevokeTokenView.as_view(), name="oauth2-revoke-token"),
    path("api/v1/", include("crm.api.urls")),
    path("healthz", shell_views.health, name="health"),
]

handler404 = "crm.errors.not_found"
handler500 = "crm.errors.server_error"
