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
        register_nav_item(
            NavItem(_("Audit trail"), "audit:trail", permission="audit.view_audit_trail", order=900)
        )
