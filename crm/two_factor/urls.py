from django.urls import path

from crm.two_factor import views

app_name = "two_factor"
urlpatterns = [
    path("", views.account, name="account"),
    path("code/", views.verify, name="verify"),
    path("set-up/", views.enrol, name="enrol"),
    path("recovery-codes/", views.recovery_codes, name="recovery_codes"),
    path("staff/", views.staff_list, name="staff"),
    path("staff/<int:pk>/reset/", views.staff_reset, name="reset"),
]
