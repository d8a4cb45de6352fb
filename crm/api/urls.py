from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from crm.api.branches import BranchViewSet

router = SimpleRouter()
router.register("branches", BranchViewSet, basename="branch")

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include(router.urls)),
    path("", include("customers.api.urls")),
    path("", include("channels.api.urls")),
    path("", include("marketing.api")),
]
