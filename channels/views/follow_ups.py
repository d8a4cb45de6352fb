"""Follow-ups: planning one from the customer page, "My follow-ups", one follow-up with what
can happen to it, and a branch manager's team page."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from channels import follow_ups, selectors
from channels.forms import (
    FollowUpCancelForm,
    FollowUpCompleteForm,
    FollowUpForm,
    FollowUpReassignForm,
)
from channels.models import FollowUp
from crm.domain import DomainError, add_to_form
from crm.forms import manager_label
from crm.tenancy.decorators import tenant_staff_required
from customers.selectors import get_customer_or_404


def _back(request: HttpRequest, default: str) -> HttpResponse:
    """Back to the page the form was on (a local path only), else ``default``."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(default)


@tenant_staff_required
@permission_required(["customers.view_customer", "channels.add_followup"], raise_exception=True)
def follow_up_new(request: HttpRequest, customer_pk: int) -> HttpResponse:
    """Plan a contact with the customer; bad input comes back on the form, nothing written."""
    staff = request.user
    customer = get_customer_or_404(staff, customer_pk)
    form = FollowUpForm(request.POST or None, staff=staff, customer=customer)
    if form.out_of_scope():
        raise Http404  # a colleague the staff member cannot see: as if unknown
    if request.method == "POST" and form.is_valid():
        try:
            follow_ups.follow_up_create(customer=customer, actor=staff, **form.cleaned_data)
        except DomainError as error:
            add_to_form(form, error)
        else:
            messages.success(request, _("Follow-up planned."))
            return redirect("customers:detail", pk=customer.pk)
    status = 400 if form.is_bound else 200
    context = {"customer": customer, "form": form}
    return render(request, "channels/follow_ups/new.html", context, status=status)


@require_GET
@tenant_staff_required
@permission_required("channels.view_followup", raise_exception=True)
def my_follow_ups(request: HttpRequest) -> HttpResponse:
    """The staff member's open follow-ups: overdue, due today, later; each completed in place."""
    context = {
        "sections": selectors.my_follow_ups(request.user),
        "outcomes": FollowUp.Outcome.choices,
        "can_complete": request.user.has_perm("channels.change_followup"),
    }
    return render(request, "channels/follow_ups/mine.html", context)


def _detail(
    request: HttpRequest,
    follow_up: FollowUp,
    *,
    complete_form: FollowUpCompleteForm | None = None,
    cancel_form: FollowUpCancelForm | None = None,
    status: int = 200,
) -> HttpResponse:
    can_change = follow_up.is_open and request.user.has_perm("channels.change_followup")
    context = {
        "follow_up": follow_up,
        "can_change": can_change,
        "complete_form": complete_form or FollowUpCompleteForm(),
        "cancel_form": cancel_form or FollowUpCancelForm(),
    }
    return render(request, "channels/follow_ups/detail.html", context, status=status)


@require_GET
@tenant_staff_required
@permission_required("channels.view_followup", raise_exception=True)
def follow_up_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, selectors.get_follow_up_or_404(request.user, pk))


@require_POST
@tenant_staff_required
@permission_required("channels.change_followup", raise_exception=True)
def follow_up_complete(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the outcome and log the contact; a refusal shows the follow-up with the form."""
    staff = request.user
    follow_up = selectors.get_follow_up_or_404(staff, pk)
    form = FollowUpCompleteForm(request.POST)
    if form.is_valid():
        try:
            follow_ups.follow_up_complete(follow_up=follow_up, actor=staff, **form.cleaned_data)
        except DomainError as error:
            add_to_form(form, error)
        else:
            messages.success(request, _("Follow-up done: the contact is on the timeline."))
            return _back(request, "channels:follow_ups")
    return _detail(request, follow_up, complete_form=form, status=400)


@require_POST
@tenant_staff_required
@permission_required("channels.change_followup", raise_exception=True)
def follow_up_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    staff = request.user
    follow_up = selectors.get_follow_up_or_404(staff, pk)
    form = FollowUpCancelForm(request.POST)
    if form.is_valid():
        try:
            follow_ups.follow_up_cancel(
                follow_up=follow_up, reason=form.cleaned_data["reason"], actor=staff
            )
        except DomainError as error:
            add_to_form(form, error)
        else:
            messages.success(request, _("Follow-up cancelled."))
            return redirect("channels:follow_up_detail", pk=follow_up.pk)
    return _detail(request, follow_up, cancel_form=form, status=400)


@require_GET
@tenant_staff_required
@permission_required("channels.reassign_followup", raise_exception=True)
def team(request: HttpRequest) -> HttpResponse:
    """The team's open and overdue follow-ups per owner, the completion rate over 30 days,
    and the overdue ones to give to someone else."""
    staff = request.user
    colleagues = FollowUpReassignForm(staff=staff).fields["to_staff"].queryset
    context = {
        "members": selectors.team_follow_ups(staff),
        "overdue": selectors.team_overdue(staff),
        # Read once for every row's select, not once per row.
        "reassign_choices": [(colleague.pk, manager_label(colleague)) for colleague in colleagues],
        "days": selectors.COMPLETION_DAYS,
    }
    return render(request, "channels/follow_ups/team.html", context)


@require_POST
@tenant_staff_required
@permission_required("channels.reassign_followup", raise_exception=True)
def follow_up_reassign(request: HttpRequest, pk: int) -> HttpResponse:
    staff = request.user
    follow_up = selectors.get_follow_up_or_404(staff, pk)
    form = FollowUpReassignForm(request.POST, staff=staff)
    if form.has_error("to_staff", "invalid_choice"):
        raise Http404  # a colleague out of scope, or of another bank: as if unknown
    if form.is_valid():
        try:
            follow_ups.follow_up_reassign(
                follow_up=follow_up, to_staff=form.cleaned_data["to_staff"], actor=staff
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Follow-up reassigned."))
    else:
        messages.error(request, _("Choose a colleague to give the follow-up to."))
    return redirect("channels:follow_ups_team")
