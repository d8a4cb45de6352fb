from typing import Any

from django.core.management.commands import makemigrations

from crm.db.owner import database_owner


class Command(makemigrations.Command):
    """Django's `makemigrations`, run as the owner of the tables, not as the application role."""

    def execute(self, *args: Any, **options: Any) -> str | None:
        with database_owner():
            return super().execute(*args, **options)
