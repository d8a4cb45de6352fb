"""The coverage reports: top-tier customers without a relationship manager, and managers
whose book holds more customers of a tier than the policy's cap. Each has a CSV export."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from django.contrib.auth.decorators import permission_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from crm.htmx import wants_fragment
from crm.sheets import spreadsheet_safe
from crm.tenancy.decorators import tenant_staff_required
from customers import selectors as customer_selectors
from customers.models import Customer
from marketing import selectors
from marketing.forms import REPORT_SORT, CoverageFilterForm
from marketing.models import tier_label

PERMISSION = "marketing.view_service_coverage"
# Managers over their caps: one row per manager and tier, a few hundred at most.
CAP_ROWS_PER_PAGE = 50
# The export of customers without a manager is built in memory, read in keyset batches.
EXPORT_BATCH = 2000
EXPORT_LIMIT = 100_000


def _filter(request: HttpRequest) -> tuple[CoverageFilterForm, list[str]]:
    required = selectors.tiers_requiring_manager()
    form = CoverageFilterForm(request.GET, tiers=[(tier, tier_label(tier)) for tier in required])
    return form, required


@require_GET
@tenant_staff_required
@permission_required(PERMISSION, raise_exception=True)
def without_manager(request: HttpRequest) -> HttpResponse:
    """Customers of the tiers that require a relationship manager who have none, by page."""
    staff = request.user
    form, required = _filter(request)
    page = None
    if form.is_valid() and required:
        page = customer_selectors.customer_page(
            selectors.customers_without_manager(staff, tiers=form.tiers(required)),
            sort=REPORT_SORT,
            after=form.cleaned_data["after"],
            before=form.cleaned_data["before"],
        )
    query = request.GET.copy()
    for name in ("after", "before"):
        query.pop(name, None)
    context = {
        "form": form,
        "page": page,
        "required": [tier_label(tier) for tier in required],
        "query": query.urlencode(),
        "openable": customer_selectors.customer_ids_in_scope(
            staff, [customer.pk for customer in page.customers] if page else []
        ),
    }
    template = "marketing/without_manager.html"
    if wants_fragment(request):
        template += "#results"
    return render(request, template, context, status=400 if form.errors else 200)


def csv_content(rows: Iterable[Iterable[object]]) -> bytes:
    """``rows`` as a CSV file that Excel reads, every text cell safe from formulas."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(
            [spreadsheet_safe(value) if isinstance(value, str) else value for value in row]
        )
    # The BOM makes Excel read the file as UTF-8 (Chinese names).
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def csv_attachment(content: bytes, name: str) -> HttpResponse:
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response


def _batches(queryset) -> Iterator[Customer]:
    """Every row of ``queryset`` newest first, in keyset batches (no OFFSET, no COUNT)."""
    last = None
    sent = 0
    while sent < EXPORT_LIMIT:
        batch = queryset.order_by("-pk")
        if last is not None:
            batch = batch.filter(pk__lt=last)
        rows = list(batch[: min(EXPORT_BATCH, EXPORT_LIMIT - sent)])
        if not rows:
            return
        yield from rows
        sent += len(rows)
        last = rows[-1].pk


@require_GET
@tenant_staff_required
@permission_required(PERMISSION, raise_exception=True)
def without_manager_export(request: HttpRequest) -> HttpResponse:
    """The report with its tier filter as CSV (the first 100,000 customers, newest first)."""
    form, required = _filter(request)
    if not form.is_valid() or not required:
        return without_manager(request)
    customers = selectors.customers_without_manager(request.user, tiers=form.tiers(required))
    header = [_("Customer number"), _("Name"), _("Tier"), _("Home branch"), _("AUM (CNY)")]
    rows = (
        [c.number, c.name, tier_label(c.tier), c.home_branch.name, f"{c.aum:f}"]
        for c in _batches(customers)
    )
    name = f"customers-without-manager-{timezone.localdate():%Y%m%d}.csv"
    return csv_attachment(csv_content([header, *rows]), name)


@require_GET
@tenant_staff_required
@permission_required(PERMISSION, raise_exception=True)
def over_book_caps(request: HttpRequest) -> HttpResponse:
    """Relationship managers whose book of a tier is larger than the tier's cap, by page."""
    rows = selectors.managers_over_book_caps(request.user)
    page = Paginator(rows, CAP_ROWS_PER_PAGE).get_page(request.GET.get("page"))
    context = {"page": page, "caps": selectors.book_caps()}
    return render(request, "marketing/over_book_caps.html", context)


@require_GET
@tenant_staff_required
@permission_required(PERMISSION, raise_exception=True)
def over_book_caps_export(request: HttpRequest) -> HttpResponse:
    """Every manager over a cap, as CSV."""
    header = [
        _("Relationship manager"),
        _("Branch"),
        _("Tier"),
        _("Customers of the tier"),
        _("Cap"),
        _("Over the cap by"),
    ]
    rows = (
        [row.manager_name, row.branch_name, row.tier_label, row.book_size, row.cap, row.over_by]
        for row in selectors.managers_over_book_caps(request.user)
    )
    name = f"managers-over-book-caps-{timezone.localdate():%Y%m%d}.csv"
    return csv_attachment(csv_content([header, *rows]), name)
