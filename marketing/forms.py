"""Forms of marketing's pages: the tier service policy and the coverage reports' filters."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from channels.models import Channel
from crm.forms import MarksInvalidFields, bootstrap
from crm.paging import InvalidCursor
from customers import selectors as customer_selectors
from customers.models import Customer
from marketing.models import MAX_BOOK_SIZE, MAX_CADENCE_DAYS
from marketing.selectors import ServicePolicy
from marketing.services import MAX_PRIVILEGES

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
