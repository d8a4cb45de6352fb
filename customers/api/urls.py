from django.urls import path
from rest_framework.routers import SimpleRouter

from customers.api.bulk import BalanceSnapshotBulkView, HoldingBulkView
from customers.api.consents import ConsentBulkView, ConsentViewSet
from customers.api.customers import CustomerViewSet
from customers.api.relationships import RelationshipViewSet

router = SimpleRouter()
router.register("customers", CustomerViewSet, basename="customer")
router.register("consents", ConsentViewSet, basename="consent")
router.register("relationships", RelationshipViewSet, basename="relationship")

urlpatterns = [
    *router.urls,
    path("consents/bulk", ConsentBulkView.as_view(), name="consent-bulk"),
    path("holdings/bulk", HoldingBulkView.as_view(), name="holding-bulk"),
    path(
        "balance-snapshots/bulk",
        BalanceSnapshotBulkView.as_view(),
        name="balance-snapshot-bulk",
    ),
]
