"""The request that the app's pages receive, as type annotations see it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

if TYPE_CHECKING:
    from crm.tenancy.models import Staff


class HtmxRequest(HttpRequest):
    """A request that django-htmx's middleware has given its ``htmx`` details."""

    htmx: HtmxDetails


class StaffRequest(HtmxRequest):
    """A request to a page: LoginRequiredMiddleware lets only signed-in staff reach a view
    that is not marked ``login_not_required``. Used in annotations only, never built."""

    user: Staff


def staff_of(request: HttpRequest) -> Staff:
    """The signed-in member of staff making ``request``, where only staff get through (the
    admin site, pages behind LoginRequiredMiddleware) but the signature says HttpRequest."""
    from crm.tenancy.models import Staff

    user = request.user
    assert isinstance(user, Staff)
    return user
