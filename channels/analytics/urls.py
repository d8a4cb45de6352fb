from django.urls import path

from channels.analytics import views

urlpatterns = [
    path("", views.analytics, name="analytics"),
    path("export.csv", views.analytics_export, name="analytics_export"),
]
