from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ChannelsConfig(AppConfig):
    name = "channels"
    verbose_name = _("Channels")

    def ready(self) -> None:
        from channels import demo  # noqa: F401  (registers the demo loader)
