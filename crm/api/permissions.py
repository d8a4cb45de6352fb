from __future__ import annotations

from typing import TYPE_CHECKING

from rest_framework.permissions import SAFE_METHODS, BasePermission

from crm.api.authentication import PartnerPrincipal
from crm.api.scopes import read_scope, write_scope

if TYPE_CHECKING:  # DRF's settings import this module: rest_framework.views is not ready yet
    from rest_framework.request import Request
    from rest_framework.views import APIView


class HasRequiredScopes(BasePermission):
    """The token must carry the view's scope.

    A view names either ``required_scope`` (one scope for every method, e.g. a write-only
    bulk endpoint) or ``scope_resource``: its read scope for safe methods, its write scope
    for the others.
    """

    message = "The access token lacks the scope this call needs."

    def has_permission(self, request: Request, view: APIView) -> bool:
        if not isinstance(request.user, PartnerPrincipal) or request.auth is None:
            return False
        scope = getattr(view, "required_scope", None)
        if scope is None:
            resource = getattr(view, "scope_resource", None)
            if resource is None:
                return False
            safe = request.method in SAFE_METHODS
            scope = read_scope(resource) if safe else write_scope(resource)
        allowed: bool = request.auth.allow_scopes([scope])  # an oauth2_provider AccessToken
        return allowed
