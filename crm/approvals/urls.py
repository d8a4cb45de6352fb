from django.urls import path

from crm.approvals import views

app_name = "approvals"
urlpatterns = [
    path("", views.proposal_list, name="list"),
    path("<int:pk>/", views.proposal_detail, name="detail"),
]
