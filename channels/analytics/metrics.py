"""The channel metrics, computed from the roll-up's figures: no database, no shaping.

Totals per channel, cost to serve (transactions times each channel's cost per
transaction), the electronic-channel share, and the calendar of periods the page shows.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from channels.analytics.figures import Figures, Grouping
from channels.models import Channel
from crm.months import add_months
from crm.tenancy.models import Branch, Staff

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
TENTH = Decimal("0.1")


def percent(part, whole) -> Decimal | None:
    """``part`` as a percentage of ``whole`` with one decimal; None when there is no whole."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(TENTH, ROUND_HALF_UP)


def money(value) -> Decimal:
    return Decimal(value or 0).quantize(CENT, ROUND_HALF_UP)


# --- periods ---------------------------------------------------------------------------


def period_starts(date_from: date, date_to: date, grouping: str) -> list[date]:
    """The first day of every period between the two dates, gaps included."""
    if grouping == Grouping.MONTH:
        start = date_from.replace(day=1)
    elif grouping == Grouping.WEEK:
        start = date_from - timedelta(days=date_from.weekday())
    else:
        start = date_from
    starts = []
    while start <= date_to:
        starts.append(start)
        if grouping == Grouping.MONTH:
            start = add_months(start, 1)
        elif grouping == Grouping.WEEK:
            start += timedelta(days=7)
        else:
            start += timedelta(days=1)
    return starts


def period_label(start: date, grouping: str) -> str:
    return start.strftime("%Y-%m") if grouping == Grouping.MONTH else start.isoformat()


# --- channels --------------------------------------------------------------------------


@dataclass(frozen=True)
class Overall:
    """The whole period's figures: what the KPIs above the charts show."""

    interactions: int
    transactions: int
    amount: Decimal
    electronic_transactions: int
    cost: Decimal
    customers: Decimal  # active customers on an average day


