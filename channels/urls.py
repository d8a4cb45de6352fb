from django.urls import include, path

app_name = "channels"
urlpatterns = [
    path("analytics/", include("channels.analytics.urls")),
    path("", include("channels.views.urls")),
]
