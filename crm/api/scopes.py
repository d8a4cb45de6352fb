"""API scopes: what a partner application may be granted, one pair per resource."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _
from oauth2_provider.scopes import BaseScopes

if TYPE_CHECKING:
    from crm.tenancy.models import PartnerApplication

SCOPES = {
    "branches:read": _("Read the bank's branches"),
    "customers:read": _("Read the bank's customers (identity masked)"),
    "customers:write": _("Create and change customers"),
    "customers:pii": _("See customers' ID and phone numbers in clear (every read is logged)"),
    "holdings:write": _("Load customers' accounts and holdings from core banking"),
    "snapshots:write": _("Load customers' monthly balances from core banking"),
    "interactions:write": _("Load customers' contacts from any channel (call center, app...)"),
    "service_requests:read": _("Read service requests, their status and their steps"),
    "service_requests:write": _("Open service requests and move them to their next step"),
}

#: Not a resource of its own: widens what ``customers:read`` shows.
CUSTOMERS_PII = "customers:pii"


def read_scope(resource: str) -> str:
    return f"{resource}:read"


def write_scope(resource: str) -> str:
    return f"{resource}:write"


class PartnerScopes(BaseScopes):  # type: ignore[misc]  # untyped django-oauth-toolkit
    """A partner may request only the scopes its application was granted."""

    def get_all_scopes(self) -> dict[str, str]:
        return {name: str(label) for name, label in SCOPES.items()}

    def get_available_scopes(
        self,
        application: PartnerApplication | None = None,
        request: Any = None,
        *args: Any,
        **kwargs: Any,
    ) -> list[str]:
        if application is None:
            return list(SCOPES)
        return [scope for scope in application.allowed_scopes if scope in SCOPES]

    def get_default_scopes(
        self,
        application: PartnerApplication | None = None,
        request: Any = None,
        *args: Any,
        **kwargs: Any,
    ) -> list[str]:
        return self.get_available_scopes(application, request)
