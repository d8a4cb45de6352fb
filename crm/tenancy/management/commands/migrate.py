from typing import Any

from django.core.management import call_command
from django.core.management.commands import migrate
from django.db import connections

from crm.db import claims
from crm.db.owner import database_owner
from crm.db.roles import ensure_runtime_role


class Command(migrate.Command):
    """Django's `migrate`, logged in as the owner of the tables, not as the runtime role.

    It first makes sure the runtime login role exists and is safe (``crm.db.roles``), and
    afterwards stores the key of the claims that row-level security checks
    (``crm.db.claims``), so that a changed SECRET_KEY takes effect with the next migrate,
    and creates the cache table when the cache is the database.
    """

    def execute(self, *args: Any, **options: Any) -> str | None:
        connection = connections[options.get("database") or "default"]
        with database_owner():
            ensure_runtime_role(connection)
            result = super().execute(*args, **options)
            with connection.cursor() as cursor:
                cursor.execute("SELECT to_regclass(%s)", [claims.KEY_TABLE])
                if cursor.fetchone()[0] is not None:
                    claims.store_key(cursor)
            call_command("createcachetable", database=connection.alias, verbosity=0)
        return result
