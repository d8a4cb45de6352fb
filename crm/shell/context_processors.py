from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from crm.shell.navigation import nav_items_for


def navigation(request: HttpRequest) -> dict[str, list[tuple[str | Promise, str]]]:
    """The menu of the base layout: only what this person's roles allow."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    items: list[tuple[str | Promise, str]] = [(_("Home"), reverse("home")), *nav_items_for(user)]
    if user.is_staff:
        items.append((_("Administration"), reverse("admin:index")))
        items.append((_("Partner API"), reverse("api-docs")))
    return {"nav_items": items}
