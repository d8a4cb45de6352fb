from __future__ import annotations

from typing import TYPE_CHECKING

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from crm.api.authentication import PartnerPrincipal

if TYPE_CHECKING:  # DRF's settings import this module: rest_framework.views is not ready yet
    from rest_framework.request import Request
    from rest_framework.views import APIView


class PartnerRateThrottle(SimpleRateThrottle):
    """Limit each partner application (or, before authentication, each address)."""

    scope = "partner"

    def get_rate(self) -> str | None:
        # Read at each request rather than at import, so that a changed setting applies.
        # Rates are strings ("100/minute"); djangorestframework-stubs says numbers.
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]  # type: ignore[return-value]

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        if isinstance(request.user, PartnerPrincipal):
            ident = f"app-{request.user.application.pk}"
        else:
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
