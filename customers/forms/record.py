"""The customer record's form: what staff type when creating or editing a customer."""

from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from crm.forms import MarksInvalidFields, bootstrap
from crm.tenancy.models import Branch, Staff
from crm.tenancy.roles import Role
from customers.forms.managers import AssignedManagerField, ManagerLookupForm
from customers.models import Customer

# The page shows the fields of the chosen type only (customer_form.js disables the others'
# inputs, so they are not sent); the rules refuse what does not fit the type.
RECORD_FIELDS = (
    "gender",
    "birth_date",
    "occupation",
    "income_band",
    "address",
    "industry",
    "company_size",
    "legal_representative",
)


def _model_field(name: str, **kwargs) -> forms.Field:
    return Customer._meta.get_field(name).formfield(**kwargs)


class CustomerForm(MarksInvalidFields, forms.Form):
    """Create or edit a customer; the service checks the record's rules and stores it.

    On edit the ID and phone fields start empty (their clear values are never put into a
    page without a logged reveal): left empty, the stored numbers stay.
    """

    kind = forms.ChoiceField(
        label=_("Type"),
        choices=Customer.Kind.choices,
        initial=Customer.Kind.INDIVIDUAL,
        widget=forms.RadioSelect,
    )
    number = _model_field("number", help_text=_("The customer number of core banking."))
    name = _model_field("name")
    status = forms.ChoiceField(
        label=_("Status"), choices=Customer.Status.choices, initial=Customer.Status.ACTIVE
    )
    id_type = forms.ChoiceField(
        label=_("ID document"),
        choices=[("", "---------"), *Customer.IdType.choices],
        required=False,
        initial=Customer.IdType.RESIDENT_ID,
    )
    id_number = forms.CharField(label=_("ID number"), max_length=40, required=False)
    phone = forms.CharField(label=_("Mobile phone number"), max_length=20, required=False)
    gender = _model_field("gender")
    birth_date = _model_field(
        "birth_date", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    occupation = _model_field("occupation")
    income_band = _model_field("income_band")
    address = _model_field("address")
    industry = _model_field("industry")
    company_size = _model_field("company_size")
    legal_representative = _model_field("legal_representative")
    home_branch = forms.ModelChoiceField(label=_("Home branch"), queryset=Branch.objects.none())
    relationship_manager = AssignedManagerField(
        label=_("Relationship manager"),
        purpose=ManagerLookupForm.NEW_CUSTOMER,
        required=False,
        help_text=_("Left empty, the customer is in the public pool."),
    )

    def __init__(self, *args, staff: Staff, customer: Customer | None = None, **kwargs):
        self.customer = customer
        if customer is not None:
            kwargs.setdefault(
                "initial",
                {
                    **forms.model_to_dict(
                        customer,
                        fields=[
                            "kind",
                            "number",
                            "name",
                            "status",
                            "id_type",
                            *RECORD_FIELDS,
                            "home_branch",
                        ],
                    ),
                    "relationship_manager": customer.relationship_manager,
                },
            )
        else:
            initial = {"home_branch": staff.branch_id}
            if staff.has_role(Role.RELATIONSHIP_MANAGER):
                initial["relationship_manager"] = staff
            kwargs.setdefault("initial", initial)
        super().__init__(*args, **kwargs)
        current_branch = customer.home_branch_id if customer else None
        branches = Branch.objects.filter(
            Q(pk__in=Branch.objects.in_scope(staff).active().values("pk")) | Q(pk=current_branch)
        ).order_by("path")
        self.fields["home_branch"].queryset = branches
        if customer is not None and not staff.has_perm("customers.hand_over_customers"):
            # Changing the manager of an existing customer is a handover: not for everyone.
            del self.fields["relationship_manager"]
        else:
            manager = self.fields["relationship_manager"]
            manager.staff = staff
            if customer is not None:
                manager.purpose = ManagerLookupForm.SUCCESSOR
                # Saving other changes keeps the manager, even one deactivated since.
                manager.current = customer.relationship_manager
        if customer is not None:
            self.fields["id_number"].help_text = _("Leave empty to keep %(masked)s.") % {
                "masked": customer.id_number_masked or _("no number")
            }
            self.fields["phone"].help_text = _("Leave empty to keep %(masked)s.") % {
                "masked": customer.phone_masked or _("no number")
            }
        else:
            self.fields["number"].widget.attrs["autofocus"] = True
        bootstrap(self)

    def clean_number(self) -> str:
        return self.cleaned_data["number"].strip()

    def service_arguments(self) -> dict:
        """Keyword arguments of ``customer_create``/``customer_update`` from the cleaned form.

        The record's rules (``customers.rules``) are the service's to apply: the form only
        reads what was typed. On edit, empty identity fields mean "keep": they are passed
        as None.
        """
        cleaned = self.cleaned_data
        arguments = {
            name: cleaned[name]
            for name in ("kind", "number", "name", "status", *RECORD_FIELDS, "home_branch")
        }
        if "relationship_manager" in self.fields:
            arguments["relationship_manager"] = cleaned.get("relationship_manager")
        editing = self.customer is not None
        arguments["id_type"] = cleaned["id_type"]
        for name in ("id_number", "phone"):
            value = cleaned[name].strip()
            arguments[name] = None if editing and not value else value
        return arguments
