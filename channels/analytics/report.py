"""The channel analytics page's KPIs, charts and tables, shaped from the channel metrics.

One shape serves the page, the charts (as JSON for ``static/channels/analytics.js``) and
the CSV export.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, NamedTuple

from django.utils.translation import gettext as _

from channels.analytics.figures import OUTLET_RANKING_SIZE, Grouping
from channels.analytics.metrics import ZERO, ChannelMetrics, money, percent, period_label
from channels.models import Outlet
from crm.tenancy.models import Branch
from customers.models import Customer


class Cell(NamedTuple):
    value: Any
    kind: str  # text | count | money | percent


@dataclass(frozen=True)
class Column:
    label: str
    kind: str = "text"


@dataclass
class Table:
    key: str
    title: str
    columns: list[Column]
    rows: list[list[Any]] = field(default_factory=list)
    footer: list[Any] | None = None

    def _cells(self, values: list[Any]) -> list[Cell]:
        return [
            Cell(value, column.kind) for value, column in zip(values, self.columns, strict=True)
        ]

    @property
    def body(self) -> list[list[Cell]]:
        return [self._cells(row) for row in self.rows]

    @property
    def footer_cells(self) -> list[Cell] | None:
        return self._cells(self.footer) if self.footer is not None else None


@dataclass
class Chart:
    key: str
    label: str
    spec: dict  # what analytics.js turns into ECharts options

    @property
    def element_id(self) -> str:
        return f"chart-{self.key}"

    @property
    def data_id(self) -> str:
        return f"chart-{self.key}-data"


@dataclass
class Section:
    key: str
    title: str
    charts: list[Chart]
    tables: list[Table]
    note: str = ""


@dataclass
class Kpi:
    key: str
    label: str
    value: Any
    kind: str
    note: str = ""


@dataclass
class ChannelAnalytics:
    kpis: list[Kpi]
    sections: list[Section]
    has_figures: bool

    @property
    def tables(self) -> list[Table]:
        return [table for section in self.sections for table in section.tables]


def tier_label(tier: str) -> str:
    return str(Customer.Tier(tier).label) if tier in Customer.Tier.values else _("No tier")


def tier_order(tier: str) -> int:
    values = list(Customer.Tier.values)
    return values.index(tier) if tier in values else len(values)


def period_column(grouping: str) -> str:
    return {
        Grouping.DAY: _("Day"),
        Grouping.WEEK: _("Week starting"),
        Grouping.MONTH: _("Month"),
    }[grouping]


class AnalyticsReport:
    """Turn the channel metrics into KPIs, chart data and tables."""

    def __init__(self, metrics: ChannelMetrics, *, branches: list[Branch], grouping: str):
        self.metrics = metrics
        self.branch_names = {branch.pk: branch.name for branch in branches}
        self.grouping = grouping
        # The sections read these often enough to keep them short.
        self.figures = metrics.figures
        self.channels = metrics.channels
        self.channel_totals = metrics.channel_totals
        self.periods = metrics.periods
        self.cost = metrics.cost
        self.branch_rows = metrics.branch_rows

    def channel_columns(self, kind: str) -> list[Column]:
        return [Column(channel.name, kind) for channel in self.channels]

    def period_labels(self) -> list[str]:
        return [period_label(start, self.grouping) for start in self.periods]

    def build(self) -> ChannelAnalytics:
        sections = [
            self.volume_section(),
            self.mix_section(),
            self.substitution_section(),
            self.cost_section(),
            self.outlet_section(),
        ]
        return ChannelAnalytics(
            kpis=self.kpis(), sections=sections, has_figures=bool(self.figures.by_period)
        )

    def kpis(self) -> list[Kpi]:
        overall = self.metrics.overall()
        return [
            Kpi("interactions", _("Interactions"), overall.interactions, "count"),
            Kpi("transactions", _("Transactions"), overall.transactions, "count"),
            Kpi("amount", _("Transaction amount (CNY)"), money(overall.amount), "money"),
            Kpi(
                "substitution",
                _("Electronic-channel substitution ratio"),
                percent(overall.electronic_transactions, overall.transactions),
                "percent",
                _("Transactions in electronic channels out of all transactions"),
            ),
            Kpi("cost", _("Cost to serve (CNY)"), money(overall.cost), "money"),
            Kpi(
                "cost_per_customer",
                _("Cost to serve per customer (CNY)"),
                money(overall.cost / overall.customers) if overall.customers else None,
                "money",
                _("Over the period, per active customer"),
            ),
        ]

    def volume_section(self) -> Section:
        interactions, amounts = self.metrics.volume_by_period()
        labels = self.period_labels()
        volume_table = Table(
            "interactions_by_channel",
            _("Interactions by channel"),
            [
                Column(period_column(self.grouping)),
                *self.channel_columns("count"),
                Column(_("Total"), "count"),
            ],
        )
        amount_table = Table(
            "amount_by_channel",
            _("Transaction amount by channel (CNY)"),
            [
                Column(period_column(self.grouping)),
                *self.channel_columns("money"),
                Column(_("Total"), "money"),
            ],
        )
        for i, label in enumerate(labels):
            counts = [interactions[c.pk][i] for c in self.channels]
            sums = [money(amounts[c.pk][i]) for c in self.channels]
            volume_table.rows.append([label, *counts, sum(counts)])
            amount_table.rows.append([label, *sums, money(sum(sums, ZERO))])
        volume_table.footer = [
            _("Total"),
            *[self.channel_totals[c.pk]["interactions"] for c in self.channels],
            sum(self.channel_totals[c.pk]["interactions"] for c in self.channels),
        ]
        amount_table.footer = [
            _("Total"),
            *[money(self.channel_totals[c.pk]["amount"]) for c in self.channels],
            money(sum((self.channel_totals[c.pk]["amount"] for c in self.channels), ZERO)),
        ]
        return Section(
            "volume",
            _("Volume and amount by channel"),
            charts=[
                Chart(
                    "interactions",
                    _("Interactions by channel over time"),
                    {
                        "type": "stacked",
                        "categories": labels,
                        "series": [
                            {"name": c.name, "values": interactions[c.pk]} for c in self.channels
                        ],
                    },
                ),
                Chart(
                    "amount",
                    _("Transaction amount by channel over time"),
                    {
                        "type": "stacked",
                        "unit": _("CNY"),
                        "decimals": 2,
                        "categories": labels,
                        "series": [
                            {"name": c.name, "values": [money(v) for v in amounts[c.pk]]}
                            for c in self.channels
                        ],
                    },
                ),
            ],
            tables=[volume_table, amount_table],
        )

    def _mix(self, key: str, title: str, first_column: str, rows: list[tuple[str, dict]]):
        """A share-of-interactions table and chart; rows are (label, {channel id: count})."""
        table = Table(
            key,
            title,
            [
                Column(first_column),
                *self.channel_columns("percent"),
                Column(_("Interactions"), "count"),
            ],
        )
        series = {c.pk: [] for c in self.channels}
        for label, counts in rows:
            total = sum(counts.values())
            shares = [percent(counts.get(c.pk, 0), total) for c in self.channels]
            table.rows.append([label, *shares, total])
            for channel, share in zip(self.channels, shares, strict=True):
                series[channel.pk].append(share or ZERO)
        chart = Chart(
            key,
            title,
            {
                "type": "share",
                "categories": [label for label, _counts in rows],
                "series": [{"name": c.name, "values": series[c.pk]} for c in self.channels],
            },
        )
        return chart, table

    def mix_section(self) -> Section:
        branch_chart, branch_table = self._mix(
            "mix_by_branch",
            _("Channel mix by branch (share of interactions)"),
            _("Branch"),
            [
                (branch.name, counts)
                for branch, counts in self.branch_rows(self.figures.by_branch, "interactions_sum")
            ],
        )
        per_tier = self.metrics.interactions_by_tier()
        tier_chart, tier_table = self._mix(
            "mix_by_tier",
            _("Channel mix by customer tier (share of interactions)"),
            _("Tier"),
            [(tier_label(tier), per_tier[tier]) for tier in sorted(per_tier, key=tier_order)],
        )
        return Section(
            "mix",
            _("Channel mix"),
            charts=[branch_chart, tier_chart],
            tables=[branch_table, tier_table],
        )

    def substitution_section(self) -> Section:
        electronic, everything = self.metrics.transactions_by_period()
        labels = self.period_labels()
        columns = [
            Column(_("Electronic transactions"), "count"),
            Column(_("All transactions"), "count"),
            Column(_("Substitution ratio"), "percent"),
        ]
        over_time = Table(
            "substitution_over_time",
            _("Electronic-channel substitution ratio over time"),
            [Column(period_column(self.grouping)), *columns],
        )
        ratios = []
        for label, e, a in zip(labels, electronic, everything, strict=True):
            ratio = percent(e, a)
            ratios.append(ratio)
            over_time.rows.append([label, e, a, ratio])
        over_time.footer = [
            _("Total"),
            sum(electronic),
            sum(everything),
            percent(sum(electronic), sum(everything)),
        ]
        per_branch = Table(
            "substitution_by_branch",
            _("Electronic-channel substitution ratio by branch"),
            [Column(_("Branch")), *columns],
        )
        branch_ratios = []
        for branch, e, a in self.metrics.transactions_by_branch():
            per_branch.rows.append([branch.name, e, a, percent(e, a)])
            branch_ratios.append(percent(e, a))
        return Section(
            "substitution",
            _("Electronic-channel substitution ratio"),
            charts=[
                Chart(
                    "substitution_over_time",
                    over_time.title,
                    {
                        "type": "line",
                        "percent": True,
                        "categories": labels,
                        "series": [{"name": _("Substitution ratio"), "values": ratios}],
                    },
                ),
                Chart(
                    "substitution_by_branch",
                    per_branch.title,
                    {
                        "type": "bar",
                        "percent": True,
                        "categories": [row[0] for row in per_branch.rows],
                        "series": [{"name": _("Substitution ratio"), "values": branch_ratios}],
                    },
                ),
            ],
            tables=[over_time, per_branch],
            note=_("Transactions in electronic channels out of all transactions."),
        )

    def cost_section(self) -> Section:
        by_channel = Table(
            "cost_by_channel",
            _("Cost to serve by channel"),
            [
                Column(_("Channel")),
                Column(_("Transactions"), "count"),
                Column(_("Cost per transaction (CNY)"), "money"),
                Column(_("Cost (CNY)"), "money"),
            ],
        )
        total_cost = ZERO
        for channel in self.channels:
            transactions = self.channel_totals[channel.pk]["transactions"]
            cost = self.cost(channel.pk, transactions)
            total_cost += cost
            by_channel.rows.append(
                [channel.name, transactions, channel.cost_per_transaction, money(cost)]
            )
        by_channel.footer = [
            _("Total"),
            sum(self.channel_totals[c.pk]["transactions"] for c in self.channels),
            None,
            money(total_cost),
        ]

        tier_transactions, tier_cost = self.metrics.cost_by_tier()
        population = self.figures.population
        by_tier = Table(
            "cost_by_tier",
            _("Cost to serve per customer and tier"),
            [
                Column(_("Tier")),
                Column(_("Transactions"), "count"),
                Column(_("Cost (CNY)"), "money"),
                Column(_("Active customers (average)"), "count"),
                Column(_("Cost per customer (CNY)"), "money"),
            ],
        )
        per_customer = []
        tiers = sorted(set(tier_transactions) | set(population), key=tier_order)
        for tier in tiers:
            customers = population.get(tier, Decimal(0))
            cost = tier_cost[tier]
            value = money(cost / customers) if customers else None
            per_customer.append(value)
            by_tier.rows.append(
                [tier_label(tier), tier_transactions[tier], money(cost), round(customers), value]
            )
        everyone = sum(population.values(), Decimal(0))
        all_cost = sum(tier_cost.values(), ZERO)
        by_tier.footer = [
            _("All customers"),
            sum(tier_transactions.values()),
            money(all_cost),
            round(everyone),
            money(all_cost / everyone) if everyone else None,
        ]
        return Section(
            "cost",
            _("Cost to serve"),
            charts=[
                Chart(
                    "cost_per_customer",
                    _("Cost to serve per customer by tier"),
                    {
                        "type": "bar",
                        "unit": _("CNY"),
                        "decimals": 2,
                        "categories": [tier_label(tier) for tier in tiers],
                        "series": [{"name": _("Cost per customer"), "values": per_customer}],
                    },
                )
            ],
            tables=[by_tier, by_channel],
            note=_(
                "Transactions times each channel's cost per transaction, divided by the "
                "average number of active customers over the period."
            ),
        )

    def outlet_section(self) -> Section:
        table = Table(
            "outlet_ranking",
            _("Outlet ranking"),
            [
                Column(_("Rank"), "count"),
                Column(_("Outlet")),
                Column(_("Kind")),
                Column(_("Branch")),
                Column(_("Transactions"), "count"),
                Column(_("Interactions"), "count"),
                Column(_("Transaction amount (CNY)"), "money"),
            ],
        )
        kinds = dict(Outlet.Kind.choices)
        for rank, row in enumerate(self.figures.outlets, start=1):
            table.rows.append(
                [
                    rank,
                    row["outlet__name"],
                    str(kinds.get(row["outlet__kind"], row["outlet__kind"])),
                    self.branch_names.get(row["outlet__branch_id"], ""),
                    row["transactions_sum"],
                    row["interactions_sum"],
                    money(row["amount_sum"]),
                ]
            )
        return Section(
            "outlets",
            _("Outlet ranking"),
            charts=[
                Chart(
                    "outlet_ranking",
                    _("Transactions per outlet"),
                    {
                        "type": "ranking",
                        "categories": [row[1] for row in table.rows],
                        "series": [
                            {"name": _("Transactions"), "values": [row[4] for row in table.rows]}
                        ],
                    },
                )
            ],
            tables=[table],
            note=_("The %(count)d outlets with the most transactions.")
            % {"count": OUTLET_RANKING_SIZE},
        )
