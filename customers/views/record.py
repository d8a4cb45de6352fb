"""One customer: the customer page with its panels, revealing identity, create and edit."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from crm.domain import DomainError, add_to_form
from crm.tenancy.decorators import tenant_staff_required
from customers import selectors, services
from customers.forms.record import CustomerForm
from customers.forms.reveal import RevealForm
from customers.models import Customer
from customers.panels import Panel, panel_for, panels_for

REVEALABLE = {"id_number", "phone"}


def render_panel(request: HttpRequest, panel: Panel, customer: Customer) -> str:
    """A panel's body: its template with what its context function returns."""
    context = {"customer": customer, "panel": panel, **panel.context(request, customer)}
    return render_to_string(panel.template, context, request=request)


@tenant_staff_required
@permission_required("customers.view_customer", raise_exception=True)
def customer_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The single customer view: identity, key figures and every panel the viewer may see."""
    staff = request.user
    customer = selectors.get_customer_or_404(staff, pk)
    # Lazy panels load on their own request (``customer_panel``) once scrolled into view.
    panels = [
        (panel, None if panel.lazy else render_panel(request, panel, customer))
        for panel in panels_for(staff)
    ]
    return render(
        request,
        "customers/detail.html",
        {
            "customer": customer,
            "figures": selectors.key_figures(customer),
            "customer_since": selectors.customer_since(customer),
            "panels": panels,
            "can_reveal": staff.has_perm("customers.reveal_personal_data"),
            "can_edit": staff.has_perm("customers.change_customer"),
        },
    )


@tenant_staff_required
@permission_required("customers.view_customer", raise_exception=True)
def customer_panel(request: HttpRequest, pk: int, panel: str) -> HttpResponse:
    """One panel's body, for a lazy panel of the customer page scrolling into view."""
    staff = request.user
    customer = selectors.get_customer_or_404(staff, pk)
    found = panel_for(staff, panel)
    if found is None:
        raise Http404
    return HttpResponse(render_panel(request, found, customer))


@never_cache
@require_POST
@tenant_staff_required
@permission_required("customers.reveal_personal_data", raise_exception=True)
def reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """Show an ID or phone number in clear, once the reason is given and logged."""
    customer = selectors.get_customer_or_404(request.user, pk)
    field = request.POST.get("field", "")
    if field not in REVEALABLE:
        return HttpResponseBadRequest()
    form = RevealForm(request.POST)
    value = None
    if form.is_valid():
        try:
            value = services.pii_reveal(
                customer=customer,
                field=field,
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except DomainError as error:
            form.add_error("reason" if error.field == "reason" else None, error.message)
    context = {
        "customer": customer,
        "field": field,
        "masked": customer.id_number_masked if field == "id_number" else customer.phone_masked,
        "form": form,
        "value": value,
        "can_reveal": True,
    }
    template = "customers/_reveal.html" if request.htmx else "customers/reveal.html"
    # htmx swaps only successful responses: a missing reason comes back as a form to fix.
    status = 200 if value is not None or request.htmx else 400
    return render(request, template, context, status=status)


def _duplicate_context(staff, error: services.DuplicateCustomer) -> dict:
    existing = error.existing
    return {
        "duplicate": existing,
        "duplicate_in_scope": Customer.objects.in_scope(staff).filter(pk=existing.pk).exists(),
    }


def _after_save(request: HttpRequest, customer: Customer):
    if Customer.objects.in_scope(request.user).filter(pk=customer.pk).exists():
        return redirect("customers:detail", pk=customer.pk)
    # e.g. given to a manager of another branch: the list is where they still belong.
    return redirect("customers:list")


@tenant_staff_required
@permission_required("customers.add_customer", raise_exception=True)
def customer_create(request: HttpRequest) -> HttpResponse:
    """A new customer; refused, with a link, when the ID or phone number is already known."""
    staff = request.user
    form = CustomerForm(request.POST or None, staff=staff)
    context: dict = {"form": form, "customer": None}
    if request.method == "POST" and form.is_valid():
        try:
            customer = services.customer_create(actor=staff, **form.service_arguments())
        except services.DuplicateCustomer as error:
            add_to_form(form, error)
            context.update(_duplicate_context(staff, error))
        except DomainError as error:
            add_to_form(form, error)
        else:
            messages.success(request, _("Customer %(customer)s created.") % {"customer": customer})
            return _after_save(request, customer)
    status = 400 if form.is_bound else 200
    return render(request, "customers/form.html", context, status=status)


@tenant_staff_required
@permission_required("customers.change_customer", raise_exception=True)
def customer_edit(request: HttpRequest, pk: int) -> HttpResponse:
    staff = request.user
    customer = selectors.get_customer_or_404(staff, pk)
    form = CustomerForm(request.POST or None, staff=staff, customer=customer)
    context: dict = {"form": form, "customer": customer}
    if request.method == "POST" and form.is_valid():
        try:
            services.customer_update(customer=customer, actor=staff, **form.service_arguments())
        except services.DuplicateCustomer as error:
            add_to_form(form, error)
            context.update(_duplicate_context(staff, error))
        except DomainError as error:
            add_to_form(form, error)
        else:
            messages.success(request, _("Changes to %(customer)s saved.") % {"customer": customer})
            return _after_save(request, customer)
    status = 400 if form.is_bound else 200
    return render(request, "customers/form.html", context, status=status)
