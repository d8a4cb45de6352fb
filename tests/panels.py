"""Helpers for tests of the customer page's panels."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers import panels


def queries_added_by_panel(client, url: str, key: str) -> int:
    """How many more queries ``url`` makes with the panel ``key`` than without it.

    The page is requested once first, so that per-session caches (permissions...) are warm
    in both counts.
    """
    client.get(url)
    with CaptureQueriesContext(connection) as with_panel:
        client.get(url)
    panel = panels._panels.pop(key)
    try:
        with CaptureQueriesContext(connection) as without_panel:
            client.get(url)
    finally:
        panels.register_panel(panel)
    return len(with_panel.captured_queries) - len(without_panel.captured_queries)
