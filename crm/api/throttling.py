from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from crm.api.authentication import PartnerPrincipal


class PartnerRateThrottle(SimpleRateThrottle):
    """Limit each partner application (or, before authentication, each address)."""

    scope = "partner"

    def get_rate(self):
        # Read at each request rather than at import, so that a changed setting applies.
        return api_settings.DEFAULT_THROTTLE_RATES[self.scope]

    def get_cache_key(self, request, view):
        if isinstance(request.user, PartnerPrincipal):
            ident = f"app-{request.user.application.pk}"
        else:
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
