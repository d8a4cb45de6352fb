from django.urls import path

from customers.views import assignments, listing, record, relationships

urlpatterns = [
    path("", listing.customer_list, name="list"),
    path("managers/", listing.manager_lookup, name="managers"),
    path("handover/selected/", listing.handover_selected, name="handover_selected"),
    path("handover/", assignments.book_handover, name="handover"),
    path("pool/", assignments.pool, name="pool"),
    path("pool/<int:pk>/claim/", assignments.claim, name="claim"),
    path("new/", record.customer_create, name="create"),
    path("<int:pk>/", record.customer_detail, name="detail"),
    path("<int:pk>/panels/<slug:panel>/", record.customer_panel, name="panel"),
    path("<int:pk>/edit/", record.customer_edit, name="edit"),
    path("<int:pk>/reveal/", record.reveal, name="reveal"),
    path(
        "<int:pk>/relationships/new/",
        relationships.relationship_add,
        name="relationship_add",
    ),
    path(
        "<int:pk>/relationships/<int:relationship_pk>/correct/",
        relationships.relationship_correct,
        name="relationship_correct",
    ),
    path(
        "<int:pk>/relationships/<int:relationship_pk>/end/",
        relationships.relationship_end,
        name="relationship_end",
    ),
]
