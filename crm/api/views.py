"""The base of every partner API view, and the OAuth2 token endpoint with its guard."""

from __future__ import annotations

import base64
import binascii
import json
from contextvars import Token
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus

import pghistory
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext
from oauth2_provider.views import RevokeTokenView, TokenView
from rest_framework.exceptions import MethodNotAllowed

from crm.addresses import client_address
from crm.api.authentication import PartnerPrincipal
from crm.api.inputs import refuse_unstorable_credentials, refuse_unstorable_query
from crm.api.token_throttle import TokenAttempt
from crm.audit.models import LoginEvent
from crm.audit.services import partner_sign_in_refusal_record
from crm.tenancy.context import Scope, activate_tenant, deactivate, platform_wide
from crm.tenancy.models import PartnerApplication

if TYPE_CHECKING:
    from django.views import View
    from rest_framework.request import Request
    from rest_framework.response import Response
    from rest_framework.views import APIView

    _APIViewMixinBase = APIView  # what the mixin is combined with

    class _ClientEndpointBase(View):  # the toolkit's token and revocation views
        def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse: ...

else:
    _APIViewMixinBase = object
    _ClientEndpointBase = object


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
        # DRF looks for the method's handler only after the permission checks, so a method
        # the resource does not offer would be answered 403 to a token without the write
        # scope. What the resource offers is no secret (the schema says it): 405 first.
        method = (request.method or "").lower()
        if method not in self.http_method_names or not hasattr(self, method):
            raise MethodNotAllowed(request.method or "")
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


def presented_client_id(request: HttpRequest) -> str:
    """The client id a token request authenticates as, read without checking anything.

    Read as django-oauth-toolkit reads it (HTTP Basic when presented, else the body's
    ``client_id``), so that the throttle counts the attempts of the client whose secret the
    toolkit will check. "" when no client id can be read: the toolkit hashes nothing then.
    """
    kind, _space, encoded = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if kind != "Basic" or not encoded:
        return request.POST.get("client_id", "")
    try:
        decoded = base64.b64decode(encoded).decode(settings.DEFAULT_CHARSET or "utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return ""
    client_id, colon, _secret = decoded.partition(":")
    return unquote_plus(client_id) if colon else ""


def oauth_error(status: int, error: str, description: str, **headers: str) -> HttpResponse:
    """An answer in the token endpoint's own error shape (RFC 6749 5.2), never cached."""
    body = json.dumps({"error": error, "error_description": description})
    response = HttpResponse(body, status=status, content_type="application/json")
    response["Cache-Control"] = "no-store"
    for name, value in headers.items():
        response[name] = value
    return response


class ClientAuthenticationGuard(_ClientEndpointBase):
    """Throttle, address ranges and an audit entry around an endpoint checking client secrets.

    The throttle is consulted before the toolkit sees the request, so a refused attempt
    never reaches the secret's hash; the partner application's address ranges likewise.
    Only the toolkit's verdict on the credentials (401) counts as a failure.
    """

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        client_id = presented_client_id(request)
        address = client_address(request)
        attempt = TokenAttempt(client_id=client_id, address=address)
        with platform_wide():
            refusal = attempt.admit()
            if refusal is not None:
                if refusal.first:
                    application = self.application(client_id)
                    self.record(LoginEvent.Kind.PARTNER_THROTTLED, application, client_id, request)
                return oauth_error(
                    429,
                    "slow_down",
                    gettext("Too many failed attempts: try again in %(seconds)d seconds.")
                    % {"seconds": refusal.retry_after},
                    **{"Retry-After": str(refusal.retry_after)},
                )
            application = self.application(client_id)
            if application is not None and not application.admits(address):
                attempt.failed()
                self.record(LoginEvent.Kind.PARTNER_ADDRESS, application, client_id, request)
                return oauth_error(
                    401,
                    "invalid_client",
                    gettext("This client may not be used from this address."),
                )
            try:
                response: HttpResponse = super().post(request, *args, **kwargs)
            except BaseException:
                attempt.passed()  # no verdict on the credentials: hold nothing against them
                raise
            if response.status_code == 401:
                attempt.failed()
                self.record(LoginEvent.Kind.PARTNER_FAILED, application, client_id, request)
            elif response.status_code == 200:
                attempt.succeeded()
            else:
                attempt.passed()
        return response

    @staticmethod
    def application(client_id: str) -> PartnerApplication | None:
        if not client_id:
            return None
        return PartnerApplication.objects.filter(client_id=client_id).first()

    @staticmethod
    def record(
        kind: str,
        application: PartnerApplication | None,
        client_id: str,
        request: HttpRequest,
    ) -> None:
        partner_sign_in_refusal_record(
            kind=kind,
            client_id=client_id,
            application=application,
            address=client_address(request),
            user_agent=request.META.get("HTTP_USER_AGENT", ""),
        )


@method_decorator(login_not_required, name="dispatch")
@method_decorator(refuse_unstorable_credentials, name="dispatch")
class PartnerTokenView(ClientAuthenticationGuard, TokenView):  # type: ignore[misc]  # untyped
    """OAuth2 token endpoint (client credentials); applications are looked up platform-wide."""


@method_decorator(login_not_required, name="dispatch")
@method_decorator(refuse_unstorable_credentials, name="dispatch")
class PartnerRevokeTokenView(ClientAuthenticationGuard, RevokeTokenView):  # type: ignore[misc]
    """Revoking a token checks the client's secret too: the same guard applies."""
