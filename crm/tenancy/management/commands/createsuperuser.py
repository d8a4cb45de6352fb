from typing import Any

from django.contrib.auth.management.commands import createsuperuser

from crm.tenancy.context import platform_wide


class Command(createsuperuser.Command):
    """Django's `createsuperuser` for platform administrators, who belong to no tenant."""

    def handle(self, *args: Any, **options: Any) -> str | None:
        with platform_wide():
            return super().handle(*args, **options)
