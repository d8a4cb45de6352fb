"""Pages for importing customers and holdings, exporting the list, and personal-data copies."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.db.models.functions import Collate
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRefresh

from crm.domain import DomainError
from crm.sheets import NOTE_START
from crm.tenancy.decorators import tenant_staff_required
from crm.uploads.handlers import files_of
from customers import selectors
from customers.forms.listing import CustomerFilter, ListOrderForm
from customers.intake import exports, files, services
from customers.intake.checks import COLUMNS
from customers.intake.forms import FileFormatForm, ImportUploadForm, PersonalDataCopyForm
from customers.intake.models import ImportJob

PROBLEMS_SHOWN = 500
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json; charset=utf-8",
}


def _job_or_404(request: HttpRequest, pk: int, *, with_rows: bool = True) -> ImportJob:
    """The import with ``pk`` if the staff member uploaded it; 404 otherwise."""
    jobs = ImportJob.objects.in_scope(request.user)
    if not with_rows:
        jobs = jobs.defer("rows_encrypted")
    job = jobs.filter(pk=pk).first()
    if job is None:
        raise Http404
    return job


def _download(name: str, content: bytes, file_format: str) -> HttpResponse:
    response = HttpResponse(content, content_type=CONTENT_TYPES[file_format])
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"  # personal data: no copy in any cache
    return response


def _job_page(request: HttpRequest, job: ImportJob, check=None, *, status: int = 200):
    context = {"job": job, "check": check, "problems_shown": PROBLEMS_SHOWN}
    if check is not None:
        context["problems"] = check.problems[:PROBLEMS_SHOWN]
    if job.skipped_notes:
        context["skipped_notes"] = _skipped_notes_message(job.skipped_notes)
    return render(request, "customers/intake/job.html", context, status=status)


def _skipped_notes_message(count: int) -> str:
    return ngettext(
        "%(count)d line starting with “%(mark)s” was not imported: an example or a note.",
        "%(count)d lines starting with “%(mark)s” were not imported: examples or notes.",
        count,
    ) % {"count": count, "mark": NOTE_START}


@tenant_staff_required
@permission_required("customers.import_customers", raise_exception=True)
def import_upload(request: HttpRequest) -> HttpResponse:
    """Upload a CSV or XLSX file of customers or holdings; its reading and check come next."""
    form = ImportUploadForm(request.POST or None, files_of(request) or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = services.import_job_upload(
                actor=request.user,
                kind=form.cleaned_data["kind"],
                uploaded_file=form.cleaned_data["file"],
            )
        except DomainError as error:
            form.add_error(error.field, error.message)
        else:
            return redirect("customers:import_preview", job.pk)
    recent = (
        ImportJob.objects.in_scope(request.user).defer("rows_encrypted").order_by("-created_at")
    )[:10]
    context = {
        "form": form,
        "recent_jobs": recent,
        "column_sets": [(kind, label, COLUMNS[kind]) for kind, label in ImportJob.Kind.choices],
    }
    status = 400 if form.errors else 200
    return render(request, "customers/intake/upload.html", context, status=status)


@tenant_staff_required
@permission_required("customers.import_customers", raise_exception=True)
def import_template(request: HttpRequest, kind: str) -> HttpResponse:
    """The file to fill in for an import: header row, examples, codes in the staff's scope."""
    if kind not in ImportJob.Kind.values:
        raise Http404
    form = FileFormatForm(request.GET)
    file_format = form.cleaned_data["format"] if form.is_valid() else "xlsx"
    content = files.import_template(kind=kind, actor=request.user, file_format=file_format)
    return _download(f"import-{kind}.{file_format}", content, file_format)


@never_cache
@tenant_staff_required
@permission_required("customers.import_customers", raise_exception=True)
def import_preview(request: HttpRequest, pk: int) -> HttpResponse:
    """The check of an uploaded file (every bad row, with its line), or the job's progress:
    "reading the file" until a worker has read it, then the check."""
    job = _job_or_404(request, pk)
    check = None
    if job.status == ImportJob.Status.DRAFT:
        check = services.import_job_check(job=job, actor=request.user)
    return _job_page(request, job, check)


