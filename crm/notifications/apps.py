from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "crm.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        from crm.tenancy.navigation import NavItem, register_nav_item

        register_nav_item(NavItem(_("Notifications"), "notifications:list", order=90))
