"""Approvers' pages: what waits for their decision, and the decision itself."""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from crm.approvals import selectors, services
from crm.approvals.models import Proposal
from crm.domain import DomainError, add_to_form
from crm.forms import bootstrap
from crm.http import StaffRequest
from crm.tenancy.decorators import tenant_staff_required

PAGE_SIZE = 50


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("approve", gettext_lazy("Approve")), ("reject", gettext_lazy("Reject"))]
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=300,
        required=False,
        help_text=gettext_lazy("Required when rejecting."),
        widget=forms.Textarea({"rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bootstrap(self)


def get_visible_proposal_or_404(request: StaffRequest, pk: int) -> Proposal:
    return get_object_or_404(selectors.visible_proposals(request.user), pk=pk)


@tenant_staff_required
@permission_required("approvals.view_proposal", raise_exception=True)
def proposal_list(request: StaffRequest) -> HttpResponse:
    return render(
        request,
        "approvals/list.html",
        {
            "to_decide": list(selectors.proposals_to_decide(request.user)[:PAGE_SIZE]),
            "mine": list(selectors.proposals_made_by(request.user)[:PAGE_SIZE]),
        },
    )


@tenant_staff_required
@permission_required("approvals.view_proposal", raise_exception=True)
def proposal_detail(request: StaffRequest, pk: int) -> HttpResponse:
    proposal = get_visible_proposal_or_404(request, pk)
    may_decide = (
        proposal.status == Proposal.Status.PENDING
        and not proposal.is_expired
        and services.may_decide(request.user, proposal)
    )
    form = DecisionForm(request.POST or None)
    if request.method == "POST" and may_decide and form.is_valid():
        try:
            if form.cleaned_data["decision"] == "approve":
                services.proposal_approve(
                    proposal=proposal, actor=request.user, reason=form.cleaned_data["reason"]
                )
                messages.success(request, _("Approved and carried out."))
            else:
                services.proposal_reject(
                    proposal=proposal, actor=request.user, reason=form.cleaned_data["reason"]
                )
                messages.success(request, _("Rejected."))
        except DomainError as error:
            add_to_form(form, error)
        else:
            return redirect("approvals:list")
    status = 400 if form.is_bound else 200
    if request.method == "POST" and not may_decide:
        status = 403
    return render(
        request,
        "approvals/detail.html",
        {"proposal": proposal, "form": form, "may_decide": may_decide},
        status=status,
    )
