from django.urls import include, path

app_name = "customers"
urlpatterns = [
    path("imports/", include("customers.intake.urls")),
    path("", include("customers.views.urls")),
]
