"""A customer's contact preferences: the panel's refresh, the form that changes them, and
recording their consents."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers

from channels import services
from channels.forms import GIVE, ChannelPreferenceForm, ConsentForm
from channels.models import ChannelPreference
from channels.preference_panel import PREFERENCE_PANEL, preference_context
from crm.domain import DomainError, add_to_form
from crm.htmx import wants_fragment
from crm.tenancy.context import require_tenant
from crm.tenancy.decorators import tenant_staff_required
from crm.tenancy.time_zones import time_zone_name
from customers import services as customer_services
from customers.models import Consent, Customer
from customers.selectors import get_customer_or_404

FORM_TEMPLATE = "channels/preference_form.html"


def _current_values(customer: Customer) -> dict:
    preference = (
        ChannelPreference.objects.filter(customer=customer)
        .values("preferred_channel", "contact_from", "contact_until", "do_not_contact")
        .first()
    )
    return preference or {}


def _panel(
    request: HttpRequest, customer: Customer, *, saved: bool = False, consent_saved: bool = False
) -> HttpResponse:
    context = {
        "customer": customer,
        "panel": PREFERENCE_PANEL,
        **preference_context(request, customer),
        "saved": saved,
        "consent_saved": consent_saved,
    }
    return render(request, PREFERENCE_PANEL.template, context)


@require_GET
@tenant_staff_required
@permission_required(
    ["customers.view_customer", "channels.view_channelpreference"], raise_exception=True
)
@vary_on_headers("HX-Request")
def preferences_panel(request: HttpRequest, customer_pk: int) -> HttpResponse:
    """The panel's body again (htmx: "Cancel" on the form); the customer page otherwise."""
    customer = get_customer_or_404(request.user, customer_pk)
    if not wants_fragment(request):
        return redirect("customers:detail", pk=customer.pk)
    return _panel(request, customer)


@require_http_methods(["GET", "POST"])
@tenant_staff_required
@permission_required(
    ["customers.view_customer", "channels.change_channelpreference"], raise_exception=True
)
@vary_on_headers("HX-Request")
def preferences_edit(request: HttpRequest, customer_pk: int) -> HttpResponse:
    """The form (in the panel with htmx, a page without), and recording what it says."""
    staff = request.user
    customer = get_customer_or_404(staff, customer_pk)
    if request.method == "POST":
        form = ChannelPreferenceForm(request.POST)
        if form.is_valid():
            try:
                services.channel_preference_set(customer=customer, actor=staff, **form.cleaned_data)
            except DomainError as error:
                add_to_form(form, error)
            else:
                if request.htmx:
                    return _panel(request, customer, saved=True)
                messages.success(request, _("Contact preferences saved."))
                return redirect("customers:detail", pk=customer.pk)
        # htmx swaps only successful answers: the form comes back, in place, to be fixed.
        in_panel, status = bool(request.htmx), 400
    else:
        form = ChannelPreferenceForm(initial=_current_values(customer))
        in_panel, status = wants_fragment(request), 200
    context = {
        "customer": customer,
        "form": form,
        "in_panel": in_panel,
        "time_zone": time_zone_name(require_tenant().time_zone),
    }
    if in_panel:
        return render(request, f"{FORM_TEMPLATE}#form", context)
    return render(request, FORM_TEMPLATE, context, status=status)


CONSENT_TEMPLATE = "channels/consent_form.html"


def _answered_on(recorded_on: date, today: date, zone: ZoneInfo) -> datetime:
    """The moment to record: now for today's answer, else the start of that day at the bank
    (a letter read today, dated last week, is last week's answer)."""
    if recorded_on == today:
        return timezone.now()
    return datetime.combine(recorded_on, time.min, tzinfo=zone)


@require_http_methods(["GET", "POST"])
@tenant_staff_required
@permission_required(
    [
        "customers.view_customer",
        "channels.view_channelpreference",
        "customers.add_consent",
        "customers.change_consent",
    ],
    raise_exception=True,
)
@vary_on_headers("HX-Request")
def consent_record(request: HttpRequest, customer_pk: int) -> HttpResponse:
    """Record a customer's answer for one purpose and channel (the panel's "Withdraw" posts
    here too); in the panel with htmx, a page without."""
    staff = request.user
    customer = get_customer_or_404(staff, customer_pk)
    zone = ZoneInfo(require_tenant().time_zone)
    today = timezone.now().astimezone(zone).date()
    if request.method == "POST":
        form = ConsentForm(request.POST, today=today)
        if form.is_valid():
            data = form.cleaned_data
            try:
                customer_services.consent_record(
                    customer=customer,
                    purpose=data["purpose"],
                    channel=data["channel"],
                    granted=data["decision"] == GIVE,
                    source=data["source"],
                    actor=staff,
                    recorded_at=_answered_on(data["recorded_on"], today, zone),
                    refuse_older=True,
                )
            except DomainError as error:
                add_to_form(form, error)
            else:
                if request.htmx:
                    return _panel(request, customer, consent_saved=True)
                messages.success(request, _("Consent recorded."))
                return redirect("customers:detail", pk=customer.pk)
        in_panel, status = bool(request.htmx), 400
    else:
        # "Record consent" for a purpose and channel of the panel comes with them chosen.
        initial = {
            "decision": GIVE,
            "source": Consent.Source.COUNTER,
            "recorded_on": today,
            **{key: request.GET[key] for key in ("purpose", "channel") if key in request.GET},
        }
        form = ConsentForm(initial=initial, today=today)
        in_panel, status = wants_fragment(request), 200
    context = {"customer": customer, "form": form, "in_panel": in_panel}
    if in_panel:
        return render(request, f"{CONSENT_TEMPLATE}#form", context, status=200)
    return render(request, CONSENT_TEMPLATE, context, status=status)
