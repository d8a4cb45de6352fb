from typing import Any

from django.contrib.auth.management.commands import changepassword

from crm.tenancy.context import platform_wide


class Command(changepassword.Command):
    """Django's `changepassword` for platform administrators, who belong to no tenant."""

    def handle(self, *args: Any, **options: Any) -> str | None:
        with platform_wide():
            return super().handle(*args, **options)
