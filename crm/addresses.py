"""Client addresses: who sent a request (behind trusted proxies), and address ranges."""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def client_address(request: HttpRequest) -> str | None:
    """Return the address of the client that sent ``request``, as far as it can be trusted.

    Behind reverse proxies (``TRUSTED_PROXIES``, address ranges), each trusted hop has
    appended the address it received the request from to ``X-Forwarded-For``: walk the
    list from the right while the hop is a trusted proxy. Anything further left was
    written by the client and could be anything, so it is never read. With no trusted
    proxy, the peer's own address is the client's. The sign-in lockout (django-axes, through
    ``AXES_CLIENT_IP_CALLABLE``), the token endpoint's throttle, partner address ranges and
    the audit trail all read the address here, so they never disagree.
    """
    address: str | None = request.META.get("REMOTE_ADDR") or None
    proxies = _trusted_proxies(tuple(settings.TRUSTED_PROXIES))
    if not proxies or address is None:
        return address
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    while hops and address_within(address, proxies):
        hop = hops.pop()
        if parse_address(hop) is None:
            break  # a malformed entry: the last well-formed hop is the best we know
        address = hop
    return address


@functools.cache
def _trusted_proxies(ranges: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(item, strict=False) for item in ranges)


def parse_address(text: str | None) -> IPAddress | None:
    """The address in ``text`` (an IPv4-mapped IPv6 address as IPv4), or None."""
    if not text:
        return None
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def address_within(text: str | None, networks: Iterable[IPNetwork]) -> bool:
    """Whether the address ``text`` lies in one of ``networks`` (False if it is no address)."""
    address = parse_address(text)
    return address is not None and any(address in network for network in networks)


def parse_networks(text: str) -> list[IPNetwork]:
    """The address ranges written in ``text`` (CIDR, one per line or comma-separated).

    Raise ValidationError naming each entry that is not a range, or that has host bits set
    (``10.1.2.3/24``: the bank meant either the address or the whole range, and guessing
    which would open or close access silently).
    """
    networks: list[IPNetwork] = []
    wrong: list[str] = []
    for item in text.replace(",", " ").split():
        try:
            networks.append(ipaddress.ip_network(item, strict=True))
        except ValueError:
            wrong.append(item)
    if wrong:
        raise ValidationError(
            _("Not an address range (for example 203.0.113.0/24 or 2001:db8::/48): %(items)s"),
            code="invalid_network",
            params={"items": ", ".join(wrong[:5])},
        )
    return networks


def validate_networks(text: str) -> None:
    parse_networks(text)
