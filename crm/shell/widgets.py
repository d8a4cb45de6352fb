"""The home page is built from widgets; each app registers its own in AppConfig.ready().

The shell knows none of them: customers adds "my book", channels "my service requests",
marketing and risk later "my follow-ups today" or "open warnings". A widget's function gets
the request and returns its template's context, or None when it has nothing to show this
person (the card is then left out). It must keep its query count independent of the bank's
size: the home page is every person's first page of the day.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.template.loader import render_to_string
from django.utils.functional import Promise

from crm.http import StaffRequest

if TYPE_CHECKING:
    from crm.tenancy.models import Staff

WidgetContext = Callable[[StaffRequest], dict[str, Any] | None]


@dataclass(frozen=True)
class Widget:
    key: str
    title: str | Promise
    template: str  # renders the card's body; the home page draws the card and its title
    context: WidgetContext
    order: int = 100
    width: str = "col-lg-6"  # Bootstrap column class
    permission: str | None = None  # permission the viewer needs, if any
    roles: frozenset[str] = field(default_factory=frozenset)  # or any of these roles

    def visible_to(self, staff: Staff) -> bool:
        if self.permission and not staff.has_perm(self.permission):
            return False
        return not self.roles or bool(staff.role_codes & self.roles)


_widgets: dict[str, Widget] = {}


def register_widget(widget: Widget) -> Widget:
    """Add a widget to every home page it is visible on; a key registered again replaces it."""
    _widgets[widget.key] = widget
    return widget


def unregister_widget(key: str) -> Widget | None:
    return _widgets.pop(key, None)


def widgets_for(staff: Staff) -> list[Widget]:
    return sorted(
        (widget for widget in _widgets.values() if widget.visible_to(staff)),
        key=lambda widget: (widget.order, widget.key),
    )


def rendered_widgets(request: StaffRequest) -> list[tuple[Widget, str]]:
    """Each visible widget with its rendered body, leaving out those with nothing to show."""
    shown: list[tuple[Widget, str]] = []
    for widget in widgets_for(request.user):
        context = widget.context(request)
        if context is None:
            continue
        body = render_to_string(widget.template, {"widget": widget, **context}, request=request)
        shown.append((widget, body))
    return shown
