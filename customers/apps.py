from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = _("Customers")

    def ready(self) -> None:
        from crm.approvals.registry import register_approval_action
        from crm.tenancy.navigation import NavItem, register_nav_item
        from customers import approvals, audit, demo, panels  # noqa: F401  (registrations)

        register_approval_action(approvals.ACTION)

        register_nav_item(
            NavItem(
                _("Customers"), "customers:list", permission="customers.view_customer", order=10
            )
        )
        register_nav_item(
            NavItem(
                _("Public pool"), "customers:pool", permission="customers.claim_from_pool", order=11
            )
        )
