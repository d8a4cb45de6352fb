from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "crm.api"
    label = "api"
    verbose_name = "API"

    def ready(self) -> None:
        from crm.api import schema  # noqa: F401  (drf-spectacular finds the security scheme)
        from crm.api.scopes import register_scope

        # The API's own resource: the bank's branches (crm/api/branches.py).
        register_scope("branches:read", _("Read the bank's branches"))
