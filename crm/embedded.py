"""Embedded services for a machine where nothing is configured.

With ``DATABASE_URL`` unset the project runs on a PostgreSQL server shipped in the
``pgserver`` wheel, and with ``CELERY_BROKER_URL`` unset Celery uses kombu's filesystem
transport. Both keep their state under ``.local/`` in the repository (``CRM_LOCAL_DIR``
names another folder) so that the web server, the worker, beat and the tests started from
the same checkout share them.

pgserver stops the server when the last process that joined it exits, counting them in a
file of process ids. A process killed before it could remove its id would keep the server
running for ever, so ids of processes that no longer exist are forgotten before joining.
"""

import contextlib
import json
import os
from pathlib import Path
from typing import Any

BASE_DIR = Path(__file__).resolve().parent.parent
LOCAL_DIR = Path(os.environ.get("CRM_LOCAL_DIR") or BASE_DIR / ".local")

# pgserver keeps its inter-process lock in the user's runtime directory; pin it so that
# every process of this checkout agrees on it even where XDG_RUNTIME_DIR is unset.
os.environ.setdefault("XDG_RUNTIME_DIR", str(LOCAL_DIR / "run"))

_server = None


def embedded_database_url(database: str = "crm") -> str:
    """Start (or join) the embedded PostgreSQL server and return a URL for ``database``."""
    global _server
    import pgserver
    import psycopg
    from psycopg import errors, sql

    Path(os.environ["XDG_RUNTIME_DIR"]).mkdir(parents=True, exist_ok=True, mode=0o700)
    if _server is None:
        pgdata = LOCAL_DIR / "pgdata"
        _forget_dead_processes(pgdata)
        _server = pgserver.get_server(pgdata, cleanup_mode="stop")
    with psycopg.connect(_server.get_uri(), autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [database]
        ).fetchone()
        if not exists:
            # Another process of this checkout may have created it first.
            with contextlib.suppress(errors.DuplicateDatabase):
                connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    return _server.get_uri(database)


def _forget_dead_processes(pgdata: Path) -> None:
    import psutil
    from pgserver.postgres_server import PostgresServer

    handles = pgdata / ".handle_pids.json"
    with PostgresServer._lock:
        if not handles.exists():
            return
        try:
            pids = json.loads(handles.read_text())
        except ValueError:
            pids = []
        alive = [pid for pid in pids if psutil.pid_exists(pid)]
        if alive != pids:
            handles.write_text(json.dumps(alive))


def joined_database_url(database: str = "crm") -> str | None:
    """The URL of the embedded server this process started or joined, if it did."""
    return _server.get_uri(database) if _server is not None else None


def embedded_broker() -> tuple[str, dict[str, Any]]:
    """Return the broker URL and transport options of the filesystem broker."""
    folders = {name: LOCAL_DIR / "broker" / name for name in ("queue", "processed", "control")}
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)
    # The transport ignores the host; naming one keeps kombu from warning that none was given.
    return "filesystem://localhost/", {
        "data_folder_in": str(folders["queue"]),
        "data_folder_out": str(folders["queue"]),
        "processed_folder": str(folders["processed"]),
        "control_folder": str(folders["control"]),
        "store_processed": False,
    }
