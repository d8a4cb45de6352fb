"""Switch between the application role and the database owner.

Connections normally run as the application role (``DATABASE_APP_ROLE``), which row-level
security restricts. Schema work (migrate, flush, creating the test database) must run as
the role that owns the tables, i.e. the role named in ``DATABASE_URL``.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import connections

_owner_depth = 0


def owner_mode_active() -> bool:
    return _owner_depth > 0


def _set_role_on_open_connections(statement: str) -> None:
    for connection in connections.all(initialized_only=True):
        if connection.connection is not None and not connection.in_atomic_block:
            with connection.connection.cursor() as cursor:
                cursor.execute(statement)


@contextmanager
def database_owner() -> Iterator[None]:
    """Run the block as the owner of the tables (process-wide; for commands and test set-up)."""
    global _owner_depth
    _owner_depth += 1
    if _owner_depth == 1:
        _set_role_on_open_connections("RESET ROLE")
    try:
        yield
    finally:
        _owner_depth -= 1
        if _owner_depth == 0:
            try:
                _set_role_on_open_connections(f'SET ROLE "{settings.DATABASE_APP_ROLE}"')
            except Exception:
                # The role does not exist yet (e.g. a failed first migration): close the
                # connections so that the next use reconnects and reports it clearly.
                for connection in connections.all(initialized_only=True):
                    connection.close()


_held_owner_context = None


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
