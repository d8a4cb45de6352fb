from django.urls import path

from customers.intake import views

# Included at /customers/imports/ under the "customers" namespace.
urlpatterns = [
    path("", views.import_upload, name="import_upload"),
    path("template/<str:kind>/", views.import_template, name="import_template"),
    path("jobs/<int:pk>/", views.import_preview, name="import_preview"),
    path("jobs/<int:pk>/status/", views.import_status, name="import_status"),
    path("jobs/<int:pk>/apply/", views.import_apply, name="import_apply"),
    path("jobs/<int:pk>/discard/", views.import_discard, name="import_discard"),
    path("jobs/<int:pk>/errors/", views.import_errors, name="import_errors"),
    path("export/", views.export, name="export"),
    path("<int:pk>/personal-data/", views.personal_data_copy, name="personal_data_copy"),
]
