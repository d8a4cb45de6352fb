"""The login role web and worker processes connect as, created by the owner when missing.

The runtime role is neither superuser nor BYPASSRLS, owns nothing, inherits nothing and is
a member of no role, so no statement run on its connection (``SET ROLE``, ``RESET ROLE``,
``set_config('role', ...)``) can leave row-level security. With only ``DATABASE_URL`` (the
owner) configured, ``migrate`` creates it with a password derived from ``SECRET_KEY``; with
``DATABASE_APP_URL`` set, the role is the database administrator's and is only checked.

Roles are cluster-wide while databases are not: several test processes (or checkouts)
migrating their own databases on one server at once all try to create the same role, and
``IF NOT EXISTS`` is no guard against a concurrent creator. Each step therefore tolerates
another process having done it first, and retries when PostgreSQL reports a concurrent
update of the role's catalog row.
"""

import contextlib
import functools
import hashlib
import hmac
import time
from collections.abc import Callable
from typing import Any

import psycopg
from django.conf import settings
from django.db.backends.base.base import BaseDatabaseWrapper
from psycopg import errors, sql

# What the runtime role must be, as pg_roles columns.
SAFE_ATTRIBUTES = {
    "rolsuper": False,
    "rolbypassrls": False,
    "rolcreaterole": False,
    "rolcreatedb": False,
    "rolreplication": False,
    "rolinherit": False,
    "rolcanlogin": True,
}


class UnsafeRuntimeRole(RuntimeError):
    """The configured runtime role could leave row-level security."""


def derived_password(secret_key: str) -> str:
    return hmac.new(secret_key.encode(), b"crm.db.runtime-role", hashlib.sha256).hexdigest()


def runtime_role() -> str:
    return settings.DATABASE_APP_ROLE


def _retrying(step: Callable[[], object], attempts: int = 8) -> None:
    # "tuple concurrently updated": another process altered the same role at the same time.
    for attempt in range(attempts):
        try:
            step()
            return
        except errors.InternalError_:
            if attempt == attempts - 1:
                raise
            time.sleep(0.05 * (attempt + 1))


def role_problems(cursor: psycopg.Cursor[Any], role: str) -> list[str]:
    """What makes ``role`` unsafe as the runtime role (an empty list when it is safe)."""
    columns = sql.SQL(", ").join(sql.Identifier(name) for name in SAFE_ATTRIBUTES)
    row = cursor.execute(
        sql.SQL("SELECT {} FROM pg_roles WHERE rolname = %s").format(columns), [role]
    ).fetchone()
    if row is None:
        return ["missing"]
    problems = [
        f"{name} is {value}"
        for (name, wanted), value in zip(SAFE_ATTRIBUTES.items(), row, strict=True)
        if value != wanted
    ]
    memberships = cursor.execute(
        "SELECT r.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid "
        "WHERE m.member = (SELECT oid FROM pg_roles WHERE rolname = %s)",
        [role],
    ).fetchall()
    problems += [f"member of {name}" for (name,) in memberships]
    owned_row = cursor.execute(
        "SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner "
        "WHERE r.rolname = %s",
        [role],
    ).fetchone()
    assert owned_row is not None  # an aggregate without GROUP BY always returns a row
    owned = owned_row[0]
    if owned:
        problems.append(f"owns {owned} relations")
    return problems


def _can_log_in(owner_params: dict[str, Any], role: str, password: str) -> bool:
    params: dict[str, Any] = {key: owner_params.get(key) for key in ("host", "port", "dbname")}
    params = {key: value for key, value in params.items() if value}
    try:
        psycopg.connect(**params, user=role, password=password, connect_timeout=10).close()
    except psycopg.OperationalError:
        return False
    return True


def ensure_runtime_role(owner_connection: BaseDatabaseWrapper) -> None:
    """Create or repair the runtime login role, as the owner (``migrate`` calls this).

    ``owner_connection`` is a Django database wrapper connected as the owner, outside any
    transaction: each role statement commits on its own.
    """
    role = runtime_role()
    derive = settings.DATABASE_APP_PASSWORD_DERIVED
    owner_connection.ensure_connection()
    raw = owner_connection.connection
    with raw.cursor() as cursor:
        if derive:
            password = derived_password(settings.SECRET_KEY)
            repair_runtime_role(cursor, role, password, owner_connection.get_connection_params())
        problems = role_problems(cursor, role)
    if problems:
        # With DATABASE_APP_URL the role is the database administrator's: refuse an unsafe one.
        raise UnsafeRuntimeRole(
            f"The runtime database role {role!r} is unsafe: {', '.join(problems)}."
        )


def repair_runtime_role(
    cursor: psycopg.Cursor[Any], role: str, password: str, login_params: dict[str, Any]
) -> None:
    """Create ``role`` or make it safe, on an autocommit owner's cursor; another process
    may be doing the same at the same moment. ``login_params``: where it logs in."""
    name = sql.Identifier(role)
    if role_problems(cursor, role) == ["missing"]:
        create = sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(name, sql.Literal(password))
        # A concurrent creator makes this fail on the unique role name: the role exists.
        with contextlib.suppress(errors.UniqueViolation, errors.DuplicateObject):
            cursor.execute(create)
    if role_problems(cursor, role):
        _retrying(
            lambda: cursor.execute(
                sql.SQL(
                    "ALTER ROLE {} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEROLE NOCREATEDB "
                    "NOREPLICATION NOINHERIT"
                ).format(name)
            )
        )
        member_of = cursor.execute(
            "SELECT r.rolname FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid "
            "WHERE m.member = (SELECT oid FROM pg_roles WHERE rolname = %s)",
            [role],
        ).fetchall()
        for (granted,) in member_of:
            revoke = sql.SQL("REVOKE {} FROM {}").format(sql.Identifier(granted), name)
            _retrying(functools.partial(cursor.execute, revoke))
    if not _can_log_in(login_params, role, password):
        _retrying(
            lambda: cursor.execute(
                sql.SQL("ALTER ROLE {} PASSWORD {}").format(name, sql.Literal(password))
            )
        )
