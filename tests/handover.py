"""Handing a whole book over takes two steps: the form, then the count to confirm."""

import re

from django.urls import reverse

BOOK_HANDOVER = reverse("customers:handover")
CONFIRMED_COUNT = re.compile(r'name="confirmed_count" value="(\d+)"')


def confirmation_count(response) -> int:
    """The number of customers the confirmation step says will move."""
    assert response.status_code == 200, response.content.decode()[:2000]
    found = CONFIRMED_COUNT.search(response.content.decode())
    assert found, "no confirmation step"
    return int(found.group(1))


def book_handover_confirmed(client, data: dict, **kwargs):
    """Post the book handover form, then confirm the count it shows."""
    count = confirmation_count(client.post(BOOK_HANDOVER, data))
    return client.post(BOOK_HANDOVER, {**data, "confirmed_count": count}, **kwargs)
