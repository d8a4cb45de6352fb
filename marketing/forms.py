"""Forms of the marketing pages: they read the input; the services decide."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.db import models
from django.http import QueryDict
from django.utils.translation import gettext_lazy as _

from channels.models import Channel
from crm.forms import MarksInvalidFields, bootstrap, branch_label
from crm.paging import InvalidCursor
from crm.tenancy.models import Branch
from customers import selectors as customer_selectors
from customers.models import Customer
from marketing.models import MAX_BOOK_SIZE, MAX_CADENCE_DAYS, ManualTier, TierRuleSet
from marketing.selectors import ServicePolicy
from marketing.services import MANUAL_TIERS, MAX_PRIVILEGES, MONTHS_LIMIT


def _label(model: type[models.Model], name: str) -> Any:
    return model._meta.get_field(name).verbose_name


def _help(model: type[models.Model], name: str) -> Any:
    return model._meta.get_field(name).help_text


def _months(name: str, low: int) -> forms.IntegerField:
    return forms.IntegerField(
        label=_label(TierRuleSet, name),
        help_text=_help(TierRuleSet, name),
        min_value=low,
        max_value=MONTHS_LIMIT,
    )


class TierRulesForm(MarksInvalidFields, forms.Form):
    """A new version of the tier rules for one kind of customer."""

    kind = forms.ChoiceField(label=_("Customers"), choices=Customer.Kind.choices)
    effective_from = forms.RegexField(
        label=_label(TierRuleSet, "effective_from"),
        help_text=_("YYYY-MM: this month or later. Earlier months keep their rules."),
        regex=r"^\d{4}-\d{2}$",
        error_messages={"invalid": _("Enter a month as YYYY-MM.")},
        widget=forms.TextInput({"type": "month", "placeholder": "YYYY-MM"}),
    )
    new_customer_months = _months("new_customer_months", 0)
    bz_months = _months("bz_months", 1)
    mvc_top_percent = forms.DecimalField(
        label=_label(TierRuleSet, "mvc_top_percent"),
        help_text=_help(TierRuleSet, "mvc_top_percent"),
        required=False,
        min_value=0,
        max_digits=5,
        decimal_places=2,
    )
    mvc_min_contribution = forms.DecimalField(
        label=_label(TierRuleSet, "mvc_min_contribution"),
        help_text=_("Optional. A customer at or above it is MVC whatever the top share says."),
        required=False,
        min_value=0,
        max_digits=16,
        decimal_places=2,
    )
    mgc_min_potential = forms.IntegerField(
        label=_label(TierRuleSet, "mgc_min_potential"), min_value=0, max_value=100
    )
    downgrade_months = _months("downgrade_months", 1)
    note = forms.CharField(
        label=_("Why the change"),
        max_length=300,
        required=False,
        widget=forms.Textarea({"rows": 2}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bootstrap(self)

    def proposal(self) -> dict[str, Any]:
        """The cleaned input as the proposal's payload (JSON: numbers as text)."""
        data = dict(self.cleaned_data)
        for name in ("mvc_top_percent", "mvc_min_contribution"):
            data[name] = str(data[name]) if data[name] is not None else None
        return data


