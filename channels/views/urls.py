from django.urls import path

from channels.views import follow_ups, preferences, service_requests, timeline

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
    path(
        "customers/<int:customer_pk>/follow-ups/new/",
        follow_ups.follow_up_new,
        name="follow_up_new",
    ),
    path("follow-ups/", follow_ups.my_follow_ups, name="follow_ups"),
    path("follow-ups/team/", follow_ups.team, name="follow_ups_team"),
    path("follow-ups/<int:pk>/", follow_ups.follow_up_detail, name="follow_up_detail"),
    path("follow-ups/<int:pk>/complete/", follow_ups.follow_up_complete, name="follow_up_complete"),
    path("follow-ups/<int:pk>/cancel/", follow_ups.follow_up_cancel, name="follow_up_cancel"),
    path("follow-ups/<int:pk>/reassign/", follow_ups.follow_up_reassign, name="follow_up_reassign"),
]
