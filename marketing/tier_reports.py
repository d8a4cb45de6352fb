"""Reads for the marketing managers' tier reports: how a scored month's customers spread
over the tiers, and how they moved between tiers from the month before.

Both are one GROUP BY over the month's ``CustomerValue`` rows of the bank (two months for
the migration), read through the ``customer_value_tier`` index (tenant, month, tier) or the
unique (tenant, customer, month) one, never a query per tier, branch or customer.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import connection
from django.db.models import Count, F, FilteredRelation, Max, Q, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from crm.months import add_months
from crm.tenancy.models import Branch, Staff
from customers.models import Customer
from marketing.models import CustomerValue, ScoringRun, tier_label

# The tiers in the order customers declares them: every report lists them in this order.
TIERS: tuple[str, ...] = tuple(Customer.Tier.values)

# Which way a move between tiers goes: up is towards MVC. New customers are outside the
# ladder (they are not yet judged), so a move to or from "new" is neither up nor down.
TIER_RANK = {
    Customer.Tier.BZ: 1,
    Customer.Tier.ORDINARY: 2,
    Customer.Tier.MGC: 3,
    Customer.Tier.MVC: 4,
}

ZERO = Decimal("0.00")


def scored_months() -> list[date]:
    """The current bank's months that a finished scoring run gave values, newest first.

    Read from the runs (a few rows a month), not from the values: a DISTINCT over the
    values' index would read every row of every month scored.
    """
    return list(
        ScoringRun.objects.filter(status=ScoringRun.Status.FINISHED, customers__gt=0)
        .order_by("-month")
        .values_list("month", flat=True)
        .distinct()
    )


def previous_month(month: date) -> date:
    return add_months(month, -1)


def subtree_ids(branch: Branch, branches: list[Branch]) -> list[int]:
    """The ids of ``branch`` and the branches under it, among ``branches`` (those in scope)."""
    return [other.pk for other in branches if other.path.startswith(branch.path)]


def _share(part: int, whole: int) -> Decimal | None:
    """``part`` as a percentage of ``whole``, one place; None when there is no whole."""
    if not whole:
        return None
    return (Decimal(part) * 100 / whole).quantize(Decimal("0.1"))


# --- the distribution --------------------------------------------------------------------------


@dataclass
class TierFigures:
    """One tier's customers of the month, or every tier's (``tier`` empty)."""

    tier: str
    label: str
    customers: int = 0
    aum: Decimal = ZERO
    contribution: Decimal = ZERO
    # Customers whose income the month estimated from balances (no feed from finance).
    estimated: int = 0
    share: Decimal | None = None

    def add(self, customers: int, aum: Decimal, contribution: Decimal, estimated: int) -> None:
        self.customers += customers
        self.aum += aum
        self.contribution += contribution
        self.estimated += estimated

    @property
    def estimated_share(self) -> Decimal | None:
        return _share(self.estimated, self.customers)


@dataclass
class BranchFigures:
    """One home branch's customers of the month, per tier in ``TIERS`` order."""

    name: str
    depth: int
    path: str
    counts: dict[str, int] = field(default_factory=dict)
    total: TierFigures = field(default_factory=lambda: TierFigures(tier="", label=""))
    # ``counts`` in the order of the distribution's tiers.
    tier_counts: list[int] = field(default_factory=list)


@dataclass
class TierDistribution:
    month: date
    tiers: list[TierFigures]
    total: TierFigures
    branches: list[BranchFigures]

    @property
    def has_figures(self) -> bool:
        return self.total.customers > 0


