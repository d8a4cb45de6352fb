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
        # Every registration of the app, here and nowhere else.
        from crm.api.scopes import register_scope
        from crm.shell.demo import register_demo_loader
        from marketing import audit, demo

        audit.register()
        register_demo_loader(demo.load_marketing)
        register_scope(
            "contributions:write",
            _("Load customers' monthly income (contribution) from the finance system"),
        )
