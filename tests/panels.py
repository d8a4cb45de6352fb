"""Helpers for tests of the customer page's panels."""

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext

from customers import panels

LAZY = re.compile(r'<div hx-get="([^"]+)" hx-trigger="revealed"[^>]*>.*?</div>', re.S)
EMPTY = panels.Panel(
    key="test_empty",
    title="",
    template="customers/panels/relationships.html",
    context=lambda request, customer: {"related": []},
    lazy=True,
)


def customer_page(client, url: str) -> str:
    """The customer page as a browser shows it once scrolled down: lazy panels loaded."""
    response = client.get(url)
    assert response.status_code == 200, response.content.decode()[:2000]

    def load(match) -> str:
        panel = client.get(match.group(1).replace("&amp;", "&"))
        assert panel.status_code == 200, panel.content.decode()[:2000]
        return panel.content.decode()

    return LAZY.sub(load, response.content.decode())


def _count(client, url: str) -> int:
    client.get(url)  # warm per-session caches (permissions...)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


def panel_queries(client, customer_url: str, key: str) -> int:
    """How many queries the lazy panel ``key`` makes on its own request, beyond any panel's."""
    panels.register_panel(EMPTY)
    try:
        baseline = _count(client, f"{customer_url}panels/{EMPTY.key}/")
    finally:
        panels._panels.pop(EMPTY.key)
    return _count(client, f"{customer_url}panels/{key}/") - baseline


def queries_added_by_panel(client, url: str, key: str) -> int:
    """How many more queries ``url`` makes with the panel ``key`` than without it.

    A lazy panel adds nothing to the page: its own request's queries are counted instead.
    The page is requested once first, so that per-session caches (permissions...) are warm
    in both counts.
    """
    if panels._panels[key].lazy:
        return panel_queries(client, url, key)
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