def tier_distribution(
    staff: Staff, *, month: date, branches: list[Branch], selected_branch: Branch | None
) -> TierDistribution:
    """The customers of ``month`` in ``staff``'s scope per tier: how many, their AUM at the
    month's end and their contribution in the month, in total and per home branch.

    ``branches`` are those in the staff member's scope (they name the branch rows);
    ``selected_branch``, one of them, narrows the figures to its subtree.

    One query: the month's values grouped by home branch and tier (a few hundred groups
    at most), the totals summed from them here. The AUM is the month's balance snapshot;
    a customer without one counts 0.

    Measured as the application role on 1,000,000 customers (two months scored, three of
    balances, a busy machine): 1.5 to 3.5 s for the whole bank, three hash joins of a
    million rows each (the month's values through ``customer_value_tier``, the customers
    for the home branch, the snapshots). The snapshots are read whole, every month of them:
    an index on snapshots' (tenant, month, customer) INCLUDE (aum) made that side an
    index-only scan of one month (6,800 pages instead of 30,000; with 24 months of
    balances, instead of about 240,000), and is the next step if the page is slow.
    """
    values = CustomerValue.objects.in_scope(staff).filter(month=month)
    if selected_branch is not None:
        values = values.filter(customer__home_branch_id__in=subtree_ids(selected_branch, branches))
    groups = (
        values.alias(
            snapshot=FilteredRelation(
                "customer__snapshots",
                condition=Q(
                    customer__snapshots__tenant_id=F("tenant_id"),
                    customer__snapshots__month=F("month"),
                ),
            )
        )
        .values_list("customer__home_branch_id", "tier")
        .annotate(
            customers=Count("pk"),
            aum=Coalesce(Sum("snapshot__aum"), ZERO),
            contribution=Sum("contribution"),
            estimated=Count("pk", filter=Q(income_estimated=True)),
        )
        .order_by()
    )
    tiers = {tier: TierFigures(tier=tier, label=tier_label(tier)) for tier in TIERS}
    total = TierFigures(tier="", label="")
    by_branch: dict[int, BranchFigures] = {}
    names = {branch.pk: branch for branch in branches}
    for branch_id, tier, customers, aum, contribution, estimated in groups:
        if tier not in tiers:  # a tier customers no longer declares: still counted
            tiers[tier] = TierFigures(tier=tier, label=tier_label(tier))
        tiers[tier].add(customers, aum, contribution, estimated)
        total.add(customers, aum, contribution, estimated)
        if branch_id not in by_branch:
            branch = names.get(branch_id)
            by_branch[branch_id] = (
                BranchFigures(name=branch.name, depth=branch.depth, path=branch.path)
                if branch is not None
                # A customer in scope homed outside the staff member's branches (one they
                # look after themselves): counted, under no branch's name.
                else BranchFigures(name="—", depth=0, path="\uffff")
            )
        row = by_branch[branch_id]
        row.counts[tier] = row.counts.get(tier, 0) + customers
        row.total.add(customers, aum, contribution, estimated)
    for figures in tiers.values():
        figures.share = _share(figures.customers, total.customers)
    total.share = _share(total.customers, total.customers)
    top_depth = min((branch.depth for branch in branches), default=0)
    rows = sorted(by_branch.values(), key=lambda row: row.path)
    for row in rows:
        row.depth = max(row.depth - top_depth, 0)
        row.tier_counts = [row.counts.get(tier, 0) for tier in tiers]
    return TierDistribution(month=month, tiers=list(tiers.values()), total=total, branches=rows)


# --- the migration matrix ----------------------------------------------------------------------


@dataclass
class MigrationRow:
    """The customers of one tier in the month before (``tier`` None: not scored then), by
    their tier in the month."""

    tier: str | None
    label: str
    counts: list[int]
    to_tiers: list[str]

    @property
    def total(self) -> int:
        return sum(self.counts)

    @property
    def cells(self) -> list[tuple[str, int]]:
        """(tier of the month, customers), in the columns' order."""
        return list(zip(self.to_tiers, self.counts, strict=True))


