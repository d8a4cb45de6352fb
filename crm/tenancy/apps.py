from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TenancyConfig(AppConfig):
    name = "crm.tenancy"
    label = "tenancy"
    verbose_name = _("Organisation")

    def ready(self) -> None:
        from crm.db import lookups

        lookups.register()  # the index-friendly __prefix lookup, before any query runs
