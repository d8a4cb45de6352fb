"""Set the tenant of each staff request and run the request in one transaction."""

from collections.abc import Callable
from typing import TYPE_CHECKING

import pghistory
from django.db import transaction
from django.http import HttpRequest, HttpResponseBase
from django.utils import timezone

from crm.tenancy.context import activate_platform_wide, activate_tenant, deactivate, no_tenant

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from crm.tenancy.models import Staff


class TenantMiddleware:
    """Make the logged-in staff member's bank the current tenant for the whole request.

    Platform administrators get the platform-wide scope. The request, including template
    rendering, runs in one transaction (rolled back on a server error) so that the tenant
    is set once per request in the database; partner API calls pin their tenant later,
    after authentication, inside the same transaction.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        user = request.user
        with no_tenant():
            token = None
            if user.is_authenticated:
                if user.is_platform_admin:
                    token = activate_platform_wide()
                else:
                    token = activate_tenant(user.tenant)
                    assert user.tenant is not None  # activate_tenant refuses None
                    timezone.activate(user.tenant.time_zone)
            try:
                return self._respond(request, user)
            finally:
                timezone.deactivate()
                if token is not None:
                    deactivate(token)

    def _respond(self, request: HttpRequest, user: "Staff | AnonymousUser") -> HttpResponseBase:
        metadata: dict[str, object] = {"url": request.path, "method": request.method}
        if user.is_authenticated:
            metadata.update(staff_id=user.pk, username=user.get_username())
        with transaction.atomic(), pghistory.context(**metadata):
            response = self.get_response(request)
            if response.status_code >= 500:
                transaction.set_rollback(True)
        return response
