"""Raw connections to the test database, as the application or as the owner of the tables."""

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from django.conf import settings
from django.db import connection

from crm.db.claims import tenant_claim


def server_params() -> dict:
    """Host, port and name of the test database, without any login."""
    params = connection.get_connection_params()
    return {key: params[key] for key in ("host", "port", "dbname") if params.get(key)}


def _dsn(user: str, password: str | None) -> str:
    return psycopg.conninfo.make_conninfo(**server_params(), user=user, password=password or "")


def runtime_dsn() -> str:
    """What the application's own connections log in with (the runtime role)."""
    params = connection.get_connection_params()
    return _dsn(params["user"], params.get("password"))


def owner_dsn() -> str:
    return _dsn(settings.DATABASE_OWNER["USER"], settings.DATABASE_OWNER.get("PASSWORD"))


@contextmanager
def owner_transaction() -> Iterator[psycopg.Cursor]:
    """A cursor whose transaction the owner starts (e.g. to drop an index) and rolls back.

    Call ``become_application(cursor, tenant)`` inside to continue as the runtime role
    with ``tenant``'s claim. Needs committed data (a transactional test) and a superuser owner,
    as on the embedded server and in CI: only a superuser may assume any role.
    """
    with psycopg.connect(owner_dsn()) as raw, raw.cursor() as cursor:
        try:
            yield cursor
        finally:
            raw.rollback()


def become_application(cursor, tenant) -> None:
    cursor.execute(f'SET LOCAL ROLE "{settings.DATABASE_APP_ROLE}"')
    cursor.execute("SELECT set_config('app.claim', %s, true)", [tenant_claim(tenant.pk)])
