"""Who reacts to which change events. Apps subscribe in ``AppConfig.ready()``.

The app that owns the data writes the events and never imports its subscribers: a later
app (marketing rescoring a customer whose holdings changed, risk re-checking a balance)
subscribes here by event kind.

A subscriber's ``handle(events)`` receives a batch of events of its kinds, runs inside the
dispatch transaction (in a savepoint of its own) and must be idempotent in effect: each
event is delivered to each subscriber once (a delivery row is written with the handler's
work), but a subscriber that also changes something outside the database may see an
event again after a crash.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from crm.events.models import ChangeEvent


@dataclass(frozen=True)
class Subscriber:
    name: str  # stable: delivery records are keyed by it
    kinds: frozenset[str]
    handle: Callable[[list[ChangeEvent]], None]


_subscribers: dict[str, Subscriber] = {}


def subscribe(
    name: str, kinds: Iterable[str], handle: Callable[[list[ChangeEvent]], None]
) -> Subscriber:
    subscriber = Subscriber(name, frozenset(kinds), handle)
    existing = _subscribers.get(name)
    if existing is not None and existing != subscriber:
        raise ValueError(f"Another subscriber is already called {name!r}.")
    _subscribers[name] = subscriber
    return subscriber


def unsubscribe(name: str) -> None:
    _subscribers.pop(name, None)


def subscribers() -> list[Subscriber]:
    return sorted(_subscribers.values(), key=lambda s: s.name)
