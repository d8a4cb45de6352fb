"""Deadlines that count working days (a complaint answered within 15 working days...).

The plain week works Monday to Friday; a bank's ``CalendarDay`` rows override single days.
Each call reads the exceptions of the range it needs in one query.
"""

from datetime import date, timedelta

from crm.business_calendar.models import CalendarDay
from crm.tenancy.models import Tenant

# Long enough for any holiday season (the Spring Festival closes about 9 days in a row).
_LOOKAHEAD_FACTOR = 2
_LOOKAHEAD_MARGIN = 20


def _exceptions(tenant: Tenant, start: date, end: date) -> dict[date, bool]:
    return dict(
        CalendarDay.objects.filter(tenant=tenant, date__range=(start, end)).values_list(
            "date", "is_working_day"
        )
    )


def _works(day: date, exceptions: dict[date, bool]) -> bool:
    return exceptions.get(day, day.weekday() < 5)


def is_working_day(tenant: Tenant, day: date) -> bool:
    return _works(day, _exceptions(tenant, day, day))


def add_working_days(tenant: Tenant, start: date, n: int) -> date:
    """Return the ``n``-th working day after ``start`` (``start`` itself not counted).

    With ``n`` = 0: ``start`` when it is a working day, else the next working day.
    """
    if n < 0:
        raise ValueError("Count forwards: n must not be negative.")
    span = n * _LOOKAHEAD_FACTOR + _LOOKAHEAD_MARGIN
    window_start = start
    exceptions = _exceptions(tenant, window_start, window_start + timedelta(days=span))
    day, counted = start, 0
    if n == 0:
        while not _works(day, exceptions):
            day += timedelta(days=1)
        return day
    while counted < n:
        day += timedelta(days=1)
        if day > window_start + timedelta(days=span):
            window_start = day
            exceptions = _exceptions(tenant, day, day + timedelta(days=span))
        if _works(day, exceptions):
            counted += 1
    return day


def working_days_between(tenant: Tenant, start: date, end: date) -> int:
    """Count working days after ``start`` up to and including ``end`` (0 if end <= start)."""
    if end <= start:
        return 0
    exceptions = _exceptions(tenant, start, end)
    return sum(
        1
        for offset in range(1, (end - start).days + 1)
        if _works(start + timedelta(days=offset), exceptions)
    )
