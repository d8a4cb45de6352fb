"""What a bank's administrator reads in the admin pages: names in their language, not codes."""

import re
from datetime import timedelta

from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext

from crm.jobs.models import JobRun
from crm.jobs.names import job_name
from crm.tenancy.context import platform_wide
from crm.tenancy.roles import Role
from crm.tenancy.time_zones import time_zone_name

OUR_APPS = ("crm.", "customers.", "channels.")


def widget(page: str) -> str:
    return page.split('data-testid="admin-overview"')[1].split("</table>")[0]


def test_recent_background_jobs_are_the_newest_runs(bank_a, client_for):
    # The demo loader claims a month of roll-ups in one transaction: one start time for all.
    started = timezone.now() - timedelta(hours=1)
    with platform_wide():
        JobRun.objects.create(
            job="channels.rollup",
            tenant=bank_a.tenant,
            period="2026-10-31",
            status=JobRun.Status.SUCCEEDED,
            started_at=started - timedelta(days=1),
        )
        for day in range(1, 8):
            JobRun.objects.create(
                job="channels.rollup",
                tenant=bank_a.tenant,
                period=f"2026-11-0{day}",
                status=JobRun.Status.SUCCEEDED,
                started_at=started,
            )
    page = client_for(bank_a[Role.TENANT_ADMIN]).get(reverse("home")).content.decode()
    periods = re.findall(r"2026-1\d-\d\d", widget(page))
    assert periods == ["2026-11-07", "2026-11-06", "2026-11-05", "2026-11-04", "2026-11-03"]


def test_background_jobs_are_shown_by_name(bank_a, client_for):
    with platform_wide():
        JobRun.objects.create(
            job="channels.rollup",
            tenant=bank_a.tenant,
            period="2026-11-01",
            status=JobRun.Status.SUCCEEDED,
            started_at=timezone.now(),
        )
    name = str(job_name("channels.rollup"))
    assert name != "channels.rollup"
    client = client_for(bank_a[Role.TENANT_ADMIN])
    home = widget(client.get(reverse("home")).content.decode())
    assert name in home and "channels.rollup" not in home
    runs = client.get(reverse("admin:jobs_jobrun_changelist")).content.decode()
    assert f">{name}<" in runs  # the column and the filter
    assert ">channels.rollup<" not in runs


def test_the_staff_list_filters_by_role_names(bank_a, client_for):
    client = client_for(bank_a[Role.TENANT_ADMIN])
    url = reverse("admin:tenancy_staff_changelist")
    page = client.get(url).content.decode()
    for role in Role:
        assert f">{role.label}</a>" in page
        assert f">{role.value}</a>" not in page
    tellers = client.get(url, {"role": Role.TELLER}).content.decode()
    assert bank_a[Role.TELLER].username in tellers
    assert bank_a[Role.AUDITOR].username not in tellers


def test_the_platform_home_lists_banks_by_bank_name_and_named_time_zone(
    bank_a, platform_admin, client_for
):
    page = client_for(platform_admin).get(reverse("home")).content.decode()
    table = page.split('data-testid="tenants"')[1].split("</table>")[0]
    assert f"<th>{gettext('Bank name')}</th>" in table
    assert f"<th>{gettext('Name')}</th>" not in table  # a person's name (姓名)
    assert f"<td>{time_zone_name('Asia/Shanghai')}</td>" in table
    assert "Asia/Shanghai" not in table


def test_a_bank_chooses_its_time_zone_by_name():
    from crm.tenancy.time_zones import time_zone_choices

    choices = dict(time_zone_choices())
    assert str(choices["Asia/Shanghai"]) == f"{time_zone_name('Asia/Shanghai')} (Asia/Shanghai)"
    assert choices["Europe/Paris"] == "Europe/Paris"


def test_partner_applications_list_when_they_were_created(bank_a, client_for):
    page = client_for(bank_a[Role.TENANT_ADMIN]).get(
        reverse("admin:tenancy_partnerapplication_changelist")
    )
    headers = re.findall(r'<th scope="col"[^>]*>.*?</th>', page.content.decode(), re.S)
    texts = [re.sub(r"<[^>]+>|\s+", "", header) for header in headers]
    assert gettext("created at").capitalize() in texts or gettext("created at") in texts


def test_every_field_an_admin_page_shows_has_a_translatable_name():
    """Columns, filters and form fields of our models: a plain name would stay English."""
    untranslatable = []
    for model, model_admin in admin.site._registry.items():
        if not model.__module__.startswith(OUR_APPS):
            continue
        names = [
            *(name for name in model_admin.list_display if isinstance(name, str)),
            *(name for name in model_admin.list_filter if isinstance(name, str)),
            *(model_admin.fields or []),
            *(model_admin.raw_id_fields or []),
        ]
        for name in names:
            try:
                field = model._meta.get_field(name.split("__")[0])
            except FieldDoesNotExist:
                continue  # a method with its own translated description
            if not isinstance(field.verbose_name, Promise):
                untranslatable.append(f"{model._meta.label}.{field.name}")
    assert not untranslatable


def test_the_platform_lists_the_role_groups_by_role_name(platform_admin, client_for):
    page = client_for(platform_admin).get(reverse("admin:auth_group_changelist")).content.decode()
    for role in Role:
        assert f">{role.label}<" in page
