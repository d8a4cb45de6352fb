"""Whose address a request comes from: believed only as far as trusted proxies vouch for it."""

import pytest
from axes.helpers import get_client_ip_address
from django.core.exceptions import ValidationError
from django.test import RequestFactory, override_settings

from crm.addresses import client_address, parse_networks

PROXY = "10.0.0.2"


def request_from(remote: str, forwarded: str | None = None):
    headers = {"x_forwarded_for": forwarded} if forwarded is not None else {}
    return RequestFactory(REMOTE_ADDR=remote).get("/", headers=headers)


def test_without_trusted_proxies_the_forwarded_header_is_ignored():
    assert client_address(request_from("198.51.100.7", "1.2.3.4")) == "198.51.100.7"


@override_settings(TRUSTED_PROXIES=["10.0.0.0/8"])
@pytest.mark.parametrize(
    ("remote", "forwarded", "expected"),
    [
        (PROXY, "198.51.100.7", "198.51.100.7"),
        (PROXY, "1.2.3.4, 198.51.100.7", "198.51.100.7"),  # the client wrote 1.2.3.4
        (PROXY, "1.2.3.4, 198.51.100.7, 10.0.0.9", "198.51.100.7"),  # two proxies
        (PROXY, "not-an-address", PROXY),
        (PROXY, "", PROXY),
        ("198.51.100.7", "1.2.3.4", "198.51.100.7"),  # not through the proxy: not believed
    ],
)
def test_behind_trusted_proxies_only_their_entries_are_believed(remote, forwarded, expected):
    assert client_address(request_from(remote, forwarded)) == expected


@override_settings(TRUSTED_PROXIES=["10.0.0.0/8"])
def test_the_sign_in_lockout_reads_the_same_address():
    request = request_from(PROXY, "1.2.3.4, 198.51.100.7")
    assert get_client_ip_address(request) == "198.51.100.7"


def test_address_ranges_are_checked_as_the_bank_writes_them():
    assert [str(n) for n in parse_networks("203.0.113.0/24\n2001:db8::/48, 192.0.2.1")] == [
        "203.0.113.0/24",
        "2001:db8::/48",
        "192.0.2.1/32",
    ]
    with pytest.raises(ValidationError):
        parse_networks("203.0.113.5/24")  # host bits set: the address or the range?
    with pytest.raises(ValidationError):
        parse_networks("the office")
