"""Celery beat's database scheduler, reading and writing its schedule as platform code.

The schedule tables are shared by every bank and hold what the workers will run, with
which arguments: a statement injected into one bank's transaction that could add a
periodic task could have a task run for another bank. So the tables are under row-level
security for platform claims only (``crm.tenancy.rls.PlatformOnlyRowLevelSecurity``) and
beat, a process of its own, works platform-wide from its start.
"""

from typing import Any

from django_celery_beat.schedulers import DatabaseScheduler

from crm.tenancy.context import activate_platform_wide


class PlatformScheduler(DatabaseScheduler):  # type: ignore[misc]  # untyped django-celery-beat
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # For the rest of this thread's life: beat's thread does nothing else.
        activate_platform_wide()
        super().__init__(*args, **kwargs)
