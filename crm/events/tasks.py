"""Dispatch change events: right after the commit that wrote them, and by a periodic sweep."""

from datetime import timedelta

from django.db.models.functions import Now
from django.utils import timezone

from crm.events.models import ChangeEvent
from crm.events.services import events_dispatch, events_prune
from crm.jobs.models import JobRun
from crm.jobs.tenant_task import platform_task, tenant_task
from crm.tenancy.models import Tenant

# Events younger than this are left to the task enqueued by their own commit.
SWEEP_GRACE = timedelta(minutes=1)
# Dispatched events are kept this long (to look into a subscriber's complaint), then pruned.
RETENTION = timedelta(days=7)


@tenant_task(atomic=False)
def dispatch_events(*, tenant: Tenant) -> int:
    return events_dispatch()


@platform_task()
def sweep_events() -> int:
    """Every minute: dispatch what the after-commit tasks did not (lost, crashed, failed).

    Also records job runs whose worker died as failed (``JobRun.objects.mark_stale``) and
    prunes old dispatched events a slice at a time: this is the platform's one frequent
    periodic task.
    """
    JobRun.objects.mark_stale()
    events_prune(older_than=RETENTION)
    tenant_ids = set(
        ChangeEvent.objects.filter(
            dispatched_at__isnull=True,
            next_attempt_at__lte=Now(),
            occurred_at__lt=timezone.now() - SWEEP_GRACE,
        )
        .values_list("tenant_id", flat=True)
        .distinct()
    )
    for tenant_id in sorted(tenant_ids):
        dispatch_events.delay_on_commit(tenant_id=tenant_id)
    return len(tenant_ids)
