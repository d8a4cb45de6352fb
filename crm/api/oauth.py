from typing import Any

from oauth2_provider.oauth2_validators import OAuth2Validator

from crm.tenancy.models import PartnerApplication


class PartnerOAuth2Validator(OAuth2Validator):  # type: ignore[misc]  # untyped oauth-toolkit
    """Refuse tokens to deactivated partner applications and to those of inactive banks."""

    def _load_application(self, client_id: str, request: Any) -> PartnerApplication | None:
        application: PartnerApplication | None = super()._load_application(client_id, request)
        if application is None:
            return None
        if not application.is_active or not application.tenant.is_active:
            request.client = None
            return None
        return application
