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
        from django.db.models.signals import post_save

        from crm.approvals.registry import register_approval_action
        from crm.shell.navigation import NavItem, register_nav_item
        from crm.tenancy.models import Tenant
        from marketing import approvals, audit, services

        register_approval_action(approvals.TIER_RULES)
        register_approval_action(approvals.MANUAL_TIER)
        audit.register()
        # Every bank has tier rules from its first day (existing banks: migration 0002).
        post_save.connect(
            services.default_rule_sets_for_new_bank,
            sender=Tenant,
            dispatch_uid="marketing.default_rule_sets",
        )
        register_nav_item(
            NavItem(
                _("Tier rules"),
                "marketing:tier_rules",
                permission="marketing.view_tierruleset",
                order=40,
            )
        )
        register_nav_item(
            NavItem(
                _("Manual tiers"),
                "marketing:manual_tiers",
                permission="marketing.view_manualtier",
                order=41,
            )
        )
