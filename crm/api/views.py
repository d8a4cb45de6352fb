"""The base of every partner API view, and the OAuth2 token endpoint."""

from __future__ import annotations

from contextvars import Token
from typing import TYPE_CHECKING, Any

import pghistory
from django.contrib.auth.decorators import login_not_required
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse
from django.utils.decorators import method_decorator
from oauth2_provider.views import RevokeTokenView, TokenView

from crm.api.authentication import PartnerPrincipal
from crm.api.inputs import refuse_unstorable_credentials, refuse_unstorable_query
from crm.tenancy.context import Scope, activate_tenant, deactivate, platform_wide

if TYPE_CHECKING:
    from rest_framework.request import Request
    from rest_framework.response import Response
    from rest_framework.views import APIView

    _APIViewMixinBase = APIView  # what the mixin is combined with
else:
    _APIViewMixinBase = object


class PartnerAPIMixin(_APIViewMixinBase):
    """Pin the partner's tenant right after authentication, for the rest of the call.

    Every API view must use this mixin (a test checks it): the scoped managers then filter
    by the partner's bank and row-level security sees the same tenant.
    """

    scope_resource: str | None = None
    _tenant_token: Token[Scope] | None = None

    @property
    def partner(self) -> PartnerPrincipal | None:
        """The partner calling; None for the stand-in request the OpenAPI schema is made with.

        Views read rows with ``Model.objects.for_partner(self.partner)``, which gives none
        without a partner.
        """
        if getattr(self, "swagger_fake_view", False):
            return None
        user = self.request.user
        assert isinstance(user, PartnerPrincipal)  # PartnerTokenAuthentication's principal
        return user

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        self.perform_authentication(request)
        if isinstance(request.user, PartnerPrincipal):
            self._tenant_token = activate_tenant(request.user.tenant)
            pghistory.context(
                partner_application=request.user.application.client_id,
                partner_name=request.user.application.name,
            )
        super().initial(request, *args, **kwargs)
        refuse_unstorable_query(request)

    def handle_exception(self, exc: Exception) -> Response:
        # A refused call changes nothing, even if it wrote before failing.
        if connection.in_atomic_block:
            transaction.set_rollback(True)
        return super().handle_exception(exc)

    def finalize_response(
        self, request: Request, response: Response, *args: Any, **kwargs: Any
    ) -> Response:
        if self._tenant_token is not None:
            deactivate(self._tenant_token)
            self._tenant_token = None
        return super().finalize_response(request, response, *args, **kwargs)


@method_decorator(login_not_required, name="dispatch")
@method_decorator(refuse_unstorable_credentials, name="dispatch")
class PartnerTokenView(TokenView):  # type: ignore[misc]  # untyped django-oauth-toolkit
    """OAuth2 token endpoint (client credentials); applications are looked up platform-wide."""

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with platform_wide():
            response: HttpResponse = super().post(request, *args, **kwargs)
        return response


@method_decorator(login_not_required, name="dispatch")
@method_decorator(refuse_unstorable_credentials, name="dispatch")
class PartnerRevokeTokenView(RevokeTokenView):  # type: ignore[misc]  # untyped oauth-toolkit
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with platform_wide():
            response: HttpResponse = super().post(request, *args, **kwargs)
        return response
