"""A customer's timeline across channels, and logging a contact from the customer page."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import reswap, retarget

from channels import services
from channels.forms import PRESETS, InteractionForm, TimelineFilterForm
from channels.panels import TIMELINE_PANEL, timeline_context
from crm.domain import DomainError, add_to_form
from crm.htmx import wants_fragment
from crm.tenancy.decorators import tenant_staff_required
from customers.selectors import get_customer_or_404


@require_GET
@tenant_staff_required
@permission_required(["customers.view_customer", "channels.view_interaction"], raise_exception=True)
@vary_on_headers("HX-Request")
def timeline(request: HttpRequest, customer_pk: int) -> HttpResponse:
    """The customer's contacts: filtered (htmx swaps the entries) or the next page of them."""
    customer = get_customer_or_404(request.user, customer_pk)
    form = TimelineFilterForm(request.GET)
    context = {"customer": customer, **timeline_context(request, customer, form)}
    if wants_fragment(request):
        # A "load more" click appends rows; a filter change replaces the entries.
        partial = "rows" if form.is_valid() and form.cleaned_data["after"] else "entries"
        return render(request, f"channels/panels/timeline.html#{partial}", context)
    status = 200 if context["page"] is not None else 400
    return render(request, "channels/timeline.html", context, status=status)


@require_GET
@tenant_staff_required
@permission_required("channels.add_interaction", raise_exception=True)
@vary_on_headers("HX-Request")
def interaction_new(request: HttpRequest, customer_pk: int) -> HttpResponse:
    """The form to log a contact, its channel preset by the button that opened it."""
    customer = get_customer_or_404(request.user, customer_pk)
    preset = request.GET.get("channel", "")
    form = InteractionForm(
        staff=request.user, customer=customer, preset=preset if preset in PRESETS else ""
    )
    fragment = wants_fragment(request)
    context = {"customer": customer, "form": form, "in_panel": fragment}
    template = "channels/interaction_form.html"
    return render(request, f"{template}#form" if fragment else template, context)


@require_POST
@tenant_staff_required
@permission_required("channels.add_interaction", raise_exception=True)
def interaction_log(request: HttpRequest, customer_pk: int) -> HttpResponse:
    """Record a contact served by the staff member; htmx gets the refreshed timeline."""
    staff = request.user
    customer = get_customer_or_404(staff, customer_pk)
    form = InteractionForm(request.POST, staff=staff)
    if form.has_error("outlet", "invalid_choice"):
        raise Http404  # an outlet out of scope, or of another bank: as if unknown
    if form.is_valid():
        try:
            interaction = services.interaction_log(
                customer=customer, actor=staff, **form.service_arguments()
            )
        except DomainError as error:
            add_to_form(form, error)
        else:
            if request.htmx:
                context = {
                    "customer": customer,
                    "panel": TIMELINE_PANEL,
                    **timeline_context(request, customer),
                    "logged": interaction,
                }
                body = render_to_string(TIMELINE_PANEL.template, context, request=request)
                return HttpResponse(body)
            messages.success(request, _("Contact logged."))
            return redirect("customers:detail", pk=customer.pk)
    context = {"customer": customer, "form": form, "in_panel": bool(request.htmx)}
    if request.htmx:
        # htmx swaps only successful answers: the form comes back, in place, to be fixed.
        response = render(request, "channels/interaction_form.html#form", context)
        return reswap(retarget(response, f"#interaction-form-{customer.pk}"), "outerHTML")
    return render(request, "channels/interaction_form.html", context, status=400)
