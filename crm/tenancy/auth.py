"""Authentication of staff: their row is found before their tenant is known."""

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import AnonymousUser, Permission
from django.db.models import QuerySet
from django.http import HttpRequest
from django.views.decorators.debug import sensitive_variables

from crm.tenancy.context import platform_wide
from crm.tenancy.models import Staff


class StaffBackend(ModelBackend):
    """Look staff up platform-wide (login, session), then let their tenant take over."""

    @sensitive_variables("password")
    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Staff | None:
        with platform_wide():
            user = super().authenticate(request, username=username, password=password, **kwargs)
            if user is not None:
                # Load what the tenant middleware needs while the row is reachable.
                user.tenant, user.branch  # noqa: B018
        return user

    def get_user(self, user_id: Any) -> Staff | None:
        with platform_wide():
            user = (
                get_user_model()
                .objects.select_related("tenant", "branch")
                .filter(pk=user_id)
                .first()
            )
        return user if user is not None and self.user_can_authenticate(user) else None

    def user_can_authenticate(self, user: Staff | AnonymousUser | None) -> bool:
        if not super().user_can_authenticate(user):
            return False
        assert isinstance(user, Staff)  # neither None nor anonymous: those are inactive
        return user.tenant is None or user.tenant.is_active

    def _get_user_permissions(self, user_obj: Staff) -> QuerySet[Permission]:
        # Permissions come from roles only; staff have no individual permissions.
        return Permission.objects.none()
