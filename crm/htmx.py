"""htmx helpers shared by every app's pages."""

from crm.http import HtmxRequest


def wants_fragment(request: HtmxRequest) -> bool:
    """htmx asked for a part of the page (not a history restore, which needs all of it)."""
    return bool(request.htmx) and not request.htmx.history_restore_request
