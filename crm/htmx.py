"""htmx helpers shared by every app's pages."""

from django.http import HttpRequest


def wants_fragment(request: HttpRequest) -> bool:
    """htmx asked for a part of the page (not a history restore, which needs all of it)."""
    return bool(request.htmx) and not request.htmx.history_restore_request
