from django.urls import path

from marketing.views import coverage, service_policy, tier_reports, tiers

app_name = "marketing"
urlpatterns = [
    path("tier-rules/", tiers.tier_rules, name="tier_rules"),
    path("manual-tiers/", tiers.manual_tiers, name="manual_tiers"),
    path(
        "manual-tiers/<int:pk>/withdraw/", tiers.manual_tier_withdraw, name="manual_tier_withdraw"
    ),
    path("service-policy/", service_policy.service_policy, name="service_policy"),
    path(
        "service-policy/<slug:tier>/",
        service_policy.service_policy_edit,
        name="service_policy_edit",
    ),
    path("coverage/without-manager/", coverage.without_manager, name="without_manager"),
    path(
        "coverage/without-manager.csv",
        coverage.without_manager_export,
        name="without_manager_export",
    ),
    path("coverage/over-book-caps/", coverage.over_book_caps, name="over_book_caps"),
    path(
        "coverage/over-book-caps.csv",
        coverage.over_book_caps_export,
        name="over_book_caps_export",
    ),
    path("tiers/distribution/", tier_reports.tier_distribution, name="tier_distribution"),
    path(
        "tiers/distribution.csv",
        tier_reports.tier_distribution_export,
        name="tier_distribution_export",
    ),
    path("tiers/migration/", tier_reports.tier_migration, name="tier_migration"),
    path("tiers/migration.csv", tier_reports.tier_migration_export, name="tier_migration_export"),
]
