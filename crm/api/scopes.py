"""API scopes: what a partner application may be granted, declared by the app that serves it.

Each app registers its scopes in its AppConfig.ready() with ``register_scope`` (one pair per
resource, ``<resource>:read`` and ``<resource>:write``); the token endpoint, the OpenAPI
schema and the partner application admin read the registry, so a new app's endpoints need
no change here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils.functional import Promise
from oauth2_provider.scopes import BaseScopes

if TYPE_CHECKING:
    from crm.tenancy.models import PartnerApplication

#: Every registered scope with what it allows, filled by the apps' ready(). Read it, never
#: write it: ``register_scope`` is the way in.
SCOPES: dict[str, str | Promise] = {}

#: Not a resource of its own: widens what ``customers:read`` shows.
CUSTOMERS_PII = "customers:pii"


def register_scope(name: str, description: str | Promise) -> str:
    """Declare a scope a partner application may be granted; return its name."""
    if name in SCOPES and SCOPES[name] != description:
        raise ValueError(f"the API scope {name!r} is already declared with another meaning")
    SCOPES[name] = description
    return name


def scope_choices() -> list[tuple[str, str]]:
    """The scopes as form choices, read when the form is built (after every app's ready())."""
    return [(name, f"{name} – {SCOPES[name]}") for name in sorted(SCOPES)]


def read_scope(resource: str) -> str:
    return f"{resource}:read"


def write_scope(resource: str) -> str:
    return f"{resource}:write"


class PartnerScopes(BaseScopes):  # type: ignore[misc]  # untyped django-oauth-toolkit
    """A partner may request only the scopes its application was granted."""

    def get_all_scopes(self) -> dict[str, str]:
        return {name: str(label) for name, label in SCOPES.items()}

    def get_available_scopes(
        self,
        application: PartnerApplication | None = None,
        request: Any = None,
        *args: Any,
        **kwargs: Any,
    ) -> list[str]:
        if application is None:
            return list(SCOPES)
        return [scope for scope in application.allowed_scopes if scope in SCOPES]

    def get_default_scopes(
        self,
        application: PartnerApplication | None = None,
        request: Any = None,
        *args: Any,
        **kwargs: Any,
    ) -> list[str]:
        return self.get_available_scopes(application, request)