class ManualTierForm(MarksInvalidFields, forms.Form):
    customer_number = forms.CharField(label=_("Customer number"), max_length=32)
    tier = forms.ChoiceField(
        label=_label(ManualTier, "tier"),
        choices=[(tier, Customer.Tier(tier).label) for tier in MANUAL_TIERS],
    )
    reason = forms.CharField(
        label=_label(ManualTier, "reason"), max_length=300, widget=forms.Textarea({"rows": 2})
    )
    expires_on = forms.DateField(
        label=_label(ManualTier, "expires_on"),
        help_text=_("The last day it applies; a year at most."),
        widget=forms.DateInput({"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bootstrap(self)


# The report lists newest customers first, the customer list's default order and cursor.
REPORT_SORT = "newest"


class ChannelChoices(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Channel) -> str:
        return obj.name


class ServicePolicyForm(MarksInvalidFields, forms.Form):
    """One tier's policy; the privileges one per line, in the order the bank lists them."""

    contact_cadence_days = forms.IntegerField(
        label=_("Contact every (days)"),
        required=False,
        min_value=1,
        max_value=MAX_CADENCE_DAYS,
        help_text=_("Days between planned contacts with each customer; empty for no cadence."),
    )
    requires_relationship_manager = forms.BooleanField(
        label=_("Customers of this tier must have a relationship manager"), required=False
    )
    max_book_size = forms.IntegerField(
        label=_("Most customers of this tier per relationship manager"),
        required=False,
        min_value=1,
        max_value=MAX_BOOK_SIZE,
        help_text=_("Empty for no cap."),
    )
    privileges = forms.CharField(
        label=_("Service privileges"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=MAX_PRIVILEGES * 102,
        help_text=_("One per line, in the order staff should read them."),
    )
    suggested_channels = ChannelChoices(
        label=_("Suggested electronic channels"),
        required=False,
        queryset=Channel.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Where staff steer customers of this tier (below-zero customers)."),
    )

    def __init__(self, *args: Any, policy: ServicePolicy, **kwargs: Any) -> None:
        kwargs.setdefault(
            "initial",
            {
                "contact_cadence_days": policy.contact_cadence_days,
                "requires_relationship_manager": policy.requires_relationship_manager,
                "max_book_size": policy.max_book_size,
                "privileges": "\n".join(policy.privileges),
                "suggested_channels": [channel.id for channel in policy.suggested_channels],
            },
        )
        super().__init__(*args, **kwargs)
        self.shows_channels = policy.tier == Customer.Tier.BZ or bool(policy.suggested_channels)
        if self.shows_channels:
            self.fields["suggested_channels"].queryset = Channel.objects.filter(
                is_electronic=True, is_active=True
            ).order_by("code")
        else:
            del self.fields["suggested_channels"]
        bootstrap(self)

    def privilege_names(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["privileges"].splitlines()]

    def channel_ids(self) -> list[int]:
        return [channel.pk for channel in self.cleaned_data.get("suggested_channels") or []]


class CoverageFilterForm(forms.Form):
    """The report's tier (one of those that require a manager) and its page, from the query."""

    tier = forms.ChoiceField(label=_("Tier"), required=False)
    after = forms.CharField(required=False, max_length=400, widget=forms.HiddenInput)
    before = forms.CharField(required=False, max_length=400, widget=forms.HiddenInput)

    def __init__(self, *args: Any, tiers: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tier"].choices = [("", _("Every tier that requires one")), *tiers]
        bootstrap(self)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name in ("after", "before"):
            if cleaned.get(name):
                try:
                    customer_selectors.decode_cursor(REPORT_SORT, cleaned[name])
                except InvalidCursor:
                    raise forms.ValidationError(
                        _("This page link is out of date: start again from the first page."),
                        code="cursor",
                    ) from None
        return cleaned

    def tiers(self, required: list[str]) -> list[str]:
        """The tiers to list: the one chosen, or every tier that requires a manager."""
        chosen = self.cleaned_data.get("tier")
        return [chosen] if chosen else required


class TierReportFilterForm(MarksInvalidFields, forms.Form):
    """The month and branch of the tier reports, from the query string.

    The month is one the bank scored ("2026-05"), the latest by default; the branch one of
    those the staff member sees (its subtree), all of them by default.
    """

    month = forms.ChoiceField(
        label=_("Month"),
        error_messages={
            "invalid_choice": _("%(value)s is not a scored month: choose one from the list.")
        },
    )
    branch = forms.TypedChoiceField(label=_("Branch"), required=False, coerce=int, empty_value=None)

    def __init__(self, query: QueryDict, *, months: list[date], branches: list[Branch]):
        data = query.copy()
        if not data.get("month") and months:
            data["month"] = f"{months[0]:%Y-%m}"
        super().__init__(data)
        self.months = {f"{month:%Y-%m}": month for month in months}
        self.fields["month"].choices = [(key, key) for key in self.months]
        self.branches = {branch.pk: branch for branch in branches}
        top_depth = min((branch.depth for branch in branches), default=0)
        self.fields["branch"].choices = [
            ("", _("All my branches")),
            *[(branch.pk, branch_label(branch, top_depth)) for branch in branches],
        ]
        bootstrap(self)

    @property
    def selected_month(self) -> date:
        return self.months[self.cleaned_data["month"]]

    @property
    def selected_branch(self) -> Branch | None:
        branch_id = self.cleaned_data.get("branch")
        return self.branches.get(branch_id) if branch_id is not None else None
