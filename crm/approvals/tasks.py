"""Mark overdue proposals expired, every quarter of an hour, bank by bank."""

from django.utils import timezone

from crm.approvals.services import proposals_expire
from crm.jobs.models import JobRun
from crm.jobs.runs import run_once
from crm.jobs.tenant_task import fan_out_per_tenant, platform_task, tenant_task
from crm.tenancy.models import Tenant

EXPIRE = "approvals.expire"


def quarter_hour() -> str:
    now = timezone.now()
    return now.replace(minute=now.minute - now.minute % 15).strftime("%Y-%m-%dT%H:%M")


@platform_task()
def expire_proposals(period: str | None = None) -> None:
    JobRun.objects.mark_stale()
    fan_out_per_tenant(tenant_expire_proposals, period=period or quarter_hour())


@tenant_task(atomic=False)
def tenant_expire_proposals(*, tenant: Tenant, period: str) -> None:
    run_once(job=EXPIRE, period=period, work=proposals_expire, atomic=False)
