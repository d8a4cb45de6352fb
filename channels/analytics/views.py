"""The channel analytics page for channel and branch managers, and its CSV export."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from channels import rollup
from channels.analytics import selectors
from channels.analytics.forms import AnalyticsFilterForm
from channels.analytics.report import ChannelAnalytics
from crm.sheets import spreadsheet_safe
from crm.tenancy.decorators import tenant_staff_required
from crm.tenancy.models import Branch

TEMPLATE = "channels/analytics/page.html"


def _analytics(
    request: HttpRequest,
) -> tuple[AnalyticsFilterForm, ChannelAnalytics | None]:
    """Validate the filter of the query string; compute the figures when it is valid."""
    staff = request.user
    branches = list(Branch.objects.in_scope(staff).tree_order())
    form = AnalyticsFilterForm(
        request.GET, branches=branches, last_day=rollup.yesterday(staff.tenant)
    )
    if not form.is_valid():
        return form, None
    return form, selectors.channel_analytics(
        staff=staff,
        branches=branches,
        selected_branch=form.selected_branch,
        date_from=form.cleaned_data["date_from"],
        date_to=form.cleaned_data["date_to"],
        grouping=form.cleaned_data["grouping"],
    )


def _page(request: HttpRequest, form, figures) -> HttpResponse:
    context = {
        "form": form,
        "analytics": figures,
        "errors": [error for errors in form.errors.values() for error in errors],
        "export_query": request.GET.urlencode(),
    }
    return render(request, TEMPLATE, context, status=200 if figures is not None else 400)


# A plain GET form, not an htmx swap: htmx drops <script> elements from what it swaps in
# (allowScriptTags is off), and the charts' figures travel in json_script elements.
@tenant_staff_required
@permission_required("channels.view_channel_analytics", raise_exception=True)
def analytics(request: HttpRequest) -> HttpResponse:
    """KPIs, charts and tables of the channels, for the days and branches chosen."""
    form, figures = _analytics(request)
    return _page(request, form, figures)


def _csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return spreadsheet_safe(value)
    if isinstance(value, Decimal):
        return f"{value:f}"
    return str(value)


def analytics_csv(figures: ChannelAnalytics, *, form: AnalyticsFilterForm, bank: str) -> bytes:
    """Every table of the page, one after the other, as a CSV file (built in memory)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    branch = form.selected_branch
    writer.writerow(
        [
            _csv_value(bank),
            _("Channel analytics"),
            f"{form.cleaned_data['date_from']:%Y-%m-%d} – {form.cleaned_data['date_to']:%Y-%m-%d}",
            _csv_value(branch.name) if branch else _("All my branches"),
        ]
    )
    writer.writerow([_csv_value(kpi.label) for kpi in figures.kpis])
    writer.writerow([_csv_value(kpi.value) for kpi in figures.kpis])
    for table in figures.tables:
        writer.writerow([])
        writer.writerow([_csv_value(table.title)])
        # Channel names head columns, and administrators name channels freely.
        writer.writerow([_csv_value(column.label) for column in table.columns])
        for row in table.rows:
            writer.writerow([_csv_value(value) for value in row])
        if table.footer is not None:
            writer.writerow([_csv_value(value) for value in table.footer])
    # The BOM makes Excel read the file as UTF-8 (Chinese names).
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


@tenant_staff_required
@permission_required("channels.view_channel_analytics", raise_exception=True)
def analytics_export(request: HttpRequest) -> HttpResponse:
    """The tables of the analytics page with the page's filter, as CSV."""
    form, figures = _analytics(request)
    if figures is None:
        return _page(request, form, figures)
    content = analytics_csv(figures, form=form, bank=request.user.tenant.short_name)
    name = (
        f"channel-analytics-{form.cleaned_data['date_from']:%Y%m%d}"
        f"-{form.cleaned_data['date_to']:%Y%m%d}.csv"
    )
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response
