"""Loading millions of rows at once, the way PostgreSQL's manual advises.

Inside one transaction, the tables being filled lose their history triggers, their
secondary indexes and the foreign keys from and to them; rows arrive by COPY; then the
indexes are built once and each foreign key is checked once, by a single join, instead of
per row. If anything fails the transaction rolls back and the schema is as it was.
Run it as the tables' owner on a database that nobody is using meanwhile: the tables are
locked until the end.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import connection

Progress = Callable[[str], None]


def reserve_ids(model, count: int) -> list[int]:
    """Take ``count`` ids from the model's sequence, for rows that refer to each other."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
            [model._meta.db_table, count],
        )
        return [row[0] for row in cursor.fetchall()]


def copy_text(cursor, table: str, columns: Iterable[str], data: bytes) -> None:
    """Stream COPY text (tab-separated lines, already escaped) into ``table``."""
    if not data:
        return
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        copy.write(data)


@dataclass
class LoadWindow:
    """What was taken off the tables for the load, to put back afterwards."""

    tables: list[str]
    foreign_keys: list[tuple[str, str, str]] = field(default_factory=list)
    unique_constraints: list[tuple[str, str, str]] = field(default_factory=list)
    indexes: list[tuple[str, str]] = field(default_factory=list)  # table, CREATE INDEX ...


def open_window(cursor, tables: list[str]) -> LoadWindow:
    """Disable user triggers and drop secondary indexes and foreign keys of ``tables``.

    Foreign keys of other tables that point at them go too (their unique keys are rebuilt),
    and come back validated. The primary keys stay.
    """
    window = LoadWindow(tables=tables)
    cursor.execute(
        """
        SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
          FROM pg_constraint
         WHERE contype = 'f'
           AND (conrelid = ANY(%(tables)s::regclass[]) OR confrelid = ANY(%(tables)s::regclass[]))
         ORDER BY 1, 2
        """,
        {"tables": tables},
    )
    window.foreign_keys = cursor.fetchall()
    cursor.execute(
        """
        SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
          FROM pg_constraint
         WHERE contype = 'u' AND conrelid = ANY(%(tables)s::regclass[])
         ORDER BY 1, 2
        """,
        {"tables": tables},
    )
    window.unique_constraints = cursor.fetchall()
    cursor.execute(
        """
        SELECT indrelid::regclass::text, indexrelid::regclass::text, pg_get_indexdef(indexrelid)
          FROM pg_index AS i
         WHERE indrelid = ANY(%(tables)s::regclass[]) AND NOT indisprimary
           AND NOT EXISTS (SELECT FROM pg_constraint AS c
                            WHERE c.conindid = i.indexrelid AND c.contype IN ('p', 'u', 'x'))
         ORDER BY 1, 2
        """,
        {"tables": tables},
    )
    plain_indexes = cursor.fetchall()
    window.indexes = [(table, definition) for table, _name, definition in plain_indexes]

    for table, name, _definition in window.foreign_keys:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for table, name, _definition in window.unique_constraints:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    for _table, name, _definition in plain_indexes:
        cursor.execute(f"DROP INDEX {name}")
    for table in tables:
        cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
    return window


def close_window(cursor, window: LoadWindow, progress: Progress) -> None:
    """Rebuild the indexes, re-add and validate the foreign keys, re-enable the triggers."""
    cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
    for table in window.tables:
        started = time.perf_counter()
        uniques = [row for row in window.unique_constraints if row[0] == table]
        indexes = [sql for index_table, sql in window.indexes if index_table == table]
        for _table, name, definition in uniques:
            cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        for definition in indexes:
            cursor.execute(definition)
        progress(
            f"  {table}: {len(uniques) + len(indexes)} indexes in "
            f"{time.perf_counter() - started:.1f} s"
        )
    started = time.perf_counter()
    for table, name, definition in window.foreign_keys:
        cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
    seconds = time.perf_counter() - started
    progress(f"  {len(window.foreign_keys)} foreign keys checked in {seconds:.1f} s")
    for table in window.tables:
        cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")


def delete_tenant_rows(cursor, tenant_id: int, progress: Progress) -> None:
    """Delete every row of the tenant except the tenant itself, set-based, one table at a time.

    History triggers stay off meanwhile (deleting a bank for a reload is not a change of
    its customers to record); rows of platform tables that point at the tenant's staff
    (admin log, OAuth tokens) go too. Foreign keys are checked once everything is gone.
    """
    from crm.tenancy.models import Staff, Tenant
    from crm.tenancy.rls import tenant_owned_tables

    tables = [
        table
        for table, column in tenant_owned_tables()
        if column == "tenant_id" and table != Tenant._meta.db_table
    ]
    staff_table = Staff._meta.db_table
    cursor.execute(
        """
        SELECT conrelid::regclass::text, a.attname
          FROM pg_constraint AS c
          JOIN pg_attribute AS a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
         WHERE c.contype = 'f' AND c.confrelid = %(staff)s::regclass
           AND cardinality(c.conkey) = 1 AND NOT (conrelid::regclass::text = ANY(%(tables)s))
        """,
        {"staff": staff_table, "tables": tables},
    )
    pointing_at_staff = cursor.fetchall()
    for table in tables:
        cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    for table, column in pointing_at_staff:
        cursor.execute(
            f'DELETE FROM {table} WHERE "{column}" IN '  # noqa: S608 (names from the catalog)
            f"(SELECT id FROM {staff_table} WHERE tenant_id = %s)",
            [tenant_id],
        )
    for table in tables:
        cursor.execute(f"DELETE FROM {table} WHERE tenant_id = %s", [tenant_id])  # noqa: S608
        if cursor.rowcount:
            progress(f"  deleted {cursor.rowcount:,} rows of {table}")
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    for table in tables:
        cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
