from datetime import datetime, time
from typing import Any

from django import forms
from django.contrib.auth.decorators import permission_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.audit.selectors import recent_audit_entries
from crm.http import StaffRequest
from crm.tenancy.decorators import tenant_staff_required

PAGE_SIZE = 50


class AuditFilterForm(forms.Form):
    category = forms.ChoiceField(
        label=_("Show"),
        required=False,
        choices=[
            ("", _("Everything")),
            ("change", _("Changes")),
            ("login", _("Logins")),
            ("access", _("Personal data viewed")),
            ("feed", _("Partner feeds")),
        ],
    )
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput({"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput({"type": "date"})
    )
    before = forms.DateTimeField(required=False, widget=forms.HiddenInput)

    def clean(self) -> dict[str, Any] | None:
        cleaned = super().clean()
        if (
            cleaned
            and cleaned.get("date_from")
            and cleaned.get("date_to")
            and cleaned["date_from"] > cleaned["date_to"]
        ):
            raise forms.ValidationError(_("The start date is after the end date."))
        return cleaned


@tenant_staff_required
@permission_required("audit.view_audit_trail", raise_exception=True)
def trail(request: StaffRequest) -> HttpResponse:
    """The tenant's audit trail for its auditors: who changed what, who logged in."""
    form = AuditFilterForm(request.GET or None)
    entries = []
    next_before = None
    if form.is_bound and not form.is_valid():
        return render(request, "audit/trail.html", {"form": form, "entries": []}, status=400)
    filters = form.cleaned_data if form.is_bound else {}
    tz = timezone.get_current_timezone()
    after = before = None
    if filters.get("date_from"):
        after = datetime.combine(filters["date_from"], time.min, tzinfo=tz)
    if filters.get("date_to"):
        before = datetime.combine(filters["date_to"], time.max, tzinfo=tz)
    if filters.get("before"):
        before = min(filter(None, [before, filters["before"]]))
    assert request.user.tenant is not None  # tenant_staff_required
    entries = recent_audit_entries(
        tenant=request.user.tenant,
        limit=PAGE_SIZE + 1,
        category=filters.get("category", ""),
        before=before,
        after=after,
    )
    if len(entries) > PAGE_SIZE:
        entries = entries[:PAGE_SIZE]
        next_before = entries[-1].occurred_at
    query = request.GET.copy()
    query.pop("before", None)
    return render(
        request,
        "audit/trail.html",
        {"form": form, "entries": entries, "next_before": next_before, "query": query.urlencode()},
    )
