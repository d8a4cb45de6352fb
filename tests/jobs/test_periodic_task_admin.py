"""The platform administrator schedules background jobs in admin, choosing from our tasks."""

import re

import pytest
from celery import Celery
from django.urls import reverse
from django_celery_beat.models import CrontabSchedule

from crm.celery import app as crm_app
from crm.jobs.admin import crontab_in_words
from crm.tenancy.time_zones import time_zone_name

OUR_TASKS = {
    "channels.tasks.rollup_yesterday",
    "crm.jobs.tasks.housekeeping",
    "crm.approvals.tasks.expire_proposals",
    "crm.events.tasks.sweep_events",
}


def registered_task_choices(page: str) -> set[str]:
    select = page.split('name="regtask"')[1].split("</select>")[0]
    return set(re.findall(r'<option value="([^"]+)"', select))


@pytest.fixture
def another_current_celery_app():
    """Another Celery app made current in this thread, as any library or test may do.

    Celery keeps its current app per thread: django-celery-beat's form listed that app's
    tasks (only those of ours that happened to be imported already, none in a fresh process).
    """
    other = Celery("another", set_as_current=True)
    other.task(name="another.only_task")(lambda: None)
    yield other
    crm_app.set_current()


def test_the_add_page_lists_our_registered_tasks(platform_admin, client_for):
    page = client_for(platform_admin).get(reverse("admin:django_celery_beat_periodictask_add"))
    assert page.status_code == 200
    assert registered_task_choices(page.content.decode()) >= OUR_TASKS


def test_the_task_list_is_ours_whichever_celery_app_is_current(
    platform_admin, client_for, another_current_celery_app
):
    page = client_for(platform_admin).get(reverse("admin:django_celery_beat_periodictask_add"))
    choices = registered_task_choices(page.content.decode())
    assert choices >= OUR_TASKS
    assert "another.only_task" not in choices


def test_the_form_runs_no_inline_script(platform_admin, client_for):
    page = client_for(platform_admin).get(reverse("admin:django_celery_beat_periodictask_add"))
    scripts = re.findall(r"<script(?![^>]*\bsrc=)([^>]*)>", page.content.decode())
    # Only data (json_script) is inline: the policy refuses inline code without a nonce.
    assert all('type="application/json"' in attributes for attributes in scripts), scripts


def test_a_crontab_is_said_in_words_with_its_time_zone_by_name():
    crontab = CrontabSchedule(
        minute="15",
        hour="1",
        day_of_month="*",
        month_of_year="*",
        day_of_week="*",
        timezone="Asia/Shanghai",
    )
    words = crontab_in_words(crontab)
    assert "01:15" in words and "AM" not in words
    assert words.endswith(f"({time_zone_name('Asia/Shanghai')})")
