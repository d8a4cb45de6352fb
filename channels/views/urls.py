from django.urls import path

from channels.views import preferences, service_requests, timeline

urlpatterns = [
    path("customers/<int:customer_pk>/timeline/", timeline.timeline, name="timeline"),
    path(
        "customers/<int:customer_pk>/interactions/new/",
        timeline.interaction_new,
        name="interaction_new",
    ),
    path(
        "customers/<int:customer_pk>/interactions/",
        timeline.interaction_log,
        name="interaction_log",
    ),
    path(
        "customers/<int:customer_pk>/requests/new/",
        service_requests.request_open,
        name="request_open",
    ),
    path("requests/", service_requests.queues, name="requests"),
    path("requests/<int:pk>/", service_requests.request_detail, name="request_detail"),
    path("requests/<int:pk>/move/", service_requests.request_move, name="request_move"),
    path(
        "requests/<int:pk>/reassign/",
        service_requests.request_reassign,
        name="request_reassign",
    ),
    path(
        "customers/<int:customer_pk>/preferences/",
        preferences.preferences_edit,
        name="preferences",
    ),
    path(
        "customers/<int:customer_pk>/preferences/panel/",
        preferences.preferences_panel,
        name="preferences_panel",
    ),
    path(
        "customers/<int:customer_pk>/consents/",
        preferences.consent_record,
        name="consent_record",
    ),
]
