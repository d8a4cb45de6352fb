"""Handing customers over: those ticked in the list, or a relationship manager's book."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from crm.forms import MarksInvalidFields, bootstrap
from crm.tenancy.models import Staff
from customers.forms.managers import (
    AssignedManagerField,
    ManagerLookupForm,
    RelationshipManagerField,
)


class IdListField(forms.Field):
    """Several ids sent under one name (checkboxes): cleaned to a list of ints."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list[int]:
        if not value:
            return []
        values = value if isinstance(value, list | tuple) else [value]
        try:
            return sorted({int(item) for item in values})
        except (TypeError, ValueError):
            raise ValidationError(_("Choose customers from the list."), code="invalid") from None


class SelectedHandoverForm(forms.Form):
    """Hand the customers ticked in the list to another relationship manager."""

    customer = IdListField(
        error_messages={"required": _("Tick the customers to hand over.")},
    )
    relationship_manager = RelationshipManagerField(
        label=_("Hand over to"),
        purpose=ManagerLookupForm.HANDOVER,
        error_messages={"required": _("Choose the relationship manager to hand over to.")},
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        error_messages={"required": _("Give a reason for the handover.")},
    )

    def __init__(self, *args, staff: Staff, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["relationship_manager"].staff = staff
        bootstrap(self)


class BookHandoverForm(MarksInvalidFields, forms.Form):
    """Hand a relationship manager's whole book to another one or to the public pool."""

    # A departing manager may already be deactivated: their book still needs a home.
    from_manager = RelationshipManagerField(
        label=_("From relationship manager"), purpose=ManagerLookupForm.DEPARTING
    )
    to_manager = AssignedManagerField(
        label=_("To"),
        purpose=ManagerLookupForm.SUCCESSOR,
        required=False,
        help_text=_("Left empty, the book goes to the public pool."),
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        error_messages={"required": _("Give a reason for the handover.")},
    )
    # How many customers the person confirmed moving: the handover runs only when it is
    # still the number that moves (the confirmation step shows it first).
    confirmed_count = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)

    def __init__(self, *args, staff: Staff, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["from_manager"].staff = staff
        self.fields["to_manager"].staff = staff
        bootstrap(self)

    def clean(self):
        cleaned = super().clean()
        source, target = cleaned.get("from_manager"), cleaned.get("to_manager")
        if source is not None and target is not None and source.pk == target.pk:
            raise ValidationError(
                {"to_manager": _("Choose a different relationship manager.")}, code="same"
            )
        return cleaned
