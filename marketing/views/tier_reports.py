"""The tier reports of marketing managers: the tier distribution of a scored month and the
tier migration matrix from the month before, each with its CSV export."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from crm.tenancy.decorators import tenant_staff_required
from crm.tenancy.models import Branch
from marketing import tier_reports
from marketing.forms import TierReportFilterForm

# The coverage reports' readers (marketing managers, branch managers for their subtree):
# the tiers' figures are what they act on.
from marketing.views.coverage import PERMISSION, csv_attachment, csv_content

Report = Callable[..., Any]


def _report(
    request: HttpRequest, report: Report
) -> tuple[TierReportFilterForm, list[date], Any | None]:
    """Validate the month and branch of the query string; compute ``report`` when valid."""
    staff = request.user
    months = tier_reports.scored_months()
    branches = list(Branch.objects.in_scope(staff).tree_order())
    form = TierReportFilterForm(request.GET, months=months, branches=branches)
    if not months or not form.is_valid():
        return form, months, None
    figures = report(
        staff,
        month=form.selected_month,
        branches=branches,
        selected_branch=form.selected_branch,
    )
    return form, months, figures


def _page(
    request: HttpRequest, template: str, form: TierReportFilterForm, months, figures, **extra
) -> HttpResponse:
    context = {
        "form": form,
        "months": months,
        "figures": figures,
        "errors": [error for errors in form.errors.values() for error in errors] if months else [],
        "export_query": request.GET.urlencode(),
        **extra,
    }
    status = 400 if months and figures is None else 200
    return render(request, template, context, status=status)


# Amounts go to the CSV as numbers (Decimal): as text, a negative one would be quoted
# against formula injection ("'-15.75") and read as text by spreadsheets.
def _percent(value: Decimal | None) -> Decimal | str:
    return "" if value is None else value


def _heading(request: HttpRequest, title: str, form: TierReportFilterForm) -> list[str]:
    branch = form.selected_branch
    return [
        request.user.tenant.short_name,
        title,
        form.cleaned_data["month"],
        branch.name if branch is not None else _("All my branches"),
    ]


# A plain GET form, not an htmx swap: htmx drops <script> elements from what it swaps in,
# and the charts' figures travel in json_script elements.
@require_GET
@tenant_staff_required
@permission_required(PERMISSION, raise_exception=True)
def tier_distribution(request: HttpRequest) -> HttpResponse:
    """Customers, AUM and contribution per tier of a scored month, for the bank or a branch."""
    form, months, figures = _report(request, tier_reports.tier_distribution)
    chart = None
    if figures is not None and figures.has_figures:
        chart = {
            "type": "distribution",
            "categories": [tier.label for tier in figures.tiers],
            "series": [
                {"name": _("Customers"), "values": [tier.customers for tier in figures.tiers]},
                {
                    "name": _("Contribution (CNY)"),
                    "values": [tier.contribution for tier in figures.tiers],
                    "money": True,
                },
            ],
        }
    return _page(
        request,
        "marketing/tier_distribution.html",
        form,
        months,
        figures,
        chart=chart,
    )


def _distribution_rows(figures: tier_reports.TierDistribution) -> Iterable[list[object]]:
    yield [
        _("Tier"),
        _("Customers"),
        _("Share of customers (%)"),
        _("AUM (CNY)"),
        _("Contribution (CNY)"),
        _("Income estimated (%)"),
    ]
    for tier in [*figures.tiers, figures.total]:
        yield [
            tier.label or _("Total"),
            tier.customers,
            _percent(tier.share),
            tier.aum,
            tier.contribution,
            _percent(tier.estimated_share),
        ]
    yield []
    yield [
        _("Home branch"),
        *[tier.label for tier in figures.tiers],
        _("Customers"),
        _("AUM (CNY)"),
        _("Contribution (CNY)"),
    ]
    for branch in figures.branches:
        yield [
            branch.name,
            *[branch.counts.get(tier.tier, 0) for tier in figures.tiers],
            branch.total.customers,
            branch.total.aum,
            branch.total.contribution,
        ]


@require_GET
@tenant_staff_required
@permission_required(PERMISSION, raise_exception=True)
def tier_distribution_export(request: HttpRequest) -> HttpResponse:
    """The tier distribution's tables with the page's month and branch, as CSV."""
    form, _months, figures = _report(request, tier_reports.tier_distribution)
    if figures is None:
        return tier_distribution(request)
    heading = _heading(request, _("Tier distribution"), form)
    content = csv_content([heading, [], *_distribution_rows(figures)])
    return csv_attachment(content, f"tier-distribution-{figures.month:%Y%m}.csv")


@require_GET
@tenant_staff_required
@permission_required(PERMISSION, raise_exception=True)
def tier_migration(request: HttpRequest) -> HttpResponse:
    """Customer counts from each tier of the month before to each tier of a scored month."""
    form, months, figures = _report(request, tier_reports.tier_migration)
    chart = None
    if figures is not None and figures.has_figures:
        chart = {
            "type": "heatmap",
            "columns": [label for _tier, label in figures.columns],
            "rows": [row.label for row in figures.rows],
            # [column, row, customers], as ECharts' heatmap takes its cells.
            "cells": [
                [column, index, count]
                for index, row in enumerate(figures.rows)
                for column, count in enumerate(row.counts)
            ],
            "xName": _("Tier in %(month)s") % {"month": f"{figures.month:%Y-%m}"},
            "yName": _("Tier in %(month)s") % {"month": f"{figures.previous:%Y-%m}"},
        }
    moves = []
    if figures is not None:
        moves = [
            ("upgraded", _("Upgraded"), figures.upgraded, figures.upgraded_share),
            ("downgraded", _("Downgraded"), figures.downgraded, figures.downgraded_share),
            ("unchanged", _("Same tier"), figures.unchanged, figures.unchanged_share),
            (
                "other",
                _("To or from new customer"),
                figures.other_moves,
                figures.other_moves_share,
            ),
        ]
    return _page(
        request,
        "marketing/tier_migration.html",
        form,
        months,
        figures,
        chart=chart,
        moves=moves,
    )


def _migration_rows(figures: tier_reports.TierMigration) -> Iterable[list[object]]:
    yield [
        _("Tier in %(month)s") % {"month": f"{figures.previous:%Y-%m}"}
        + " \\ "
        + _("Tier in %(month)s") % {"month": f"{figures.month:%Y-%m}"},
        *[label for _tier, label in figures.columns],
        _("Total"),
    ]
    for row in figures.rows:
        yield [row.label, *row.counts, row.total]
    yield [_("Total"), *figures.column_totals, figures.total]
    yield []
    yield [_("Customers scored in both months"), figures.both_months, ""]
    for label, count, share in [
        (_("Same tier"), figures.unchanged, figures.unchanged_share),
        (_("Upgraded"), figures.upgraded, figures.upgraded_share),
        (_("Downgraded"), figures.downgraded, figures.downgraded_share),
        (_("To or from new customer"), figures.other_moves, figures.other_moves_share),
    ]:
        yield [label, count, _percent(share)]
    yield [_("Scored the month before, not this month"), figures.not_scored_now, ""]


@require_GET
@tenant_staff_required
@permission_required(PERMISSION, raise_exception=True)
def tier_migration_export(request: HttpRequest) -> HttpResponse:
    """The tier migration matrix with the page's month and branch, as CSV."""
    form, _months, figures = _report(request, tier_reports.tier_migration)
    if figures is None:
        return tier_migration(request)
    heading = _heading(request, _("Tier migration"), form)
    content = csv_content([heading, [], *_migration_rows(figures)])
    return csv_attachment(content, f"tier-migration-{figures.month:%Y%m}.csv")
