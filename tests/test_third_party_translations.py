"""A Chinese administrator reads the third-party admin apps (axes, the OAuth toolkit,
celery-beat) in Chinese: what the packages lack is in our third-party catalogue."""

import os
import re
import shutil
from pathlib import Path

import polib
import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.utils import label_for_field
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import translation
from django_celery_beat.models import CrontabSchedule, PeriodicTask

from crm.tenancy.context import platform_wide

THIRD_PARTY = Path(settings.BASE_DIR) / "locale_third_party"
PO = THIRD_PARTY / "zh_Hans" / "LC_MESSAGES" / "django.po"
APPS = ("axes", "oauth2_provider", "django_celery_beat")
CHINESE = re.compile(r"[\u4e00-\u9fff]")
# Shown as they are in Chinese too.
UNTRANSLATED = {"ID", "AUM", "OIDC", "Pk"}  # Pk: the row number column Django labels itself
# Choices whose labels are codes in every language: time zones, PKCE methods.
# Plain strings in the package's model; our admin names them (form label, filter title).
NAMED_BY_OUR_ADMIN = {"django_celery_beat.PeriodicTask.task"}
CODED_CHOICES = {
    "django_celery_beat.CrontabSchedule.timezone",
    "oauth2_provider.Grant.code_challenge_method",
}


def chinese(text: object) -> bool:
    return bool(CHINESE.search(str(text))) or str(text) in UNTRANSLATED


def test_the_third_party_catalogue_is_complete_and_compiled():
    po = polib.pofile(str(PO))
    assert not po.untranslated_entries(), [e.msgid for e in po.untranslated_entries()]
    assert not po.fuzzy_entries(), [e.msgid for e in po.fuzzy_entries()]
    compiled = {entry.msgid: entry for entry in polib.mofile(str(PO.with_suffix(".mo")))}
    for entry in po:
        assert entry.msgid in compiled, f"stale .mo: {entry.msgid!r} missing"
        assert compiled[entry.msgid].msgstr == entry.msgstr
        assert compiled[entry.msgid].msgstr_plural == entry.msgstr_plural


def test_makemessages_leaves_the_third_party_catalogue_alone(tmp_path):
    """CI runs makemessages --no-obsolete, which drops every msgid not in our code."""
    if shutil.which("xgettext") is None:
        if os.environ.get("REQUIRE_GETTEXT"):
            pytest.fail("gettext is required (apt-get install gettext)")
        pytest.skip("gettext is not installed")
    copy = tmp_path / "project"
    shutil.copytree(
        settings.BASE_DIR,
        copy,
        ignore=shutil.ignore_patterns(
            ".*", "__pycache__", "node_modules", "staticfiles", "static", "test-artifacts", "docs"
        ),
    )
    catalogue = copy / PO.relative_to(settings.BASE_DIR)
    before = catalogue.read_bytes()
    with override_settings(LOCALE_PATHS=[copy / "locale", copy / "locale_third_party"]):
        cwd = os.getcwd()
        os.chdir(copy)
        try:
            call_command("makemessages", locale=["zh_Hans"], verbosity=0, no_obsolete=True)
        finally:
            os.chdir(cwd)
    assert catalogue.read_bytes() == before
    assert sorted(p.name for p in catalogue.parent.iterdir()) == ["django.mo", "django.po"]


def admin_visible_names():
    """Every name the three apps' admin pages show: apps, models, fields, choices, columns,
    filters and actions."""
    for label in APPS:
        config = apps.get_app_config(label)
        yield f"app {label}", config.verbose_name
        for model in config.get_models():
            opts = model._meta
            model_admin = admin.site._registry.get(model)
            if model_admin is None:
                continue  # only the package's own bookkeeping
            yield f"{opts.label}", opts.verbose_name
            yield f"{opts.label} (plural)", opts.verbose_name_plural
            for field in opts.fields:
                if field.auto_created or field.name in {"id"}:
                    continue
                if f"{opts.label}.{field.name}" not in NAMED_BY_OUR_ADMIN:
                    yield f"{opts.label}.{field.name}", field.verbose_name
                if f"{opts.label}.{field.name}" in CODED_CHOICES:
                    continue
                for _value, choice in field.flatchoices:
                    yield f"{opts.label}.{field.name} choice", choice
            for name in [*model_admin.list_display, *model_admin.list_filter]:
                if name in {"pk", "__str__"}:
                    continue  # the object itself, no name
                if isinstance(name, str):
                    yield f"{opts.label} column {name}", label_for_field(name, model, model_admin)
                elif isinstance(name, tuple):
                    field = opts.get_field(name[0])
                    title = name[1](field, None, {}, model, model_admin, name[0]).title
                    yield f"{opts.label} filter {name[0]}", title
                else:
                    yield f"{opts.label} filter {name.__name__}", name.title
            for action in model_admin.actions or []:
                function = getattr(model_admin, action) if isinstance(action, str) else action
                yield f"{opts.label} action {action}", function.short_description


def test_every_name_the_third_party_admin_apps_show_is_in_chinese():
    with translation.override("zh-hans"):
        english = [f"{where}: {name}" for where, name in admin_visible_names() if not chinese(name)]
    assert not english


def test_the_admin_index_and_changelists_show_the_apps_in_chinese(
    bank_a, platform_admin, client_for
):
    # A row in each list: an empty list shows no columns.
    bank_a.token()
    with platform_wide():
        AccessAttempt.objects.create(
            username="someone", ip_address="10.0.0.1", user_agent="test", failures_since_start=1
        )
        AccessLog.objects.create(username="someone", ip_address="10.0.0.1", user_agent="test")
        AccessFailureLog.objects.create(
            username="someone", ip_address="10.0.0.1", user_agent="test"
        )
        CrontabSchedule.objects.get_or_create(minute="15", hour="1", timezone="Asia/Shanghai")
        PeriodicTask.objects.get_or_create(
            name="test",
            task="crm.jobs.tasks.housekeeping",
            interval=None,
            crontab=CrontabSchedule.objects.first(),
        )
    client = client_for(platform_admin)
    index = client.get(reverse("admin:index"), headers={"accept-language": "zh-hans"})
    page = index.content.decode()
    for english in ("Axes", "Django OAuth Toolkit", "Access attempts", "Access tokens"):
        assert f">{english}<" not in page
    for chinese_name in ("登录锁定", "合作方接口授权", "登录尝试", "访问令牌", "周期任务"):
        assert chinese_name in page
    for changelist in (
        "admin:axes_accessattempt_changelist",
        "admin:axes_accesslog_changelist",
        "admin:axes_accessfailurelog_changelist",
        "admin:oauth2_provider_accesstoken_changelist",
        "admin:django_celery_beat_periodictask_changelist",
        "admin:django_celery_beat_crontabschedule_changelist",
    ):
        page = client.get(reverse(changelist)).content.decode()
        page = page.split('id="result_list"')[1].split("</thead>")[0]
        headers = re.findall(r'<th scope="col"[^>]*>(.*?)</th>', page, re.S)
        texts = [re.sub(r"<[^>]+>|\s+", "", header) for header in headers]
        texts = [text for text in texts if text]  # the selection checkbox column
        assert texts, changelist
        assert all(chinese(text) for text in texts), (changelist, texts)
