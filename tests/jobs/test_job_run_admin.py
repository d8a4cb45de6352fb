"""Job runs in Django admin: each bank's administrators see their bank's, read only."""

from django.urls import reverse
from django.utils import timezone

from crm.jobs.models import JobRun
from crm.tenancy.context import platform_wide


def run(tenant, job: str, status: str = JobRun.Status.SUCCEEDED) -> JobRun:
    with platform_wide():
        return JobRun.objects.create(
            job=job,
            tenant=tenant,
            period="2026-12-01",
            status=status,
            started_at=timezone.now(),
            finished_at=timezone.now(),
            rows_touched=7,
        )


def test_a_bank_admin_and_auditor_list_their_banks_runs_only(bank_a, bank_b, client_for):
    own = run(bank_a.tenant, "channels.rollup")
    run(bank_b.tenant, "zzz.only.job")
    run(None, "platform.only.job")
    for role in ("tenant_admin", "auditor"):
        response = client_for(bank_a[role]).get(reverse("admin:jobs_jobrun_changelist"))
        assert response.status_code == 200
        page = response.content.decode()
        assert "channels.rollup" in page
        assert "zzz.only.job" not in page and "platform.only.job" not in page
        detail = client_for(bank_a[role]).get(reverse("admin:jobs_jobrun_change", args=[own.pk]))
        assert detail.status_code == 200
        assert 'name="_save"' not in detail.content.decode()  # nothing to save


def test_nobody_adds_or_deletes_a_run(bank_a, client_for, platform_admin):
    for staff in (bank_a["tenant_admin"], platform_admin):
        client = client_for(staff)
        assert client.get(reverse("admin:jobs_jobrun_add")).status_code == 403
    own = run(bank_a.tenant, "channels.rollup")
    delete = reverse("admin:jobs_jobrun_delete", args=[own.pk])
    assert client_for(bank_a["tenant_admin"]).post(delete, {"post": "yes"}).status_code == 403
    with platform_wide():
        assert JobRun.objects.filter(pk=own.pk).exists()


def test_the_platform_administrator_lists_every_banks_and_platform_runs(
    bank_a, bank_b, platform_admin, client_for
):
    run(bank_a.tenant, "aaa.job")
    run(bank_b.tenant, "zzz.job")
    run(None, "platform.only.job")
    page = client_for(platform_admin).get(reverse("admin:jobs_jobrun_changelist")).content
    assert all(name in page.decode() for name in ("aaa.job", "zzz.job", "platform.only.job"))


def test_other_roles_cannot_list_runs(bank_a, client_for):
    response = client_for(bank_a["relationship_manager"]).get(
        reverse("admin:jobs_jobrun_changelist")
    )
    assert response.status_code in (302, 403)
