"""Reads of the organisation for the pages."""

from typing import Any

from django.db.models import Count, Q, QuerySet

from crm.jobs.models import JobRun
from crm.tenancy.models import Branch, PartnerApplication, Staff, Tenant


def colleagues_in_scope(staff: Staff, *, limit: int = 100) -> QuerySet[Staff]:
    return (
        Staff.objects.in_scope(staff)
        .active()
        .select_related("branch")
        .prefetch_related("groups")
        .order_by("branch__path", "name")[:limit]
    )


def branches_in_scope(staff: Staff) -> list[Branch]:
    """Return the branches in scope in tree order, each with its depth below the top one."""
    branches = list(Branch.objects.in_scope(staff).active().tree_order())
    top = min((branch.depth for branch in branches), default=0)
    for branch in branches:
        branch.relative_depth = min(branch.depth - top, 3)
    return branches


def tenant_admin_overview(staff: Staff) -> dict[str, Any]:
    staff_counts = Staff.objects.in_scope(staff).aggregate(
        active=Count("pk", filter=Q(is_active=True)),
        inactive=Count("pk", filter=Q(is_active=False)),
    )
    return {
        "staff_counts": staff_counts,
        "partner_applications": PartnerApplication.objects.in_scope(staff).order_by("name"),
        # Newest first; runs started in one transaction share their start time (the demo
        # loader's month of roll-ups), so the later-claimed run comes first among them.
        "recent_job_runs": JobRun.objects.in_scope(staff).order_by("-started_at", "-pk")[:5],
    }


def platform_overview() -> list[Tenant]:
    """Every tenant with its head count (platform administrators only)."""
    counts = dict(
        Staff.objects.filter(tenant__isnull=False)
        .values_list("tenant_id")
        .annotate(total=Count("pk"))
        .values_list("tenant_id", "total")
    )
    tenants = list(Tenant.objects.order_by("code"))
    for tenant in tenants:
        tenant.staff_total = counts.get(tenant.pk, 0)
    return tenants
