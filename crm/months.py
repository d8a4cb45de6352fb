"""Calendar months, each named by its first day: the one arithmetic that scoring, the
roll-ups, the reports and the generators share (``relativedelta`` would do the same at the
price of a dependency for three lines)."""

from __future__ import annotations

from datetime import date, timedelta


def month_start(day: date) -> date:
    """The first day of ``day``'s month."""
    return day.replace(day=1)


def add_months(month: date, count: int) -> date:
    """The first day of the month ``count`` months after (or, negative, before) ``month``'s."""
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def month_end(month: date) -> date:
    """The last day of ``month``'s month."""
    return add_months(month, 1) - timedelta(days=1)


def months_before(month: date, count: int) -> list[date]:
    """The ``count`` months that end with ``month``'s, oldest first."""
    return [add_months(month, -offset) for offset in range(count - 1, -1, -1)]
