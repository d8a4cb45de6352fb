from typing import Any

from django.core.management.commands import flush

from crm.db.owner import database_owner


class Command(flush.Command):
    """Django's `flush`, run as the owner of the tables, not as the application role."""

    def execute(self, *args: Any, **options: Any) -> str | None:
        with database_owner():
            return super().execute(*args, **options)
