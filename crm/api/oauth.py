from typing import Any

from oauth2_provider.oauth2_validators import OAuth2Validator

from crm.tenancy.models import PartnerApplication


class PartnerOAuth2Validator(OAuth2Validator):  # type: ignore[misc]  # untyped oauth-toolkit
    """Refuse tokens to deactivated partner applications and to those of inactive banks."""

    def authenticate_client(self, request: Any, *args: Any, **kwargs: Any) -> bool:
        # One authentication method per request (RFC 6749 2.3). The toolkit falls back to
        # the body's credentials when HTTP Basic fails, checking a second secret (the body's,
        # or an empty one) for one attempt the throttle counts: Basic's verdict stands.
        if self._extract_basic_auth(request):
            authenticated: bool = self._authenticate_basic_auth(request)
            return authenticated
        body: bool = self._authenticate_request_body(request)
        return body

    def _load_application(self, client_id: str, request: Any) -> PartnerApplication | None:
        application: PartnerApplication | None = super()._load_application(client_id, request)
        if application is None:
            return None
        if not application.is_active or not application.tenant.is_active:
            request.client = None
            return None
        return application
