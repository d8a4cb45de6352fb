"""The tier service policy page: every tier's policy, and the form that edits one tier."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from crm.domain import DomainError, add_to_form
from crm.tenancy.decorators import tenant_staff_required
from customers.models import Customer
from marketing import selectors, services
from marketing.forms import ServicePolicyForm


@require_GET
@tenant_staff_required
@permission_required("marketing.view_tierservicepolicy", raise_exception=True)
def service_policy(request: HttpRequest) -> HttpResponse:
    """Every tier's cadence, manager rule, book cap, privileges and suggested channels."""
    context = {
        "policies": selectors.service_policies(),
        "can_edit": request.user.has_perm("marketing.change_tierservicepolicy"),
    }
    return render(request, "marketing/service_policy.html", context)


@require_http_methods(["GET", "POST"])
@tenant_staff_required
@permission_required("marketing.change_tierservicepolicy", raise_exception=True)
def service_policy_edit(request: HttpRequest, tier: str) -> HttpResponse:
    """The form of one tier's policy, and saving what it says (audited by the triggers)."""
    if tier not in Customer.Tier.values:
        raise Http404
    policy = selectors.service_policy_for(tier)
    assert policy is not None  # a tier value always has a policy, stored or default
    data = request.POST if request.method == "POST" else None
    form = ServicePolicyForm(data, policy=policy)
    if request.method == "POST" and form.is_valid():
        try:
            services.service_policy_update(
                tier=tier,
                contact_cadence_days=form.cleaned_data["contact_cadence_days"],
                requires_relationship_manager=form.cleaned_data["requires_relationship_manager"],
                max_book_size=form.cleaned_data["max_book_size"],
                privileges=form.privilege_names(),
                suggested_channel_ids=form.channel_ids(),
            )
        except DomainError as error:
            add_to_form(form, error)
        else:
            messages.success(
                request, _("The policy of %(tier)s is saved.") % {"tier": policy.tier_label}
            )
            return redirect("marketing:service_policy")
    status = 400 if form.errors else 200
    return render(
        request,
        "marketing/service_policy_form.html",
        {"form": form, "policy": policy},
        status=status,
    )
