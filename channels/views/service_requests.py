"""Service requests: the queues, one request with its cross-channel history, and its moves."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from channels import selectors, services
from channels.forms import (
    MOVE_ACTIONS,
    QueueForm,
    ServiceRequestMoveForm,
    ServiceRequestOpenForm,
    ServiceRequestReassignForm,
)
from channels.models import ServiceRequest
from crm.domain import DomainError, add_to_form
from crm.htmx import wants_fragment
from crm.tenancy.decorators import tenant_staff_required
from customers.selectors import get_customer_or_404

# How each move's button looks: closing moves stand out from the everyday ones.
MOVE_STYLES = {
    ServiceRequest.Status.COMPLETED: "btn-success",
    ServiceRequest.Status.REJECTED: "btn-outline-danger",
    ServiceRequest.Status.CANCELLED: "btn-outline-danger",
    ServiceRequest.Status.WAITING_FOR_CUSTOMER: "btn-outline-secondary",
}


@require_GET
@tenant_staff_required
@permission_required("channels.view_servicerequest", raise_exception=True)
@vary_on_headers("HX-Request")
def queues(request: HttpRequest) -> HttpResponse:
    """Requests to work on, most urgent first, the closed ones, or one found by its number."""
    staff = request.user
    form = QueueForm(request.GET, staff=staff)
    page, tab, after, number = None, selectors.default_queue(staff), "", ""
    if form.is_valid():
        tab, after, number = (form.cleaned_data[name] for name in ("tab", "after", "number"))
        if number:
            page = selectors.QueuePage(requests=selectors.requests_numbered(staff, number))
        else:
            page = selectors.queue_page(selectors.request_queue(staff, tab), tab, after=after)
    context = {
        "page": page,
        "tab": "" if number else tab,
        "tabs": list(selectors.Queue.LABELS.items()),
        "closed_tab": tab == selectors.Queue.CLOSED and not number,
        "number": number,
        "search_form": form,
        "errors": [error for errors in form.errors.values() for error in errors],
    }
    if wants_fragment(request):
        # "Load more" appends rows; a tab or a search replaces the whole queue.
        partial = "rows" if after and not number else "queue"
        return render(request, f"channels/requests/queue.html#{partial}", context)
    status = 200 if page is not None else 400
    return render(request, "channels/requests/queue.html", context, status=status)


def _request_page(
    request: HttpRequest,
    service_request: ServiceRequest,
    *,
    move_form: ServiceRequestMoveForm | None = None,
    reassign_form: ServiceRequestReassignForm | None = None,
    status: int = 200,
) -> HttpResponse:
    staff = request.user
    is_open = not service_request.is_closed
    can_move = is_open and staff.has_perm("channels.change_servicerequest")
    can_reassign = is_open and staff.has_perm("channels.reassign_servicerequest")
    if (can_move and move_form is None) or (can_reassign and reassign_form is None):
        # Both forms act in the staff member's own channel: looked up once for the two.
        channel = selectors.default_channel(
            selectors.workplace_of(staff), list(selectors.active_channels())
        )
        initial = {"channel": channel.pk if channel else None}
        if can_move and move_form is None:
            move_form = ServiceRequestMoveForm(staff=staff, initial=initial)
        if can_reassign and reassign_form is None:
            reassign_form = ServiceRequestReassignForm(
                staff=staff, request=service_request, initial=initial
            )
    moves = [
        (to_status, MOVE_ACTIONS[to_status], MOVE_STYLES.get(to_status, "btn-primary"))
        for to_status in service_request.allowed_next_statuses()
    ]
    context = {
        "service_request": service_request,
        "history": selectors.request_history(service_request),
        "moves": moves if can_move else [],
        "move_form": move_form,
        "reassign_form": reassign_form,
        "can_move": can_move,
        "can_reassign": can_reassign,
    }
    return render(request, "channels/requests/detail.html", context, status=status)


@require_GET
@tenant_staff_required
@permission_required("channels.view_servicerequest", raise_exception=True)
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One request: where it stands, its history across channels, and what can happen next."""
    return _request_page(request, selectors.get_request_or_404(request.user, pk))


@require_POST
@tenant_staff_required
@permission_required("channels.change_servicerequest", raise_exception=True)
def request_move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move the request to its next status, in the channel the staff member works in."""
    staff = request.user
    service_request = selectors.get_request_or_404(staff, pk)
    form = ServiceRequestMoveForm(request.POST, staff=staff)
    if form.is_valid():
        try:
            moved = services.service_request_move(
                request=service_request,
                to_status=form.cleaned_data["to_status"],
                channel=form.cleaned_data["channel"],
                actor=staff,
                note=form.cleaned_data["note"],
            )
        except DomainError as error:
            add_to_form(form, error)
        else:
            messages.success(
                request,
                _("Request %(number)s is now “%(status)s”.")
                % {"number": moved.number, "status": moved.get_status_display()},
            )
            return redirect("channels:request_detail", pk=moved.pk)
    return _request_page(request, service_request, move_form=form, status=400)


@require_POST
@tenant_staff_required
@permission_required("channels.reassign_servicerequest", raise_exception=True)
def request_reassign(request: HttpRequest, pk: int) -> HttpResponse:
    """Give the request to a colleague or team within the staff member's scope."""
    staff = request.user
    service_request = selectors.get_request_or_404(staff, pk)
    form = ServiceRequestReassignForm(request.POST, staff=staff, request=service_request)
    if form.out_of_scope():
        raise Http404  # a colleague or team the staff member cannot see: as if unknown
    if form.is_valid():
        try:
            services.service_request_reassign(
                request=service_request,
                owner=form.cleaned_data["owner"],
                team=form.cleaned_data["team"],
                channel=form.cleaned_data["channel"],
                actor=staff,
                note=form.cleaned_data["note"],
            )
        except DomainError as error:
            add_to_form(form, error)
        else:
            messages.success(
                request,
                _("Request %(number)s reassigned.") % {"number": service_request.number},
            )
            return redirect("channels:request_detail", pk=service_request.pk)
    return _request_page(request, service_request, reassign_form=form, status=400)


@tenant_staff_required
@permission_required("channels.add_servicerequest", raise_exception=True)
@vary_on_headers("HX-Request")
def request_open(request: HttpRequest, customer_pk: int) -> HttpResponse:
    """Open a request for the customer in the channel where they ask for it."""
    staff = request.user
    customer = get_customer_or_404(staff, customer_pk)
    form = ServiceRequestOpenForm(request.POST or None, staff=staff)
    if request.method == "POST" and form.is_valid():
        try:
            opened = services.service_request_open(
                request_type=form.cleaned_data["request_type"],
                customer=customer,
                channel=form.cleaned_data["channel"],
                summary=form.cleaned_data["summary"],
                actor=staff,
            )
        except DomainError as error:
            add_to_form(form, error)
        else:
            messages.success(request, _("Request %(number)s opened.") % {"number": opened.number})
            if ServiceRequest.objects.in_scope(staff).filter(pk=opened.pk).exists():
                return redirect("channels:request_detail", pk=opened.pk)
            return redirect("customers:detail", pk=customer.pk)
    fragment = request.method == "GET" and wants_fragment(request)
    context = {"customer": customer, "form": form, "in_panel": fragment}
    if fragment:
        return render(request, "channels/requests/open.html#form", context)
    status = 400 if form.is_bound else 200
    return render(request, "channels/requests/open.html", context, status=status)