class ChannelMetrics:
    """The figures per channel, with what each channel costs and whether it is electronic."""

    def __init__(
        self,
        *,
        figures: Figures,
        channels: dict[int, Channel],
        groups: dict[int, Branch],
        periods: list[date],
    ):
        self.figures = figures
        self.all_channels = channels
        self.groups = groups
        self.periods = periods
        totals: dict[int, dict[str, Any]] = defaultdict(
            lambda: {"interactions": 0, "transactions": 0, "amount": ZERO}
        )
        for row in figures.by_period:
            total = totals[row["channel_id"]]
            total["interactions"] += row["interactions_sum"]
            total["transactions"] += row["transactions_sum"]
            total["amount"] += row["amount_sum"]
        self.channel_totals = totals
        # Busiest channels first: the legend and the columns read in order of weight.
        self.channels = sorted(
            (channels[pk] for pk in totals if pk in channels),
            key=lambda channel: (-totals[channel.pk]["interactions"], channel.code),
        )

    def cost(self, channel_id: int, transactions: int) -> Decimal:
        channel = self.all_channels.get(channel_id)
        return channel.cost_per_transaction * transactions if channel else ZERO

    def is_electronic(self, channel_id: int) -> bool:
        channel = self.all_channels.get(channel_id)
        return bool(channel and channel.is_electronic)

    def overall(self) -> Overall:
        totals = self.channel_totals
        return Overall(
            interactions=sum(t["interactions"] for t in totals.values()),
            transactions=sum(t["transactions"] for t in totals.values()),
            amount=sum((t["amount"] for t in totals.values()), ZERO),
            electronic_transactions=sum(
                t["transactions"] for pk, t in totals.items() if self.is_electronic(pk)
            ),
            cost=sum((self.cost(pk, t["transactions"]) for pk, t in totals.items()), ZERO),
            customers=sum(self.figures.population.values(), Decimal(0)),
        )

    def _period_index(self) -> dict[date, int]:
        return {start: i for i, start in enumerate(self.periods)}

    def volume_by_period(self) -> tuple[dict[int, list[int]], dict[int, list[Decimal]]]:
        """Interactions and transaction amounts per channel, one value per period."""
        index = self._period_index()
        interactions = {c.pk: [0] * len(self.periods) for c in self.channels}
        amounts = {c.pk: [ZERO] * len(self.periods) for c in self.channels}
        for row in self.figures.by_period:
            i = index.get(row["period"])
            if i is None or row["channel_id"] not in interactions:
                continue
            interactions[row["channel_id"]][i] += row["interactions_sum"]
            amounts[row["channel_id"]][i] += row["amount_sum"]
        return interactions, amounts

    def transactions_by_period(self) -> tuple[list[int], list[int]]:
        """Transactions in electronic channels and in all channels, one value per period."""
        index = self._period_index()
        electronic = [0] * len(self.periods)
        everything = [0] * len(self.periods)
        for row in self.figures.by_period:
            i = index.get(row["period"])
            if i is None:
                continue
            everything[i] += row["transactions_sum"]
            if self.is_electronic(row["channel_id"]):
                electronic[i] += row["transactions_sum"]
        return electronic, everything

    def transactions_by_branch(self) -> list[tuple[Branch, int, int]]:
        """(group branch, electronic transactions, all transactions), in tree order."""
        return [
            (
                branch,
                sum(n for pk, n in counts.items() if self.is_electronic(pk)),
                sum(counts.values()),
            )
            for branch, counts in self.branch_rows(self.figures.by_branch, "transactions_sum")
        ]

    def interactions_by_tier(self) -> dict[str, dict[int, int]]:
        """Interactions per customer tier and channel."""
        per_tier: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
        for row in self.figures.by_tier:
            per_tier[row["tier"]][row["channel_id"]] += row["interactions_sum"]
        return per_tier

    def cost_by_tier(self) -> tuple[dict[str, int], dict[str, Decimal]]:
        """Transactions and their cost to serve, per customer tier."""
        transactions: dict[str, int] = defaultdict(int)
        cost: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for row in self.figures.by_tier:
            transactions[row["tier"]] += row["transactions_sum"]
            cost[row["tier"]] += self.cost(row["channel_id"], row["transactions_sum"])
        return transactions, cost

    def branch_rows(self, rows: list[dict], value: str) -> list[tuple[Branch, dict]]:
        """Sum ``value`` per group branch (tree order) and channel."""
        per_group: dict[int, dict[int, Any]] = defaultdict(lambda: defaultdict(int))
        group_of = {}
        for row in rows:
            group = self.groups.get(row["branch_id"])
            if group is None:
                continue
            group_of[group.pk] = group
            per_group[group.pk][row["channel_id"]] += row[value]
        ordered = sorted(group_of.values(), key=lambda branch: branch.path)
        return [(branch, per_group[branch.pk]) for branch in ordered]


# --- branches --------------------------------------------------------------------------


def top_branch(staff: Staff, branches: list[Branch], selected: Branch | None) -> Branch:
    """The branch the page is about: the one chosen, else the staff member's scope."""
    if selected is not None:
        return selected
    if staff.scope.branch_ids is None:
        return next(branch for branch in branches if branch.parent_id is None)
    return next(branch for branch in branches if branch.pk == staff.branch_id)


def branch_groups(branches: list[Branch], top: Branch) -> dict[int, Branch]:
    """Map each branch under ``top`` to the child of ``top`` it lies in (or ``top`` itself).

    The page compares the branches one level down from the one it is about: the head
    office sees its branches, a branch manager the sub-branches.
    """
    by_id = {branch.pk: branch for branch in branches}
    groups = {}
    for branch in branches:
        if not branch.path.startswith(top.path):
            continue
        ids = [int(part) for part in branch.path.strip("/").split("/")]
        group_id = ids[top.depth + 1] if len(ids) > top.depth + 1 else top.pk
        groups[branch.pk] = by_id.get(group_id, top)
    return groups
