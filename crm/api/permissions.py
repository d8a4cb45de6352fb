from rest_framework.permissions import SAFE_METHODS, BasePermission

from crm.api.authentication import PartnerPrincipal
from crm.api.scopes import read_scope, write_scope


class HasRequiredScopes(BasePermission):
    """The token must carry the view's read scope (safe methods) or write scope (others)."""

    message = "The access token lacks the scope this call needs."

    def has_permission(self, request, view) -> bool:
        if not isinstance(request.user, PartnerPrincipal) or request.auth is None:
            return False
        resource = getattr(view, "scope_resource", None)
        if resource is None:
            return False
        scope = read_scope(resource) if request.method in SAFE_METHODS else write_scope(resource)
        return request.auth.allow_scopes([scope])
