"""What the daily roll-up tables hold for the chosen days, in the staff member's scope.

The only part of the analytics page that reads the database: a GROUP BY over
``DailyChannelRollup``, ``DailyOutletRollup`` or ``DailyTierPopulation``, never over the
interactions. Each starts from the table's ``in_scope(staff)``, the same rule the customer
list and the request queues apply.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import F, Sum
from django.db.models.functions import TruncMonth, TruncWeek

from channels.models import DailyChannelRollup, DailyOutletRollup, DailyTierPopulation
from crm.tenancy.models import Staff

OUTLET_RANKING_SIZE = 20


class Grouping:
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


PERIOD_EXPRESSIONS = {
    Grouping.DAY: lambda: F("day"),
    Grouping.WEEK: lambda: TruncWeek("day"),
    Grouping.MONTH: lambda: TruncMonth("day"),
}


def _sums() -> dict:
    return {
        "interactions_sum": Sum("interactions"),
        "transactions_sum": Sum("transactions"),
        "amount_sum": Sum("amount"),
    }


@dataclass
class Figures:
    """What the roll-up holds for the chosen days and branches, grouped four ways."""

    by_period: list[dict]
    by_branch: list[dict]
    by_tier: list[dict]
    population: dict[str, Decimal]  # average active customers per tier over the days
    outlets: list[dict]


def read_figures(
    *,
    staff: Staff,
    date_from: date,
    date_to: date,
    grouping: str,
    branch_ids: list[int] | None = None,
) -> Figures:
    """Read the roll-up of the days in ``staff``'s scope, narrowed to ``branch_ids`` if given."""

    def within_days(model):
        rows = model.objects.in_scope(staff, branch_ids=branch_ids)
        return rows.filter(day__gte=date_from, day__lte=date_to)

    rollups = within_days(DailyChannelRollup)
    by_period = list(
        rollups.annotate(period=PERIOD_EXPRESSIONS[grouping]())
        .values("period", "channel_id")
        .annotate(**_sums())
        .order_by()
    )
    by_branch = list(rollups.values("branch_id", "channel_id").annotate(**_sums()).order_by())
    by_tier = list(rollups.values("tier", "channel_id").annotate(**_sums()).order_by())

    populations = within_days(DailyTierPopulation)
    # Per day and tier (a few rows a day): the average counts days a tier had nobody too.
    per_day = populations.values("day", "tier").annotate(total=Sum("customers")).order_by()
    totals: dict[str, int] = defaultdict(int)
    days = set()
    for row in per_day:
        totals[row["tier"]] += row["total"]
        days.add(row["day"])
    population = {tier: Decimal(total) / len(days) for tier, total in totals.items()}

    outlets = list(
        within_days(DailyOutletRollup)
        .values("outlet_id", "outlet__code", "outlet__name", "outlet__kind", "outlet__branch_id")
        .annotate(**_sums())
        .order_by("-transactions_sum", "-amount_sum", "outlet__code")[:OUTLET_RANKING_SIZE]
    )
    return Figures(by_period, by_branch, by_tier, population, outlets)
