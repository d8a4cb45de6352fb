"""Adding, correcting and ending a customer's relationships on the customer page.

The forms read what the person typed; whether the relationship may be (rules 1–4 of the
relationship rules in ``customers.rules``) is the service's to decide.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm.forms import MarksInvalidFields, bootstrap
from crm.tenancy.models import Staff
from customers import rules
from customers.models import Customer


class RoleField(forms.ChoiceField):
    """What the other customer is to this one: each kind and its inverse ("Child")."""

    def __init__(self, **kwargs):
        super().__init__(
            choices=[("", "---------"), *rules.relationship_roles()],
            label=_("The related customer is this customer's"),
            error_messages={"required": _("Choose how the customers are related.")},
            **kwargs,
        )


class RelationshipAddForm(MarksInvalidFields, forms.Form):
    other = forms.CharField(
        label=_("Customer number of the related customer"),
        max_length=32,
        error_messages={"required": _("Enter the related customer's number, or search for them.")},
    )
    role = RoleField()
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, staff: Staff, customer: Customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.staff, self.customer = staff, customer
        bootstrap(self)

    def clean_other(self) -> Customer:
        number = self.cleaned_data["other"].strip()
        other = Customer.objects.in_scope(self.staff).filter(number=number).first()
        if other is None:
            raise ValidationError(
                _("No customer of your branches has this number."), code="not_found"
            )
        return other


class RelationshipCorrectForm(MarksInvalidFields, forms.Form):
    role = RoleField()
    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)


class RelationshipEndForm(MarksInvalidFields, forms.Form):
    ended_on = forms.DateField(
        label=_("Ended on"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"required": _("Enter the date the relationship ended.")},
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("initial", {"ended_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        bootstrap(self)
