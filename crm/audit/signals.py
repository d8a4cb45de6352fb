"""Write logins, logouts, failed logins and lockouts to the audit trail."""

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.models import update_last_login
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.http import HttpRequest

from crm.addresses import client_address
from crm.audit.models import LoginEvent
from crm.tenancy.context import platform_wide
from crm.tenancy.models import Staff
from crm.tenancy.scoping import scope_of


def _client(request: HttpRequest | None) -> tuple[str | None, str]:
    if request is None:
        return None, ""
    ip_address = getattr(request, "axes_ip_address", None) or client_address(request)
    return ip_address, request.META.get("HTTP_USER_AGENT", "")[:300]


def _staff_named(username: str) -> Staff | None:
    if not username:
        return None
    with platform_wide():
        return get_user_model().objects.select_related("tenant").filter(username=username).first()


def record(
    kind: str,
    *,
    staff: Staff | None,
    username: str,
    request: HttpRequest | None,
    actor: Staff | None = None,
    reason: str = "",
) -> None:
    ip_address, user_agent = _client(request)
    with scope_of(staff):
        LoginEvent.objects.create(
            tenant_id=staff.tenant_id if staff else None,
            staff=staff,
            kind=kind,
            actor_username=actor.get_username() if actor is not None else "",
            reason=reason[:300],
            username=username[:150],
            ip_address=ip_address,
            user_agent=user_agent,
        )


def record_login(sender: type[Staff], request: HttpRequest, user: Staff, **kwargs: Any) -> None:
    with scope_of(user):
        update_last_login(sender, user, **kwargs)
    record(LoginEvent.Kind.LOGIN, staff=user, username=user.get_username(), request=request)


def record_logout(
    sender: type[Staff], request: HttpRequest, user: Staff | None, **kwargs: Any
) -> None:
    if user is not None:
        record(LoginEvent.Kind.LOGOUT, staff=user, username=user.get_username(), request=request)


def record_failed_login(
    sender: str, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    username = credentials.get("username") or ""
    record(LoginEvent.Kind.FAILED, staff=_staff_named(username), username=username, request=request)


def record_lockout(
    sender: str,
    request: HttpRequest | None,
    username: str | None,
    ip_address: str | None,
    **kwargs: Any,
) -> None:
    record(
        LoginEvent.Kind.LOCKED_OUT,
        staff=_staff_named(username or ""),
        username=username or "",
        request=request,
    )


def connect() -> None:
    """Connect the receivers (AuditConfig.ready() calls this)."""
    # Django's own receiver updates last_login outside any tenant, where row-level security
    # hides the staff row; ours does it in the staff member's scope.
    user_logged_in.disconnect(update_last_login, dispatch_uid="update_last_login")
    user_logged_in.connect(record_login, dispatch_uid="crm_record_login")
    user_logged_out.connect(record_logout, dispatch_uid="crm_record_logout")
    user_login_failed.connect(record_failed_login, dispatch_uid="crm_record_failed_login")
    user_locked_out.connect(record_lockout, dispatch_uid="crm_record_lockout")
