"""Creating the runtime role: safe on a server where several processes do it at once."""

import threading
import uuid

import psycopg
import pytest
from psycopg import sql

from crm.db.roles import repair_runtime_role, role_problems
from tests.database import owner_dsn, server_params


@pytest.fixture
def new_role_name(db):
    name = f"crm_test_{uuid.uuid4().hex[:10]}"
    yield name
    with psycopg.connect(owner_dsn(), autocommit=True) as owner:
        owner.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(name)))


def test_six_processes_creating_the_role_at_once_all_succeed(new_role_name):
    start_together = threading.Barrier(6)
    failures = []

    def create():
        try:
            with psycopg.connect(owner_dsn(), autocommit=True) as owner, owner.cursor() as cur:
                start_together.wait()
                repair_runtime_role(cur, new_role_name, "a-derived-password", server_params())
        except Exception as error:  # reported below, for every thread at once
            failures.append(repr(error))

    threads = [threading.Thread(target=create) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    with psycopg.connect(owner_dsn()) as owner, owner.cursor() as cursor:
        assert role_problems(cursor, new_role_name) == []


def test_an_unsafe_existing_role_is_made_safe(new_role_name):
    name = sql.Identifier(new_role_name)
    with psycopg.connect(owner_dsn(), autocommit=True) as owner, owner.cursor() as cursor:
        cursor.execute(sql.SQL("CREATE ROLE {} NOLOGIN INHERIT CREATEDB").format(name))
        cursor.execute(sql.SQL("GRANT pg_read_server_files TO {}").format(name))
        assert set(role_problems(cursor, new_role_name)) == {
            "rolcreatedb is True",
            "rolinherit is True",
            "rolcanlogin is False",
            "member of pg_read_server_files",
        }
        repair_runtime_role(cursor, new_role_name, "a-derived-password", server_params())
        assert role_problems(cursor, new_role_name) == []
