"""The bank's scoring runs, and a month scored again at an administrator's request."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from crm.domain import DomainError, add_to_form
from crm.htmx import wants_fragment
from crm.http import StaffRequest
from crm.tenancy.decorators import tenant_staff_required
from marketing import selectors, services
from marketing.forms import ScoringRerunForm

# Re-running a month rewrites the bank's tiers: the bank's administrators only, as for
# its tier rules (the role holds it; see marketing's migration 0004).
PERMISSION = "marketing.add_scoringrun"


@tenant_staff_required
@permission_required(PERMISSION, raise_exception=True)
def scoring_runs(request: StaffRequest) -> HttpResponse:
    """Every scoring run of the bank, and a form to score a month again."""
    staff = request.user
    form = ScoringRerunForm(request.POST or None, months=services.rerunnable_months())
    if request.method == "POST" and form.is_valid():
        try:
            run = services.scoring_rerun_request(
                month=form.cleaned_data["month"],
                actor=staff,
                reason=form.cleaned_data["reason"],
            )
        except DomainError as error:
            add_to_form(form, error)
        else:
            messages.success(request, _("The month is queued to be scored again."))
            return redirect("marketing:scoring_run", run.pk)
    context = {"form": form, "runs": selectors.scoring_runs_for(staff)}
    status = 400 if form.errors else 200
    return render(request, "marketing/scoring_runs.html", context, status=status)


@never_cache
@tenant_staff_required
@permission_required(PERMISSION, raise_exception=True)
def scoring_run(request: StaffRequest, pk: int) -> HttpResponse:
    """One run and its progress; its status part alone when the page polls it."""
    run = selectors.get_scoring_run_or_404(request.user, pk)
    template = "marketing/scoring_run.html"
    if wants_fragment(request):
        template += "#progress"
    return render(request, template, {"run": run})
