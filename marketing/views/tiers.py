"""Pages of customer value: the bank's tier rules and the tiers set by hand."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from crm.domain import DomainError, add_to_form
from crm.http import StaffRequest
from crm.tenancy.decorators import tenant_staff_required
from customers.models import Customer
from marketing import selectors, services
from marketing.forms import ManualTierForm, TierRulesForm


def _tier_rules_initial(kind: str) -> dict[str, Any]:
    """The form starts from the newest version of the kind: a change is usually small."""
    latest = selectors.latest_rule_set(kind)
    initial: dict[str, Any] = {"kind": kind}
    if latest is not None:
        for name in (
            "new_customer_months",
            "bz_months",
            "mvc_top_percent",
            "mvc_min_contribution",
            "mgc_min_potential",
            "downgrade_months",
        ):
            initial[name] = getattr(latest, name)
    return initial


@tenant_staff_required
@permission_required("marketing.view_tierruleset", raise_exception=True)
def tier_rules(request: StaffRequest) -> HttpResponse:
    """The versions of the tier rules per kind of customer, and a form to propose the next."""
    staff = request.user
    may_propose = staff.has_perm("marketing.add_tierruleset")
    if request.method == "POST" and not may_propose:
        raise PermissionDenied
    kind = request.GET.get("kind")
    kind = kind if kind in Customer.Kind.values else Customer.Kind.INDIVIDUAL
    form = TierRulesForm(request.POST or None, initial=_tier_rules_initial(kind))
    if request.method == "POST" and form.is_valid():
        try:
            proposal = services.tier_rules_propose(actor=staff, **form.proposal())
        except DomainError as error:
            add_to_form(form, error)
        else:
            messages.success(
                request, _("The new rules were sent for approval by another administrator.")
            )
            return redirect("approvals:detail", proposal.pk)
    context = {
        "form": form if may_propose else None,
        "overview": selectors.rule_sets_overview(),
        "pending": list(selectors.pending_proposals(selectors.TIER_RULES_ACTION, staff)),
    }
    return render(request, "marketing/tier_rules.html", context, status=400 if form.errors else 200)


@tenant_staff_required
@permission_required("marketing.view_manualtier", raise_exception=True)
def manual_tiers(request: StaffRequest) -> HttpResponse:
    """Tiers set by hand on customers in scope: in force, waiting for approval, ended."""
    staff = request.user
    may_request = staff.has_perm("marketing.add_manualtier")
    if request.method == "POST" and not may_request:
        raise PermissionDenied
    form = ManualTierForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.manual_tier_request(actor=staff, **form.cleaned_data)
        except DomainError as error:
            add_to_form(form, error)
        else:
            messages.success(request, _("The manual tier was sent for approval."))
            return redirect("marketing:manual_tiers")
    show_ended = request.GET.get("show") == "ended"
    context = {
        "form": form if may_request else None,
        "show_ended": show_ended,
        "rows": selectors.manual_tiers_for(staff, expired=show_ended),
        "pending": list(selectors.pending_proposals(selectors.MANUAL_TIER_ACTION, staff)),
        "may_withdraw": staff.has_perm("marketing.change_manualtier"),
    }
    status = 400 if form.errors else 200
    return render(request, "marketing/manual_tiers.html", context, status=status)


@require_POST
@tenant_staff_required
@permission_required("marketing.change_manualtier", raise_exception=True)
def manual_tier_withdraw(request: StaffRequest, pk: int) -> HttpResponse:
    """End a manual tier now (the customer was strategic for a while)."""
    manual_tier = selectors.get_manual_tier_in_force_or_404(request.user, pk)
    try:
        services.manual_tier_withdraw(manual_tier=manual_tier, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The manual tier was withdrawn."))
    return redirect("marketing:manual_tiers")
