"""Simplified Chinese is the default language and its translation is complete."""

import os
import shutil
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

PO = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def test_default_language_is_simplified_chinese():
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert [code for code, _name in settings.LANGUAGES] == ["zh-hans", "en"]


def test_every_message_in_the_catalogue_is_translated_and_compiled():
    po = polib.pofile(str(PO))
    assert not po.untranslated_entries(), [e.msgid for e in po.untranslated_entries()]
    assert not po.fuzzy_entries(), [e.msgid for e in po.fuzzy_entries()]
    mo = polib.mofile(str(PO.with_suffix(".mo")))
    # Keyed by context too: "New customer" is a button, and with the context "tier" a tier.
    compiled = {(entry.msgctxt, entry.msgid): entry.msgstr for entry in mo}
    for entry in po.translated_entries():
        assert compiled.get((entry.msgctxt, entry.msgid)) == entry.msgstr, (
            f"stale .mo for {entry.msgid!r}"
        )


def test_every_string_in_the_code_is_in_the_catalogue(tmp_path):
    """Run makemessages on a copy of the project: a new string without an entry fails.

    A copy, because makemessages writes to the catalogue beside the code it scans.
    """
    if shutil.which("xgettext") is None:
        if os.environ.get("REQUIRE_GETTEXT"):
            pytest.fail("gettext is required (apt-get install gettext)")
        pytest.skip("gettext is not installed")
    base = Path(settings.BASE_DIR)
    catalogue_before = PO.read_bytes()
    copy = tmp_path / "project"
    shutil.copytree(
        base,
        copy,
        ignore=shutil.ignore_patterns(
            ".*", "__pycache__", "node_modules", "staticfiles", "static", "test-artifacts", "docs"
        ),
    )
    with override_settings(LOCALE_PATHS=[copy / "locale"]):
        cwd = os.getcwd()
        os.chdir(copy)
        try:
            call_command("makemessages", locale=["zh_Hans"], verbosity=0, no_obsolete=True)
        finally:
            os.chdir(cwd)
    po = polib.pofile(str(copy / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    assert not po.untranslated_entries(), [e.msgid for e in po.untranslated_entries()]
    assert not po.fuzzy_entries(), [e.msgid for e in po.fuzzy_entries()]
    assert PO.read_bytes() == catalogue_before  # the real catalogue was not touched
