"""The filter of the channel analytics page: days, branch and grouping, from the query string."""

from __future__ import annotations

from datetime import date, timedelta

from django import forms
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from channels.analytics.figures import Grouping
from crm.forms import MarksInvalidFields, bootstrap, branch_label
from crm.tenancy.models import Branch

DEFAULT_DAYS = 30
MAX_DAYS = 731  # two years of days: enough to compare a year with the one before


class AnalyticsFilterForm(MarksInvalidFields, forms.Form):
    date_from = forms.DateField(label=_("From"), widget=forms.DateInput({"type": "date"}))
    date_to = forms.DateField(label=_("To"), widget=forms.DateInput({"type": "date"}))
    branch = forms.TypedChoiceField(label=_("Branch"), required=False, coerce=int, empty_value=None)
    grouping = forms.ChoiceField(
        label=_("Group by"),
        choices=[
            (Grouping.DAY, _("Day")),
            (Grouping.WEEK, _("Week")),
            (Grouping.MONTH, _("Month")),
        ],
    )

    def __init__(self, query: QueryDict, *, branches: list[Branch], last_day: date):
        """``last_day`` is the last day the roll-up covers (yesterday, in the bank's time)."""
        data = query.copy()
        defaults = {
            "date_from": (last_day - timedelta(days=DEFAULT_DAYS - 1)).isoformat(),
            "date_to": last_day.isoformat(),
            "grouping": Grouping.DAY,
        }
        for name, value in defaults.items():
            if not data.get(name):
                data[name] = value
        super().__init__(data)
        self.branches = {branch.pk: branch for branch in branches}
        top_depth = min((branch.depth for branch in branches), default=0)
        self.fields["branch"].choices = [
            ("", _("All my branches")),
            *[(branch.pk, branch_label(branch, top_depth)) for branch in branches],
        ]
        bootstrap(self)

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("date_from"), cleaned.get("date_to")
        if first and last:
            if first > last:
                raise forms.ValidationError(_("The start date is after the end date."))
            if (last - first).days >= MAX_DAYS:
                raise forms.ValidationError(_("Choose at most %(days)d days.") % {"days": MAX_DAYS})
        return cleaned

    @property
    def selected_branch(self) -> Branch | None:
        branch_id = self.cleaned_data.get("branch")
        return self.branches.get(branch_id) if branch_id is not None else None
