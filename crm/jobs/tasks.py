"""Housekeeping: expired sessions (platform), expired OAuth tokens and stale uploads (per
tenant)."""

from django.contrib.sessions.models import Session
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_grant_model, get_refresh_token_model

from crm.jobs.runs import run_once
from crm.jobs.tenant_task import fan_out_per_tenant, platform_task, tenant_task
from crm.tenancy.models import Tenant
from crm.uploads.services import stored_uploads_expire

HOUSEKEEPING = "housekeeping"


def today() -> str:
    return timezone.localdate().isoformat()


@platform_task()
def housekeeping(period: str | None = None) -> None:
    """Daily: clear expired sessions, then clear each tenant's expired tokens."""
    period = period or today()
    run_once(job=f"{HOUSEKEEPING}.sessions", period=period, work=clear_expired_sessions)
    fan_out_per_tenant(tenant_housekeeping, period=period)


def clear_expired_sessions() -> int:
    deleted, _per_model = Session.objects.filter(expire_date__lt=timezone.now()).delete()
    return deleted


@tenant_task(atomic=False)
def tenant_housekeeping(*, tenant: Tenant, period: str) -> None:
    run_once(
        job=HOUSEKEEPING, period=period, work=lambda: clear_expired_tokens(tenant_id=tenant.pk)
    )
    run_once(job=f"{HOUSEKEEPING}.uploads", period=period, work=stored_uploads_expire)


def clear_expired_tokens(*, tenant_id: int) -> int:
    """Delete the tenant's expired access tokens, refresh tokens and grants."""
    now = timezone.now()
    deleted: int = 0
    refresh_tokens = get_refresh_token_model().objects.filter(
        application__tenant_id=tenant_id, revoked__lt=now
    )
    deleted += refresh_tokens.delete()[0]
    access_tokens = get_access_token_model().objects.filter(
        application__tenant_id=tenant_id, expires__lt=now, refresh_token__isnull=True
    )
    deleted += access_tokens.delete()[0]
    grants = get_grant_model().objects.filter(application__tenant_id=tenant_id, expires__lt=now)
    deleted += grants.delete()[0]
    return deleted
