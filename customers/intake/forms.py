from django import forms
from django.utils.translation import gettext_lazy as _

from crm.sheets import MAX_FILE_BYTES
from crm.uploads.forms import UploadField
from customers.intake.models import CustomerExport, ImportJob


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("The file holds"),
        choices=ImportJob.Kind.choices,
        initial=ImportJob.Kind.CUSTOMERS,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    file = UploadField(
        label=_("File (CSV or XLSX)"),
        max_bytes=MAX_FILE_BYTES,
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx", "class": "form-control"}),
    )


class FileFormatForm(forms.Form):
    """The ``format`` of a download, from the query string."""

    format = forms.ChoiceField(
        choices=CustomerExport.Format.choices, required=False, initial=CustomerExport.Format.XLSX
    )

    def clean_format(self) -> str:
        return self.cleaned_data["format"] or CustomerExport.Format.XLSX


class PersonalDataCopyForm(forms.Form):
    FORMATS = [("xlsx", _("Excel workbook (XLSX)")), ("json", _("JSON"))]

    reason = forms.CharField(
        label=_("Reason"),
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}),
        help_text=_("For example: the customer's written request of today, at the counter."),
    )
    file_format = forms.ChoiceField(
        label=_("Format"),
        choices=FORMATS,
        initial="xlsx",
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )

    def clean_reason(self) -> str:
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise forms.ValidationError(_("Give the reason for this copy."))
        return reason
