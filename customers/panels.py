"""The customer page is built from panels; apps above customers register their own.

customers imports nobody above it: channels, marketing and risk call ``register_panel`` in
their AppConfig.ready() with a template and a function that returns the panel's context.
A panel's function gets the request and the customer (already checked to be in scope) and
must keep its query count independent of the customer's data size.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.http import HttpRequest

PanelContext = Callable[[HttpRequest, object], dict]


@dataclass(frozen=True)
class Panel:
    key: str
    title: str
    template: str
    context: PanelContext
    order: int = 100
    width: str = "col-xl-6"  # Bootstrap column class
    permission: str | None = None  # permission the viewer needs, if any
    roles: frozenset[str] = field(default_factory=frozenset)  # or any of these roles

    def visible_to(self, staff) -> bool:
        if self.permission and not staff.has_perm(self.permission):
            return False
        return not self.roles or bool(staff.role_codes & self.roles) or staff.is_platform_admin


_panels: dict[str, Panel] = {}


def register_panel(panel: Panel) -> Panel:
    _panels[panel.key] = panel
    return panel


def panels_for(staff) -> list[Panel]:
    return sorted(
        (panel for panel in _panels.values() if panel.visible_to(staff)),
        key=lambda panel: (panel.order, panel.key),
    )


def registered_panels() -> list[Panel]:
    return sorted(_panels.values(), key=lambda panel: (panel.order, panel.key))