@dataclass
class TierMigration:
    month: date
    previous: date
    columns: list[tuple[str, str]]  # (tier, label) of the month
    rows: list[MigrationRow]
    column_totals: list[int]
    total: int
    # Scored in both months, and of those: the same tier, up, down, to or from "new".
    both_months: int
    unchanged: int
    upgraded: int
    downgraded: int
    other_moves: int
    # Scored the month before but not in the month (closed, or left the scope).
    not_scored_now: int

    @property
    def has_figures(self) -> bool:
        return self.total > 0

    @property
    def upgraded_share(self) -> Decimal | None:
        return _share(self.upgraded, self.both_months)

    @property
    def downgraded_share(self) -> Decimal | None:
        return _share(self.downgraded, self.both_months)

    @property
    def unchanged_share(self) -> Decimal | None:
        return _share(self.unchanged, self.both_months)

    @property
    def other_moves_share(self) -> Decimal | None:
        return _share(self.other_moves, self.both_months)


def _direction(from_tier: str, to_tier: str) -> str:
    if from_tier == to_tier:
        return "unchanged"
    if from_tier in TIER_RANK and to_tier in TIER_RANK:
        return "upgraded" if TIER_RANK[to_tier] > TIER_RANK[from_tier] else "downgraded"
    return "other_moves"


def tier_migration(
    staff: Staff, *, month: date, branches: list[Branch], selected_branch: Branch | None
) -> TierMigration:
    """How the customers of ``month`` in ``staff``'s scope moved between tiers since the
    month before: customer counts from each tier (or from no value, for customers new to
    scoring) to each tier.

    One statement: the two months' values grouped by customer (the tier of each month
    side by side), then those pairs grouped and counted. The inner query is the ORM's, so
    that the tenant condition and the staff member's scope are the ones every page uses.
    At 1,000,000 customers: 1.2 to 2 s, the two months read in customer order through the
    customer_id index, no sort; a branch manager's subtree joins the customers (hash join)
    and takes about as long.
    """
    previous = previous_month(month)
    values = CustomerValue.objects.in_scope(staff).filter(month__in=[previous, month])
    if selected_branch is not None:
        values = values.filter(customer__home_branch_id__in=subtree_ids(selected_branch, branches))
    per_customer = (
        values.values("customer_id")
        .annotate(
            from_tier=Max("tier", filter=Q(month=previous)),
            to_tier=Max("tier", filter=Q(month=month)),
        )
        .order_by()
    )
    sql, params = per_customer.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            # The inner statement is the ORM's own; its values are parameters.
            f"SELECT from_tier, to_tier, count(*) FROM ({sql}) AS per_customer"  # noqa: S608
            " GROUP BY from_tier, to_tier",
            params,
        )
        pairs = cursor.fetchall()

    counts: dict[tuple[str | None, str], int] = defaultdict(int)
    not_scored_now = 0
    directions: dict[str, int] = defaultdict(int)
    for from_tier, to_tier, customers in pairs:
        if to_tier is None:
            not_scored_now += customers
            continue
        counts[from_tier, to_tier] += customers
        if from_tier is not None:
            directions[_direction(from_tier, to_tier)] += customers
    tiers = list(TIERS) + sorted(
        {tier for pair in counts for tier in pair if tier is not None} - set(TIERS)
    )
    rows = [
        MigrationRow(
            tier=tier,
            label=tier_label(tier),
            counts=[counts.get((tier, to_tier), 0) for to_tier in tiers],
            to_tiers=tiers,
        )
        for tier in tiers
    ]
    rows.append(
        MigrationRow(
            tier=None,
            label=_("Not scored the month before"),
            counts=[counts.get((None, to_tier), 0) for to_tier in tiers],
            to_tiers=tiers,
        )
    )
    column_totals = [sum(row.counts[index] for row in rows) for index in range(len(tiers))]
    return TierMigration(
        month=month,
        previous=previous,
        columns=[(tier, tier_label(tier)) for tier in tiers],
        rows=rows,
        column_totals=column_totals,
        total=sum(column_totals),
        both_months=sum(directions.values()),
        unchanged=directions["unchanged"],
        upgraded=directions["upgraded"],
        downgraded=directions["downgraded"],
        other_moves=directions["other_moves"],
        not_scored_now=not_scored_now,
    )
