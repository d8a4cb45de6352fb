"""The channel analytics page: the roll-up's figures in scope, as KPIs, charts and tables.

Three steps, one module each: ``figures`` reads the daily roll-up tables (the only
database reads, limited by ``in_scope``), ``metrics`` computes totals, costs and shares,
``report`` shapes them for the page, the charts and the CSV export.
"""

from __future__ import annotations

from datetime import date

from channels.analytics.figures import read_figures
from channels.analytics.metrics import ChannelMetrics, branch_groups, period_starts, top_branch
from channels.analytics.report import AnalyticsReport, ChannelAnalytics
from channels.models import Channel
from crm.tenancy.models import Branch, Staff


def channel_analytics(
    *,
    staff: Staff,
    branches: list[Branch],
    selected_branch: Branch | None,
    date_from: date,
    date_to: date,
    grouping: str,
) -> ChannelAnalytics:
    """Return the KPIs, charts and tables of the channel analytics page.

    ``branches`` are the branches in the staff member's scope (tree order);
    ``selected_branch`` narrows the page to one of them and its subtree.
    """
    top = top_branch(staff, branches, selected_branch)
    groups = branch_groups(branches, top)
    figures = read_figures(
        staff=staff,
        date_from=date_from,
        date_to=date_to,
        grouping=grouping,
        branch_ids=sorted(groups) if selected_branch is not None else None,
    )
    metrics = ChannelMetrics(
        figures=figures,
        channels={channel.pk: channel for channel in Channel.objects.all()},
        groups=groups,
        periods=period_starts(date_from, date_to, grouping),
    )
    return AnalyticsReport(metrics, branches=branches, grouping=grouping).build()
