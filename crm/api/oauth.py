from oauth2_provider.oauth2_validators import OAuth2Validator


class PartnerOAuth2Validator(OAuth2Validator):
    """Refuse tokens to deactivated partner applications and to those of inactive banks."""

    def _load_application(self, client_id, request):
        application = super()._load_application(client_id, request)
        if application is None:
            return None
        if not application.is_active or not application.tenant.is_active:
            request.client = None
            return None
        return application
