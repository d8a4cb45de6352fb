"""Refuse every staff page to a session that has not passed the second factor it needs."""

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import resolve_url
from django.utils.http import urlencode

from crm.http import staff_of
from crm.two_factor.services import confirmed_authenticator

# URL names reachable between the password and the code: leaving, and the pages that take
# the code. Pages that need no login at all (login, language, health, the partner API's
# token endpoints) are let through as well: see ``process_view``.
_OPEN_BEFORE_SECOND_FACTOR = frozenset({"logout", "admin:logout"})


def second_factor_not_required(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a view that a signed-in person reaches before passing the second factor."""
    view.second_factor_required = False  # type: ignore[attr-defined]
    return view


class SecondFactorMiddleware:
    """Send a signed-in person who must use two-factor sign-in to the code step first.

    After django-otp's middleware (``request.user.is_verified()``) and the tenant middleware
    (the devices are read under the person's bank). Partner API calls are authenticated by
    OAuth tokens, not sessions, and carry no signed-in person here.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponseBase | None:
        if not request.user.is_authenticated:
            return None
        if not getattr(view_func, "login_required", True):
            return None
        if not getattr(view_func, "second_factor_required", True):
            return None
        match = request.resolver_match
        if match is not None and match.view_name in _OPEN_BEFORE_SECOND_FACTOR:
            return None
        staff = staff_of(request)
        if not staff.must_use_two_factor or staff.is_verified():  # type: ignore[attr-defined]
            return None
        step = "two_factor:verify" if confirmed_authenticator(staff) else "two_factor:enrol"
        url = resolve_url(step)
        if request.method == "GET":
            url += "?" + urlencode({"next": request.get_full_path()})
        if getattr(request, "htmx", False):
            # A fragment request would swap the code page into a panel: load it whole instead.
            return HttpResponse(headers={"HX-Redirect": url})
        return HttpResponseRedirect(url)
