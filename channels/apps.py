from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChannelsConfig(AppConfig):
    name = "channels"
    verbose_name = _("Channels")

    def ready(self) -> None:
        # customers imports nothing from channels: channels plugs into its registries.
        # demo and panels register their loader and panels when imported.
        from channels import demo, panels  # noqa: F401
        from crm.tenancy.navigation import NavItem, register_nav_item

        register_nav_item(
            NavItem(
                _("Service requests"),
                "channels:requests",
                permission="channels.view_servicerequest",
                order=20,
            )
        )
        register_nav_item(
            NavItem(
                _("Channel analytics"),
                "channels:analytics",
                permission="channels.view_channel_analytics",
                order=30,
            )
        )
