"""The main menu. Apps add their entries in AppConfig.ready(); crm imports none of them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils.functional import Promise

if TYPE_CHECKING:
    from crm.tenancy.models import Staff


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    permission: str | None = None  # shown only to staff with this permission
    order: int = 100
    tenant_staff_only: bool = True  # hidden from platform administrators (no bank)


_items: list[NavItem] = []


def register_nav_item(item: NavItem) -> NavItem:
    if item not in _items:
        _items.append(item)
    return item


def nav_items_for(user: Staff) -> list[tuple[str | Promise, str]]:
    items: list[tuple[str | Promise, str]] = []
    for item in sorted(_items, key=lambda i: i.order):
        if item.tenant_staff_only and user.tenant_id is None:
            continue
        if item.permission and not user.has_perm(item.permission):
            continue
        items.append((item.label, reverse(item.url_name)))
    return items
