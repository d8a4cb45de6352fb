from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = _("Customers")

    def ready(self) -> None:
        # Every registration of the app, here and nowhere else: importing a module of
        # customers registers nothing.
        from crm.shell.demo import register_demo_loader
        from crm.shell.navigation import NavItem, register_nav_item
        from customers import audit, demo, panels, widgets

        audit.register()
        panels.register_customers_panels()
        widgets.register()
        register_demo_loader(demo.load_customers)
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
