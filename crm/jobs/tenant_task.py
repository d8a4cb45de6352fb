"""Celery tasks that run as one tenant, and the fan-out of periodic jobs to every tenant."""

import functools
from collections.abc import Callable

import pghistory
from celery import shared_task
from django.db import InterfaceError, OperationalError, transaction

from crm.tenancy.context import platform_wide, tenant_context
from crm.tenancy.models import Tenant

RETRY_OPTIONS = {
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 5,
}


def tenant_task(*, atomic: bool = True, **task_options) -> Callable:
    """Declare a task that runs as the tenant given by its ``tenant_id`` keyword argument.

    The task body receives ``tenant`` (the Tenant) instead of ``tenant_id``. It runs in
    ``transaction.atomic()`` unless ``atomic=False`` (for bodies that manage their own
    transactions, such as job runs that record failures).
    """

    def decorator(func: Callable) -> Callable:
        @shared_task(name=f"{func.__module__}.{func.__name__}", **{**RETRY_OPTIONS, **task_options})
        @functools.wraps(func)
        def task(*args, tenant_id: int, **kwargs):
            with platform_wide():
                tenant = Tenant.objects.get(pk=tenant_id)
            with tenant_context(tenant), pghistory.context(task=task.name, tenant_id=tenant_id):
                if atomic:
                    with transaction.atomic():
                        return func(*args, tenant=tenant, **kwargs)
                return func(*args, tenant=tenant, **kwargs)

        return task

    return decorator


def platform_task(**task_options) -> Callable:
    """Declare a task that works across tenants (fan-outs, platform housekeeping)."""

    def decorator(func: Callable) -> Callable:
        @shared_task(name=f"{func.__module__}.{func.__name__}", **{**RETRY_OPTIONS, **task_options})
        @functools.wraps(func)
        def task(*args, **kwargs):
            with platform_wide(), pghistory.context(task=task.name):
                return func(*args, **kwargs)

        return task

    return decorator


def fan_out_per_tenant(task, **kwargs) -> int:
    """Enqueue ``task`` once per active tenant (after the current transaction commits)."""
    with platform_wide():
        tenant_ids = list(Tenant.objects.active().order_by("pk").values_list("pk", flat=True))
    for tenant_id in tenant_ids:
        task.delay_on_commit(tenant_id=tenant_id, **kwargs)
    return len(tenant_ids)
