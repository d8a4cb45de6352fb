"""Forms of the marketing pages: they read the input; the services decide."""

from typing import Any

from django import forms
from django.db import models
from django.utils.translation import gettext_lazy as _

from crm.forms import MarksInvalidFields, bootstrap
from customers.models import Customer
from marketing.models import ManualTier, TierRuleSet
from marketing.services import MANUAL_TIERS, MONTHS_LIMIT


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
