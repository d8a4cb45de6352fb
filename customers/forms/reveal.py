"""Why someone wants to see an identity number in clear."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


class RevealForm(forms.Form):
    """Why someone wants to see an ID or phone number in clear (written to the access log)."""

    field = forms.ChoiceField(
        choices=[("id_number", _("ID number")), ("phone", _("Mobile phone number"))],
        widget=forms.HiddenInput,
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        error_messages={"required": _("Give the reason for viewing this value.")},
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise ValidationError(_("Give the reason for viewing this value."), code="required")
        return reason
