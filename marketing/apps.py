from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MarketingConfig(AppConfig):
    """Customer value (contribution, tiers, the tier service policy) and, later, campaigns.

    Builds on ``customers`` and ``channels`` through their public modules and registries;
    never imports ``risk`` (what the two share lives in ``customers`` or ``crm``).
    """

    name = "marketing"
    verbose_name = _("Marketing")

    def ready(self) -> None:
        # Every registration of the app, here and nowhere else (importing a module of
        # marketing registers nothing).
        from channels.services import register_after_rollup
        from crm.api.scopes import register_scope
        from crm.approvals.registry import register_approval_action
        from crm.shell.demo import register_demo_loader
        from crm.shell.navigation import NavItem, register_nav_item
        from customers.panels import register_panel
        from marketing import (
            approvals,
            audit,
            demo,
            panels,
            personal_data,
            signals,
            tasks,
            value_panel,
        )

        register_approval_action(approvals.TIER_RULES)
        register_approval_action(approvals.MANUAL_TIER)
        audit.register()
        register_demo_loader(demo.load_service_policy)
        register_demo_loader(demo.load_marketing)
        register_scope(
            "contributions:write",
            _("Load customers' monthly income (contribution) from the finance system"),
        )
        # Every bank has tier rules and a service policy from its first day (existing
        # banks: the migrations).
        signals.connect()
        register_panel(panels.SERVICE_LEVEL_PANEL)
        register_panel(value_panel.VALUE_PANEL)
        personal_data.register()
        register_after_rollup(tasks.score_after_rollup)
        for title, url, permission, order in [
            (_("Tier rules"), "marketing:tier_rules", "marketing.view_tierruleset", 40),
            (_("Manual tiers"), "marketing:manual_tiers", "marketing.view_manualtier", 41),
            (
                _("Tier service policy"),
                "marketing:service_policy",
                "marketing.view_tierservicepolicy",
                42,
            ),
            (
                _("Service coverage"),
                "marketing:without_manager",
                "marketing.view_service_coverage",
                43,
            ),
            (
                _("Tier reports"),
                "marketing:tier_distribution",
                "marketing.view_service_coverage",
                44,
            ),
        ]:
            register_nav_item(NavItem(title, url, permission=permission, order=order))
