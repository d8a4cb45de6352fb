"""Connect as the owner of the tables for schema work, and as the runtime role otherwise.

Web and worker processes log in as the runtime role (``DATABASES["default"]``), which row-level
security always restricts and which cannot switch to any other role. Schema work (migrate,
flush, creating the test database) and bulk loading with ``COPY`` need the role that owns the
tables, the one named in ``DATABASE_URL`` (``settings.DATABASE_OWNER``). Owner mode closes
the process's connections and reopens them with the owner's credentials: a separate login,
never a role switch inside the runtime role's session.
"""

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connections

# The connection settings that differ between the owner and the runtime role.
CREDENTIAL_KEYS = ("USER", "PASSWORD", "DERIVED_PASSWORD")

_owner_depth = 0
_runtime_credentials: dict[str, dict[str, Any]] = {}


def owner_mode_active() -> bool:
    return _owner_depth > 0


def _reconnect_all(as_owner: bool) -> None:
    if as_owner and not settings.DATABASE_OWNER:
        raise ImproperlyConfigured(
            "This needs the credentials of the tables' owner: set DATABASE_URL."
        )
    for alias in connections:
        connection = connections[alias]
        if connection.in_atomic_block:
            raise RuntimeError("Cannot change the database login inside a transaction.")
        connection.close()
        if as_owner:
            _runtime_credentials.setdefault(
                alias, {key: connection.settings_dict.get(key) for key in CREDENTIAL_KEYS}
            )
            credentials = {key: settings.DATABASE_OWNER.get(key) for key in CREDENTIAL_KEYS}
        else:
            credentials = _runtime_credentials.pop(alias)
        connection.settings_dict.update(credentials)


@contextmanager
def database_owner() -> Iterator[None]:
    """Run the block logged in as the owner of the tables (for commands and test set-up)."""
    global _owner_depth
    if _owner_depth == 0:
        _reconnect_all(as_owner=True)
    _owner_depth += 1
    try:
        yield
    finally:
        _owner_depth -= 1
        if _owner_depth == 0:
            _reconnect_all(as_owner=False)


_held_owner_context: AbstractContextManager[None] | None = None


def enter_owner_mode() -> None:
    """Like ``database_owner()`` for set-up code that cannot wrap a block (test fixtures)."""
    global _held_owner_context
    if _held_owner_context is None:
        _held_owner_context = database_owner()
        _held_owner_context.__enter__()


def leave_owner_mode() -> None:
    global _held_owner_context
    if _held_owner_context is not None:
        context, _held_owner_context = _held_owner_context, None
        context.__exit__(None, None, None)
