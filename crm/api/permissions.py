from rest_framework.permissions import SAFE_METHODS, BasePermission

from crm.api.authentication import PartnerPrincipal
from crm.api.scopes import read_scope, write_scope


class HasRequiredScopes(BasePermission):
    """The token must carry the view's scope.

    A view names either ``required_scope`` (one scope for every method, e.g. a write-only
    bulk endpoint) or ``scope_resource``: its read scope for safe methods, its write scope
    for the others.
    """

    message = "The access token lacks the scope this call needs."

    def has_permission(self, request, view) -> bool:
        if not isinstance(request.user, PartnerPrincipal) or request.auth is None:
            return False
        scope = getattr(view, "required_scope", None)
        if scope is None:
            resource = getattr(view, "scope_resource", None)
            if resource is None:
                return False
            safe = request.method in SAFE_METHODS
            scope = read_scope(resource) if safe else write_scope(resource)
        return request.auth.allow_scopes([scope])
