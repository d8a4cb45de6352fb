"""What else the customer search box finds: apps above customers register providers.

Counter staff type whatever the customer shows them into the one search box: a name, a
phone number, an ID card, and sometimes a service request's number from a receipt.
customers knows no service requests (channels builds on customers, not the other way), so
channels registers a provider in its AppConfig.ready(); the list asks every provider and
shows what they found above the customers, or goes straight to it when it is the one
match. A provider answers only text that looks like its own numbers, with at most one
index-backed query, and only with what the staff member may see.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.functional import Promise


@dataclass(frozen=True)
class SearchHit:
    kind: str | Promise  # what was found, e.g. "Service request"
    label: str  # e.g. its number and summary
    url: str


@dataclass(frozen=True)
class SearchProvider:
    key: str
    find: Callable[[object, str], list[SearchHit]]  # (staff, text typed) -> hits


_providers: dict[str, SearchProvider] = {}


def register_search_provider(provider: SearchProvider) -> SearchProvider:
    _providers[provider.key] = provider
    return provider


def unregister(key: str) -> None:
    _providers.pop(key, None)


def hits_for(staff, text: str) -> list[SearchHit]:
    """What the registered providers find for ``text``, in the order they were registered."""
    text = text.strip()
    if not text:
        return []
    return [hit for provider in _providers.values() for hit in provider.find(staff, text)]
