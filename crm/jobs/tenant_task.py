"""Celery tasks that run as one tenant, and the fan-out of periodic jobs to every tenant."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import pghistory
from celery import shared_task
from celery.contrib.django.task import DjangoTask
from django.db import InterfaceError, OperationalError, transaction

from crm.tenancy.context import platform_wide, tenant_context
from crm.tenancy.models import Tenant

_P = ParamSpec("_P")
_R = TypeVar("_R")

RETRY_OPTIONS: dict[str, Any] = {
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": True,
    "retry_backoff_max": 600,
    "retry_jitter": True,
    "max_retries": 5,
}


def tenant_task(
    *, atomic: bool = True, **task_options: Any
) -> Callable[[Callable[..., _R]], DjangoTask[..., _R]]:
    """Declare a task that runs as the tenant given by its ``tenant_id`` keyword argument.

    The task body receives ``tenant`` (the Tenant) instead of ``tenant_id``. It runs in
    ``transaction.atomic()`` unless ``atomic=False`` (for bodies that manage their own
    transactions, such as job runs that record failures).
    """

    def decorator(func: Callable[..., _R]) -> DjangoTask[..., _R]:
        @shared_task(name=f"{func.__module__}.{func.__name__}", **{**RETRY_OPTIONS, **task_options})
        @functools.wraps(func)
        def task(*args: Any, tenant_id: int, **kwargs: Any) -> _R:
            with platform_wide():
                tenant = Tenant.objects.get(pk=tenant_id)
            with tenant_context(tenant), pghistory.context(task=task.name, tenant_id=tenant_id):
                if atomic:
                    with transaction.atomic():
                        return func(*args, tenant=tenant, **kwargs)
                return func(*args, tenant=tenant, **kwargs)

        # The task options reach shared_task as **kwargs, so mypy cannot pick its overload.
        registered: DjangoTask[..., _R] = task
        return registered

    return decorator


def platform_task(**task_options: Any) -> Callable[[Callable[_P, _R]], DjangoTask[_P, _R]]:
    """Declare a task that works across tenants (fan-outs, platform housekeeping)."""

    def decorator(func: Callable[_P, _R]) -> DjangoTask[_P, _R]:
        @shared_task(name=f"{func.__module__}.{func.__name__}", **{**RETRY_OPTIONS, **task_options})
        @functools.wraps(func)
        def task(*args: _P.args, **kwargs: _P.kwargs) -> _R:
            with platform_wide(), pghistory.context(task=task.name):
                return func(*args, **kwargs)

        registered: DjangoTask[_P, _R] = task  # as in tenant_task
        return registered

    return decorator


def fan_out_per_tenant(task: DjangoTask[..., Any], **kwargs: Any) -> int:
    """Enqueue ``task`` once per active tenant (after the current transaction commits)."""
    with platform_wide():
        tenant_ids = list(Tenant.objects.active().order_by("pk").values_list("pk", flat=True))
    for tenant_id in tenant_ids:
        task.delay_on_commit(tenant_id=tenant_id, **kwargs)
    return len(tenant_ids)
