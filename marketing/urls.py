from django.urls import path

from marketing import views

app_name = "marketing"
urlpatterns = [
    path("tier-rules/", views.tier_rules, name="tier_rules"),
    path("manual-tiers/", views.manual_tiers, name="manual_tiers"),
    path(
        "manual-tiers/<int:pk>/withdraw/", views.manual_tier_withdraw, name="manual_tier_withdraw"
    ),
]
