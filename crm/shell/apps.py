from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ShellConfig(AppConfig):
    name = "crm.shell"
    label = "shell"
    verbose_name = _("Home page")

    def ready(self) -> None:
        from crm.shell import home_widgets
        from crm.shell.navigation import NavItem, register_nav_item

        home_widgets.register()
        # The menu entries of crm's own pages: the shell sits above them and knows them, so
        # they need not know the shell.
        register_nav_item(
            NavItem(
                _("Approvals"), "approvals:list", permission="approvals.view_proposal", order=80
            )
        )
        register_nav_item(NavItem(_("Notifications"), "notifications:list", order=90))
        register_nav_item(
            NavItem(_("Audit trail"), "audit:trail", permission="audit.view_audit_trail", order=900)
        )
        register_nav_item(
            NavItem(
                _("Two-factor sign-in"),
                "two_factor:staff",
                permission="tenancy.reset_two_factor",
                order=950,
                tenant_staff_only=False,
            )
        )
