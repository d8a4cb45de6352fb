"""The customer list: search, filters, keyset pages, and handing the ticked customers over."""

from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from crm.domain import DomainError
from crm.htmx import wants_fragment
from crm.tenancy.decorators import tenant_staff_required
from customers import list_columns, search_providers, selectors, services
from customers.forms.handover import SelectedHandoverForm
from customers.forms.listing import CustomerFilter, ListOrderForm
from customers.forms.managers import POOL, ManagerChoice, ManagerLookupForm
from customers.models import Customer


@tenant_staff_required
@permission_required("customers.view_customer", raise_exception=True)
@vary_on_headers("HX-Request")
def customer_list(request: HttpRequest) -> HttpResponse:
    """Customers in the staff member's scope: one search box, filters, sort, keyset pages."""
    staff = request.user
    fragment = wants_fragment(request)
    # A fragment shows no select box: the branches are loaded only to check a branch sent.
    branches = []
    if not fragment or request.GET.get("branch"):
        branches = selectors.branches_in_scope(staff)
    filterset = CustomerFilter(request.GET, request=request, branches=branches)
    order_form = ListOrderForm(request.GET)
    filters_valid = filterset.is_valid()
    order_valid = order_form.is_valid()
    page = None
    columns = list_columns.columns_for(staff)
    if filters_valid and order_valid:
        page = selectors.customer_page(
            list_columns.with_columns(filterset.qs, columns),
            sort=order_form.cleaned_data["sort"],
            after=order_form.cleaned_data["after"],
            before=order_form.cleaned_data["before"],
        )
    query = request.GET.copy()
    for name in ("after", "before"):
        query.pop(name, None)
    search = (filterset.form.cleaned_data.get("q") or "") if filters_valid else ""
    search_kind = selectors.detect_search(search)[0] if search else ""
    # A request number from a receipt, say: what other apps find for the text.
    hits = search_providers.hits_for(staff, search) if search else []
    if len(hits) == 1 and page is not None and not page.customers and not fragment:
        return redirect(hits[0].url)
    walk_in_cards: list[selectors.WalkInCard] = []
    if page is not None and search and page.is_first and not page.customers:
        # Nobody in scope has this exact ID or mobile number: a walk-in customer of another
        # branch may. A minimal card, audited; names and partial input stay in scope.
        lookup_kind, walk_in_cards = selectors.walk_in_lookup(staff, search)
        if walk_in_cards:
            services.walk_in_lookup_record(actor=staff, kind=lookup_kind, cards=walk_in_cards)
    context = {
        "filter_form": filterset.form,
        "order_form": order_form,
        "page": page,
        "query": query.urlencode(),
        "search_kind": selectors.SearchKind.DESCRIPTIONS.get(search_kind, ""),
        "search_hint": selectors.SearchKind.HINTS.get(search_kind, ""),
        "search_hits": hits,
        "errors": [
            error
            for form in (filterset.form, order_form)
            for errors in form.errors.values()
            for error in errors
        ],
        "can_hand_over": staff.has_perm("customers.hand_over_customers"),
        "extra_columns": columns,
        "walk_in_cards": walk_in_cards,
    }
    template = "customers/list.html#results" if fragment else "customers/list.html"
    # A fragment with errors still replaces the results, so that the errors show.
    status = 200 if page is not None or fragment else 400
    return render(request, template, context, status=status)


@tenant_staff_required
@permission_required("customers.view_customer", raise_exception=True)
def manager_lookup(request: HttpRequest) -> HttpResponse:
    """The relationship managers in scope matching what was typed in a manager lookup.

    A fragment of at most ``selectors.MANAGER_MATCHES`` managers to choose from: pages never
    list all the managers of a bank (thousands of them).
    """
    staff = request.user
    form = ManagerLookupForm(request.GET)
    if not form.is_valid():
        return HttpResponseBadRequest()
    purpose = form.cleaned_data["purpose"]
    # Looking up whom to give customers to is for those who may give them.
    if purpose.permission and not staff.has_perm(purpose.permission):
        raise PermissionDenied
    managers, more = selectors.relationship_manager_matches(
        staff, form.cleaned_data["q"], include_deactivated=purpose.include_deactivated
    )
    context = {
        "matches": [(manager, ManagerChoice.of(manager)) for manager in managers],
        "more": more,
        "pool": ManagerChoice.of(POOL) if purpose.pool else None,
        "q": form.cleaned_data["q"],
    }
    return render(request, "customers/_manager_matches.html", context)


def _back_to_list(request: HttpRequest) -> str:
    """The list the form was sent from, with its filters (the Referer), or the plain list."""
    referer = request.headers.get("referer", "")
    list_url = reverse("customers:list")
    if referer and url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        parts = urlsplit(referer)
        if parts.path == list_url:
            return f"{parts.path}?{parts.query}" if parts.query else parts.path
    return list_url


@require_POST
@tenant_staff_required
@permission_required("customers.hand_over_customers", raise_exception=True)
def handover_selected(request: HttpRequest) -> HttpResponse:
    """Give the customers ticked in the list to one relationship manager, with a reason."""
    staff = request.user
    form = SelectedHandoverForm(request.POST, staff=staff)
    if not form.is_valid():
        # Ids of customers or managers the staff member cannot see: as if they did not exist.
        if form.has_error("customer", "invalid") or form.has_error(
            "relationship_manager", "invalid_choice"
        ):
            raise Http404
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(_back_to_list(request))
    customer_ids = form.cleaned_data["customer"]
    visible = list(
        Customer.objects.in_scope(staff).filter(pk__in=customer_ids).values_list("pk", flat=True)
    )
    if len(visible) != len(customer_ids):
        raise Http404
    manager = form.cleaned_data["relationship_manager"]
    try:
        moved = services.customers_assign(
            customer_ids=visible,
            relationship_manager=manager,
            actor=staff,
            reason=form.cleaned_data["reason"],
        )
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            ngettext(
                "%(count)d customer handed over to %(manager)s.",
                "%(count)d customers handed over to %(manager)s.",
                moved,
            )
            % {"count": moved, "manager": manager.name},
        )
        if moved < len(visible):
            messages.info(request, _("The others were already looked after by this manager."))
    return redirect(_back_to_list(request))
