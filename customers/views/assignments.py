"""Who looks after whom: handing a whole book over, and the public pool (公海)."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from crm.approvals.models import Proposal
from crm.domain import DomainError, add_to_form
from crm.htmx import wants_fragment
from crm.tenancy.decorators import tenant_staff_required
from customers import approvals, selectors, services
from customers.forms.handover import BookHandoverForm
from customers.forms.listing import PoolForm


@tenant_staff_required
@permission_required("customers.hand_over_customers", raise_exception=True)
def book_handover(request: HttpRequest) -> HttpResponse:
    """Hand a relationship manager's whole book to a colleague or to the pool, with a reason.

    Two steps: the form, then how many customers move to whom, to confirm once. A whole
    book is many people's customers at once; the count must be seen before it moves.
    """
    staff = request.user
    form = BookHandoverForm(request.POST or None, staff=staff)
    if request.method == "POST":
        if form.has_error("from_manager", "invalid_choice") or form.has_error(
            "to_manager", "invalid_choice"
        ):
            raise Http404  # a manager out of scope, or of another bank: as if unknown
        if form.is_valid() and "change" not in request.POST:
            source, target = form.cleaned_data["from_manager"], form.cleaned_data["to_manager"]
            size = approvals.book_size(source, actor=staff)
            if size == 0:
                form.add_error(
                    "from_manager",
                    _("%(name)s looks after no customer you see: nothing to hand over.")
                    % {"name": source.name},
                )
            elif form.cleaned_data["confirmed_count"] != size:
                # First time, or the book changed since the count was shown: show it (again).
                context = {
                    "form": form,
                    "source": source,
                    "target": target,
                    "size": size,
                    "changed": form.cleaned_data["confirmed_count"] is not None,
                }
                return render(request, "customers/handover_confirm.html", context)
            else:
                return _book_handover_confirmed(request, form)
        elif form.is_bound and "change" in request.POST:
            form = BookHandoverForm(request.POST, staff=staff)  # back to the form, values kept
            return render(request, "customers/handover.html", {"form": form})
    status = 400 if form.is_bound else 200
    return render(request, "customers/handover.html", {"form": form}, status=status)


def _book_handover_confirmed(request: HttpRequest, form: BookHandoverForm) -> HttpResponse:
    source, target = form.cleaned_data["from_manager"], form.cleaned_data["to_manager"]
    try:
        moved = approvals.book_handover_or_propose(
            from_manager=source,
            to_manager=target,
            actor=request.user,
            reason=form.cleaned_data["reason"],
        )
    except DomainError as error:
        add_to_form(form, error)
        return render(request, "customers/handover.html", {"form": form}, status=400)
    if isinstance(moved, Proposal):  # a large book: a colleague must approve
        messages.info(request, _("The handover was sent for approval."))
        return redirect("approvals:detail", moved.pk)
    messages.success(
        request,
        ngettext(
            "%(count)d customer of %(source)s handed over to %(target)s.",
            "%(count)d customers of %(source)s handed over to %(target)s.",
            moved,
        )
        % {
            "count": moved,
            "source": source.name,
            "target": target.name if target else _("the public pool"),
        },
    )
    return redirect("customers:handover")


@tenant_staff_required
@permission_required("customers.claim_from_pool", raise_exception=True)
@vary_on_headers("HX-Request")
def pool(request: HttpRequest) -> HttpResponse:
    """Customers of my branches that nobody looks after, to claim within the monthly limit."""
    staff = request.user
    form = PoolForm(request.GET)
    page = None
    if form.is_valid():
        customers = selectors.pool_in_scope(staff)
        if form.cleaned_data["q"]:
            customers = selectors.search_customers(
                customers, form.cleaned_data["q"], tenant_id=staff.tenant_id
            )
        page = selectors.customer_page(
            customers,
            sort=form.cleaned_data["sort"],
            after=form.cleaned_data["after"],
            before=form.cleaned_data["before"],
        )
    query = request.GET.copy()
    for name in ("after", "before"):
        query.pop(name, None)
    fragment = wants_fragment(request)
    context = {
        "form": form,
        "page": page,
        # Rows link to the customer page only where the viewer may open it (a manager
        # limited to their own book sees the pool, but not the pool customers' pages).
        "openable": selectors.customer_ids_in_scope(
            staff, [customer.pk for customer in page.customers] if page else []
        ),
        "query": query.urlencode(),
        "claims": selectors.pool_claims(staff),
    }
    template = "customers/pool.html#results" if fragment else "customers/pool.html"
    status = 200 if page is not None or fragment else 400
    return render(request, template, context, status=status)


@require_POST
@tenant_staff_required
@permission_required("customers.claim_from_pool", raise_exception=True)
def claim(request: HttpRequest, pk: int) -> HttpResponse:
    """Take a customer from the pool into my book."""
    customer = selectors.get_claimable_or_404(request.user, pk)
    try:
        services.customer_claim(customer=customer, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("%(customer)s is now in your book.") % {"customer": customer})
    return redirect("customers:pool")
