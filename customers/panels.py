"""The customer page is built from panels; apps above customers register their own.

customers imports nobody above it: channels, marketing and risk call ``register_panel`` in
their AppConfig.ready() with a template and a function that returns the panel's context.
A panel's function gets the request and the customer (already checked to be in scope) and
must keep its query count independent of the customer's data size: at most three queries
(tests/customers/test_panel_budgets.py checks every registered panel). The page's first
response stays within twenty queries however many panels apps add, because panels below
the fold are ``lazy``: each loads on its own request when it scrolls into view.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from customers import selectors

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
    # Below the fold: the page draws an empty card that loads the panel when it scrolls into
    # view, so the page's first response does not pay for it.
    lazy: bool = False
    # Keys of panels this one shows in full, so the page draws it instead of them: an app
    # above customers may give a fuller reading of what a customers panel lists (the
    # contact preferences read the consents), and the customer must not see it twice.
    replaces: frozenset[str] = field(default_factory=frozenset)

    def visible_to(self, staff) -> bool:
        if self.permission and not staff.has_perm(self.permission):
            return False
        return not self.roles or bool(staff.role_codes & self.roles) or staff.is_platform_admin


_panels: dict[str, Panel] = {}


def register_panel(panel: Panel) -> Panel:
    _panels[panel.key] = panel
    return panel


def panel_for(staff, key: str) -> Panel | None:
    """The panel ``key`` if ``staff`` may see it (and no panel they see replaces it)."""
    return next((panel for panel in panels_for(staff) if panel.key == key), None)


def panels_for(staff) -> list[Panel]:
    """The panels ``staff`` may see, in page order; a replaced panel gives way to its heir."""
    visible = [panel for panel in _panels.values() if panel.visible_to(staff)]
    replaced = {key for panel in visible for key in panel.replaces}
    return sorted(
        (panel for panel in visible if panel.key not in replaced),
        key=lambda panel: (panel.order, panel.key),
    )


# --- the panels of the customers app itself ------------------------------------------------
# Each panel's template renders only the card's body; the customer page draws the card and
# its title. Context functions live in customers.selectors with the other reads.


def register_customers_panels() -> None:
    """Register the customers app's own panels (CustomersConfig.ready() calls this)."""
    register_panel(
        Panel(
            key="holdings",
            title=_("Accounts and products"),
            template="customers/panels/holdings.html",
            context=selectors.holdings_panel,
            order=10,
            width="col-xl-7",
        )
    )
    register_panel(
        Panel(
            key="aum_trend",
            title=_("AUM over the last 24 months"),
            template="customers/panels/aum_trend.html",
            context=selectors.aum_trend_panel,
            order=20,
            width="col-xl-5",
        )
    )
    register_panel(
        Panel(
            key="relationships",
            title=_("Relationships"),
            template="customers/panels/relationships.html",
            context=selectors.relationships_panel,
            order=30,
            width="col-lg-6 col-xl-4",
            lazy=True,
        )
    )
    register_panel(
        Panel(
            key="consents",
            title=_("Consents"),
            template="customers/panels/consents.html",
            context=selectors.consents_panel,
            order=40,
            width="col-lg-6 col-xl-8",
            lazy=True,
        )
    )
    register_panel(
        Panel(
            key="rm_history",
            title=_("Relationship manager history"),
            template="customers/panels/rm_history.html",
            context=selectors.rm_history_panel,
            order=50,
            width="col-12",
            lazy=True,
        )
    )
    register_panel(
        Panel(
            key="audit",
            title=_("Audit history"),
            template="customers/panels/audit.html",
            context=selectors.audit_panel,
            order=900,
            width="col-12",
            permission="audit.view_audit_trail",
            lazy=True,
        )
    )
