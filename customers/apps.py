from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = _("Customers")

    def ready(self) -> None:
        # Every registration of the app, here and nowhere else: importing a module of
        # customers registers nothing.
        from crm.api.scopes import CUSTOMERS_PII, register_scope
        from crm.approvals.registry import register_approval_action
        from crm.shell.demo import register_demo_loader
        from crm.shell.navigation import NavItem, register_nav_item
        from crm.uploads.services import register_upload_lifetime
        from customers import approvals, audit, demo, panels, personal_data, widgets
        from customers.intake.models import IMPORT_UPLOAD_PURPOSE, ImportJob

        register_approval_action(approvals.ACTION)
        # A file read or checked but never applied is not kept past a draft's lifetime.
        register_upload_lifetime(IMPORT_UPLOAD_PURPOSE, ImportJob.DRAFT_LIFETIME)

        audit.register()
        panels.register_customers_panels()
        widgets.register()
        personal_data.register_customers_sections()
        register_demo_loader(demo.load_customers)
        register_scope("customers:read", _("Read the bank's customers (identity masked)"))
        register_scope("customers:write", _("Create and change customers"))
        register_scope(
            CUSTOMERS_PII,
            _("See customers' ID and phone numbers in clear (every read is logged)"),
        )
        register_scope(
            "holdings:write", _("Load customers' accounts and holdings from core banking")
        )
        register_scope("snapshots:write", _("Load customers' monthly balances from core banking"))
        register_scope("relationships:read", _("Read the relationships between customers"))
        register_scope(
            "relationships:write", _("Record, correct and end relationships between customers")
        )
        register_scope("consents:read", _("Read customers' consents to contact and data use"))
        register_scope(
            "consents:write", _("Record consents customers give or withdraw in the app or online")
        )
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
