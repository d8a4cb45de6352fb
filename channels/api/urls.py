from django.urls import path
from rest_framework.routers import SimpleRouter

from channels.api.interactions import InteractionBulkView
from channels.api.service_requests import ServiceRequestViewSet

router = SimpleRouter()
router.register("service-requests", ServiceRequestViewSet, basename="service-request")

urlpatterns = [
    *router.urls,
    path("interactions/bulk", InteractionBulkView.as_view(), name="interaction-bulk"),
]
