"""API scopes: what a partner application may be granted, one pair per resource."""

from django.utils.translation import gettext_lazy as _
from oauth2_provider.scopes import BaseScopes

SCOPES = {
    "branches:read": _("Read the bank's branches"),
}


def read_scope(resource: str) -> str:
    return f"{resource}:read"


def write_scope(resource: str) -> str:
    return f"{resource}:write"


class PartnerScopes(BaseScopes):
    """A partner may request only the scopes its application was granted."""

    def get_all_scopes(self):
        return {name: str(label) for name, label in SCOPES.items()}

    def get_available_scopes(self, application=None, request=None, *args, **kwargs):
        if application is None:
            return list(SCOPES)
        return [scope for scope in application.allowed_scopes if scope in SCOPES]

    def get_default_scopes(self, application=None, request=None, *args, **kwargs):
        return self.get_available_scopes(application, request)
