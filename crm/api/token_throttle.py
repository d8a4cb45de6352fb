"""The token endpoint's brake on guessed client secrets, counted in the shared cache.

Each wrong secret costs a hash (0.6 s of CPU with the production hasher), so the counts are
read before anything is hashed: a refused request costs a few cache reads and nothing else.

- Per (client id, address): the first failures are free, then each further attempt waits
  twice as long as the one before (1 s, 2 s, 4 s... up to a ceiling); one success starts
  over. A client id is never locked on its own: client ids are not secret, and whoever
  could lock one could cut a bank's core banking off the API from anywhere.
- Per address: a ceiling on failures within a fixed window, across all client ids (one
  place guessing many client ids). An IPv6 client counts by its /64, which one host
  usually holds whole.

Once a pair is backing off, one attempt at a time gets through (a gate taken with
``cache.add``, atomic in Redis and in the local-memory cache), so parallel requests cannot
all be hashed before the first failure is counted. The address count is taken before the
secret is checked for the same reason, and given back when the attempt was no failure.
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from crm.addresses import parse_address

PREFIX = "oauth-token"
# How long a pair's failures are remembered after the last one (a success forgets them).
PAIR_MEMORY_SECONDS = 24 * 60 * 60
# Held by the one attempt let through while a pair backs off: longer than any secret check,
# short enough that a crashed worker cannot keep the pair shut.
GATE_HOLD_SECONDS = 30


@dataclass(frozen=True)
class Limits:
    free_failures: int
    max_backoff: int
    address_failures: int
    address_window: int

    @classmethod
    def from_settings(cls) -> Limits:
        configured = settings.OAUTH_TOKEN_THROTTLE
        return cls(
            free_failures=configured["FREE_FAILURES"],
            max_backoff=configured["MAX_BACKOFF_SECONDS"],
            address_failures=configured["ADDRESS_FAILURES"],
            address_window=configured["ADDRESS_WINDOW_SECONDS"],
        )

    def backoff(self, failures: int) -> int:
        """Seconds to wait after ``failures`` failures in a row (0 while they are free)."""
        if failures < self.free_failures:
            return 0
        # The exponent is capped first: 2 ** a few thousand is a big int for nothing.
        return min(1 << min(failures - self.free_failures, 30), self.max_backoff)


@dataclass(frozen=True)
class Refusal:
    """A request turned away before its secret was checked."""

    retry_after: int  # whole seconds, at least 1
    first: bool  # the first refusal of this wait: worth one entry in the audit trail


def origin(address: str | None) -> str:
    """What the per-address counts are kept by: the address, or an IPv6 address's /64."""
    parsed = parse_address(address)
    if parsed is None:
        return "unknown"
    if parsed.version == 6:
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


class TokenAttempt:
    """One request for a token by ``client_id`` from ``address``: admit, then report."""

    def __init__(self, *, client_id: str, address: str | None) -> None:
        self.limits = Limits.from_settings()
        where = origin(address)
        client = hashlib.sha256(client_id.encode()).hexdigest()[:32]  # bounded, safe key
        self._pair = f"{PREFIX}:pair:{client}:{where}"
        self._gate = f"{PREFIX}:gate:{client}:{where}"
        window = self.limits.address_window
        self._window = int(time.time() // window)
        self._address = f"{PREFIX}:address:{where}:{self._window}"
        self._holds_gate = False
        self._took_address = False

    def admit(self) -> Refusal | None:
        """Let the attempt through (None), or say how long to wait; nothing is hashed yet."""
        now = time.time()
        window_end = (self._window + 1) * self.limits.address_window
        if cache.get(self._address, 0) >= self.limits.address_failures:
            return self._refuse(self._address, window_end - now)
        opens_at = cache.get(self._gate)
        if opens_at is not None:
            return self._refuse(self._gate, opens_at - now)
        if cache.get(self._pair, 0) >= self.limits.free_failures:
            # Claims to open in a second (what the others are told to wait), but is held
            # until this attempt's outcome replaces it.
            if not cache.add(self._gate, now + 1, GATE_HOLD_SECONDS):
                opens_at = cache.get(self._gate)
                return self._refuse(self._gate, (opens_at or now + 1) - now)
            self._holds_gate = True
        taken = _increment(self._address, timeout=math.ceil(window_end - now) + 1)
        self._took_address = True
        if taken > self.limits.address_failures:  # others got there between read and count
            self._give_back()
            return self._refuse(self._address, window_end - now)
        return None

    def failed(self) -> None:
        """The credentials were wrong: count it, and make the pair wait if it is its turn."""
        failures = _increment(self._pair, timeout=PAIR_MEMORY_SECONDS)
        wait = self.limits.backoff(failures)
        if wait:
            cache.set(self._gate, time.time() + wait, wait)
        elif self._holds_gate:
            cache.delete(self._gate)
        self._holds_gate = False
        self._took_address = False  # the failure stays counted against the address

    def succeeded(self) -> None:
        """The client authenticated: its earlier failures from here are forgiven."""
        cache.delete_many([self._pair, self._gate])
        self._holds_gate = False
        self._give_back()

    def passed(self) -> None:
        """Refused for something other than its credentials: it counts for nothing."""
        if self._holds_gate:
            cache.delete(self._gate)
            self._holds_gate = False
        self._give_back()

    def _give_back(self) -> None:
        if self._took_address:
            with contextlib.suppress(ValueError):  # expired with its window meanwhile
                cache.decr(self._address)
            self._took_address = False

    def _refuse(self, key: str, seconds: float) -> Refusal:
        retry_after = max(1, math.ceil(seconds))
        first = cache.add(f"{key}:noted", True, retry_after)
        return Refusal(retry_after=retry_after, first=first)


def _increment(key: str, *, timeout: int) -> int:
    cache.add(key, 0, timeout)
    try:
        return cache.incr(key)
    except ValueError:  # expired between the two calls
        cache.set(key, 1, timeout)
        return 1
