"""Time zones by the names bank staff use for them ("Beijing time", not "Asia/Shanghai")."""

import zoneinfo

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

# The zones a bank in China works in; any other zone is shown by its IANA name.
NAMES: dict[str, StrOrPromise] = {
    "Asia/Shanghai": _("Beijing time"),
    "Asia/Urumqi": _("Xinjiang time"),
    "Asia/Hong_Kong": _("Hong Kong time"),
    "Asia/Macau": _("Macau time"),
    "Asia/Taipei": _("Taipei time"),
    "UTC": _("Coordinated Universal Time"),
}


def time_zone_name(zone: str) -> StrOrPromise:
    """Return what staff call ``zone`` (an IANA name), in their language."""
    return NAMES.get(zone, zone)


def time_zone_choices() -> list[tuple[str, StrOrPromise]]:
    """Every zone for the bank's settings: the named ones first, each with its IANA name."""
    named = [(zone, format_lazy("{} ({})", name, zone)) for zone, name in NAMES.items()]
    others = sorted(zoneinfo.available_timezones() - NAMES.keys())
    return [*named, *((zone, zone) for zone in others)]
