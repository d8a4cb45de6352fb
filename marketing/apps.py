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
        # Registrations happen here and nowhere else (importing a module registers nothing).
        from crm.shell.demo import register_demo_loader
        from crm.shell.navigation import NavItem, register_nav_item
        from customers.panels import register_panel
        from marketing import audit, demo, panels, signals

        audit.register()
        register_demo_loader(demo.load_service_policy)
        signals.connect()
        register_panel(panels.SERVICE_LEVEL_PANEL)
        register_nav_item(
            NavItem(
                _("Tier service policy"),
                "marketing:service_policy",
                permission="marketing.view_tierservicepolicy",
                order=40,
            )
        )
        register_nav_item(
            NavItem(
                _("Service coverage"),
                "marketing:without_manager",
                permission="marketing.view_service_coverage",
                order=41,
            )
        )
