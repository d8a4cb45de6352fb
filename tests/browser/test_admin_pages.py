"""The platform administrator's admin pages work under the content security policy."""

import pytest
from django_celery_beat.models import CrontabSchedule
from playwright.sync_api import expect

from crm.jobs.admin import crontab_in_words
from crm.tenancy.context import platform_wide
from tests.browser.conftest import login
from tests.factories.tenancy import TEST_PASSWORD

pytestmark = pytest.mark.browser


def test_the_add_periodic_task_page_runs_its_script_and_lists_our_tasks(
    page, live_server, platform_admin
):
    with platform_wide():  # the schedule tables are the platform's only
        nightly = CrontabSchedule.objects.create(
            minute="15",
            hour="1",
            day_of_month="*",
            month_of_year="*",
            day_of_week="*",
            timezone="Asia/Shanghai",
        )
    login(page, live_server, platform_admin.username, TEST_PASSWORD)
    page.goto(f"{live_server.url}/admin/django_celery_beat/periodictask/add/")

    tasks = page.locator("#id_regtask option").all_inner_texts()
    assert "channels.tasks.rollup_yesterday" in tasks
    assert "crm.jobs.tasks.housekeeping" in tasks

    # The script hides the read-only "crontab translation" row and says the chosen
    # schedule in words under the field instead; blocked, it would do neither (and the
    # page fixture fails on the policy violation Chromium reports).
    expect(page.locator(".field-crontab_translation")).to_be_hidden()
    page.locator("#id_crontab").select_option(str(nightly.pk))
    expect(page.locator("[data-crontab-in-words]")).to_contain_text(crontab_in_words(nightly))