@require_POST
@tenant_staff_required
@permission_required("customers.import_customers", raise_exception=True)
def import_apply(request: HttpRequest, pk: int) -> HttpResponse:
    """Apply a checked file in the background; refused, with the bad rows, if any is wrong."""
    job = _job_or_404(request, pk)
    try:
        services.import_job_apply(job=job, actor=request.user)
    except services.ImportRefused as refused:
        messages.error(request, refused.message)
        return _job_page(request, job, refused.check, status=400)
    except DomainError as error:
        messages.error(request, error.message)
    return redirect("customers:import_preview", job.pk)


@require_POST
@tenant_staff_required
@permission_required("customers.import_customers", raise_exception=True)
def import_discard(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job_or_404(request, pk)
    try:
        services.import_job_discard(job=job)
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("customers:import_preview", job.pk)
    messages.info(request, _("The file was discarded; nothing was imported."))
    return redirect("customers:import_upload")


@never_cache
@tenant_staff_required
@permission_required("customers.import_customers", raise_exception=True)
def import_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The progress of an import, polled by its page every second until it has ended."""
    job = _job_or_404(request, pk, with_rows=False)
    if job.status == ImportJob.Status.DRAFT and request.htmx:
        # The file has been read: the page to show now is its check, not a progress bar.
        return HttpResponseClientRefresh()
    return render(request, "customers/intake/job.html#progress", {"job": job})


@tenant_staff_required
@permission_required("customers.import_customers", raise_exception=True)
def import_errors(request: HttpRequest, pk: int) -> HttpResponse:
    """The checked file with each row's reasons in front: to correct and upload again.

    In the format of the upload unless ``format`` asks otherwise. Only its uploader reaches
    it, and only while the upload waits to be applied: the rows are gone after that.
    """
    job = _job_or_404(request, pk)
    if job.status != ImportJob.Status.DRAFT:
        raise Http404
    file_format = "xlsx" if job.name.lower().endswith(".xlsx") else "csv"
    form = FileFormatForm(request.GET)
    if request.GET.get("format") and form.is_valid():
        file_format = form.cleaned_data["format"]
    check = services.import_job_check(job=job, actor=request.user)
    content = files.error_file(job=job, check=check, file_format=file_format)
    return _download(f"import-{job.pk}-errors.{file_format}", content, file_format)


@tenant_staff_required
@permission_required("customers.export_customers", raise_exception=True)
def export(request: HttpRequest) -> HttpResponse:
    """The customer list with the list page's filters and order, masked, as CSV or XLSX."""
    staff = request.user
    format_form = FileFormatForm(request.GET)
    filterset = CustomerFilter(
        request.GET, request=request, branches=selectors.branches_in_scope(staff)
    )
    order_form = ListOrderForm({"sort": request.GET.get("sort", "")})
    if not (format_form.is_valid() and filterset.is_valid() and order_form.is_valid()):
        return render(
            request,
            "customers/intake/export_refused.html",
            {"message": _("The filters of this list are not valid. Correct them first.")},
            status=400,
        )
    sort = order_form.cleaned_data["sort"]
    customers = filterset.qs
    if selectors.SORTS[sort].column == "sort_name":
        customers = customers.alias(sort_name=Collate("name", "C"))
    customers = customers.order_by(*selectors.SORTS[sort].order_by())
    file_format = format_form.cleaned_data["format"]
    query = {
        key: values
        for key, values in request.GET.lists()
        if key not in ("format", "after", "before")
    }
    try:
        name, content = exports.customer_list_export(
            actor=staff,
            customers=customers,
            file_format=file_format,
            filters=exports.audit_filters(query),
        )
    except DomainError as error:
        return render(
            request,
            "customers/intake/export_refused.html",
            {"message": error.message},
            status=400,
        )
    return _download(name, content, file_format)


@tenant_staff_required
@permission_required("customers.export_personal_data", raise_exception=True)
def personal_data_copy(request: HttpRequest, pk: int) -> HttpResponse:
    """A customer's own copy of their personal data (PIPL right of access), with a reason."""
    customer = selectors.get_customer_or_404(request.user, pk)
    form = PersonalDataCopyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        file_format = form.cleaned_data["file_format"]
        name, content = exports.personal_data_copy(
            customer=customer,
            actor=request.user,
            reason=form.cleaned_data["reason"],
            file_format=file_format,
        )
        return _download(name, content, file_format)
    status = 400 if form.errors else 200
    return render(
        request,
        "customers/intake/personal_data.html",
        {"customer": customer, "form": form},
        status=status,
    )
