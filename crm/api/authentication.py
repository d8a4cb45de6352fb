"""Partner systems authenticate with OAuth2 bearer tokens, and are pinned to their bank."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext_lazy as _
from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from rest_framework.exceptions import AuthenticationFailed, PermissionDenied

from crm.addresses import client_address
from crm.tenancy.context import platform_wide
from crm.tenancy.models import PartnerApplication, Tenant

if TYPE_CHECKING:
    from rest_framework.request import Request


@dataclass(frozen=True)
class PartnerPrincipal:
    """The caller of an API request: a partner application of one bank."""

    application: PartnerApplication
    tenant: Tenant

    is_authenticated = True
    is_anonymous = False
    is_active = True
    pk = None

    def __str__(self) -> str:
        name: str = self.application.name  # a field of oauth2_provider's untyped base model
        return name


class PartnerTokenAuthentication(OAuth2Authentication):  # type: ignore[misc]  # untyped
    def authenticate(self, request: Request) -> tuple[PartnerPrincipal, Any] | None:
        # The token and its application are found before the tenant is known.
        with platform_wide():
            result = super().authenticate(request)
            if result is None:
                return None
            _user, token = result
            application = token.application
            tenant = application.tenant
        if not application.is_active or not tenant.is_active:
            raise AuthenticationFailed(_("This partner application is disabled."))
        # Checked on every call, not only when the token was issued: a token copied off
        # the partner's network is of no use elsewhere, and a range narrowed by the bank
        # applies at once to tokens already out.
        if not application.admits(client_address(request)):
            raise PermissionDenied(_("This partner application may not be used from this address."))
        return PartnerPrincipal(application=application, tenant=tenant), token
