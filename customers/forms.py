"""Forms of the customer pages: list filters, the customer record, handovers, reveals."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.forms import BoundField
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from crm.forms import (
    ManyOptionsSelect,
    MarksInvalidFields,
    bootstrap,
    branch_label,
    manager_label,
)
from crm.tenancy.models import Branch, Staff
from crm.tenancy.roles import Role
from customers import list_columns, selectors
from customers.models import Customer, to_fen
from customers.validators import (
    resident_id_birth_date,
    resident_id_gender,
    validate_id_number,
    validate_mobile,
    validate_resident_id_matches,
)

MAX_AUM = Decimal("999999999999.99")


# --- choosing a relationship manager ----------------------------------------------------

POOL = "pool"  # what a manager lookup sends for "nobody": the public pool
HAND_OVER = "customers.hand_over_customers"


@dataclass(frozen=True)
class ManagerChoice:
    """What a manager lookup shows and sends for the manager chosen (or nobody)."""

    value: str = ""
    label: str = ""

    @classmethod
    def of(cls, chosen: Staff | str | None) -> ManagerChoice:
        if chosen is None:
            return cls()
        if chosen == POOL:
            return cls(POOL, _("Nobody (public pool)"))
        return cls(str(chosen.pk), manager_label(chosen))


@dataclass(frozen=True)
class LookupPurpose:
    """Which relationship managers a manager lookup offers, and who may ask for them."""

    include_deactivated: bool
    pool: bool  # also offers "Nobody (public pool)"
    permission: str | None = None  # needed on top of seeing customers


class ManagerLookupForm(forms.Form):
    """What a manager lookup asks for: the text typed, and what the manager is wanted for.

    A form field filled by a lookup accepts what the lookup of its purpose offers
    (``RelationshipManagerField``).
    """

    FILTER = "filter"  # finding a book: deactivated managers too, and the public pool
    HANDOVER = "handover"  # giving customers to someone: active managers only
    DEPARTING = "departing"  # whose whole book is handed over: deactivated managers too
    SUCCESSOR = "successor"  # who takes customers over: active managers, or the public pool
    NEW_CUSTOMER = "new_customer"  # who looks after a new customer: the same, when creating one

    PURPOSES = {
        FILTER: LookupPurpose(include_deactivated=True, pool=True),
        HANDOVER: LookupPurpose(include_deactivated=False, pool=False, permission=HAND_OVER),
        DEPARTING: LookupPurpose(include_deactivated=True, pool=False, permission=HAND_OVER),
        SUCCESSOR: LookupPurpose(include_deactivated=False, pool=True, permission=HAND_OVER),
        NEW_CUSTOMER: LookupPurpose(
            include_deactivated=False, pool=True, permission="customers.add_customer"
        ),
    }

    q = forms.CharField(required=False, max_length=100)
    purpose = forms.ChoiceField(required=False, choices=[(key, key) for key in PURPOSES])

    def clean_purpose(self) -> LookupPurpose:
        return self.PURPOSES[self.cleaned_data["purpose"] or self.FILTER]


class ManagerLookupBoundField(BoundField):
    """A field filled by a manager lookup, as ``customers/_field.html`` shows it."""

    @property
    def purpose(self) -> str:
        return self.field.purpose

    @property
    def id_for_label(self) -> str:
        return f"{self.auto_id}-lookup"  # the search box: the id goes in a hidden input

    @cached_property
    def choice(self) -> ManagerChoice:
        """The manager to show in the lookup: the one sent, or else the initial one.

        One the field refuses (not offered, or missing) is not kept; one the form refuses for
        another reason (the same manager on both sides of a handover) is shown again.
        """
        if not self.form.is_bound:
            return self.field.choice_of(self.initial)
        if self.name not in self.form.errors:
            return self.field.choice_of(self.form.cleaned_data.get(self.name))
        try:
            return self.field.choice_of(self.field.clean(self.data))
        except ValidationError:
            return ManagerChoice()


class RelationshipManagerField(forms.Field):
    """A relationship manager in the staff member's scope, by the id a manager lookup sends.

    The lookup (``customers/_manager_lookup.html``) finds managers by name as one types, so
    no page lists every manager of the bank; this field checks the id it puts in its hidden
    input against what the lookup of the same ``purpose`` offers: deactivated managers or
    not, and ``"pool"`` for nobody (the public pool) where it offers the pool. ``current``
    (a customer's manager) is accepted as it is, even when no longer offered.
    """

    widget = forms.HiddenInput
    bound_field_class = ManagerLookupBoundField
    default_error_messages = {
        # Staff never type an id: one refused was tampered with or is no longer offered
        # (deactivated, moved away). The message names no id.
        "invalid_choice": _(
            "This relationship manager cannot be chosen here: choose one from the list."
        )
    }

    def __init__(
        self,
        *,
        purpose: str,
        staff: Staff | None = None,
        current: Staff | None = None,
        **kwargs,
    ):
        self.purpose = purpose
        self.staff = staff
        self.current = current
        super().__init__(**kwargs)

    def to_python(self, value) -> Staff | str | None:
        value = str(value or "").strip()
        if not value:
            return None
        offered = ManagerLookupForm.PURPOSES[self.purpose]
        if offered.pool and value == POOL:
            return POOL
        if self.current is not None and value == str(self.current.pk):
            return self.current
        manager = None
        if value.isascii() and value.isdigit() and len(value) <= 18:  # a bigint
            manager = selectors.relationship_manager_in_scope(
                self.staff, int(value), include_deactivated=offered.include_deactivated
            )
        if manager is None:
            raise ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": value},
            )
        return manager

    def choice_of(self, chosen: Staff | str | None) -> ManagerChoice:
        """What the lookup shows for a value of this field."""
        return ManagerChoice.of(chosen)


class AssignedManagerField(RelationshipManagerField):
    """The relationship manager customers go to, or None: nobody, the public pool.

    Left empty or ``"pool"``, it is nobody; the lookup then says so ("Nobody (public pool)").
    """

    def to_python(self, value) -> Staff | None:
        manager = super().to_python(value)
        return None if manager == POOL else manager

    def choice_of(self, chosen: Staff | str | None) -> ManagerChoice:
        return ManagerChoice.of(POOL if chosen is None else chosen)


# --- the list ---------------------------------------------------------------------------


class CustomerFilterForm(forms.Form):
    def clean(self):
        cleaned = super().clean()
        low, high = cleaned.get("aum_min"), cleaned.get("aum_max")
        if low is not None and high is not None and low > high:
            raise ValidationError(_("The lowest AUM is above the highest."))
        return cleaned


class RelationshipManagerFilter(django_filters.Filter):
    field_class = RelationshipManagerField

    def filter(self, queryset, value):
        if value is None:
            return queryset
        if value == POOL:
            return queryset.filter(relationship_manager__isnull=True)
        return queryset.filter(relationship_manager=value)


class CustomerFilter(django_filters.FilterSet):
    """The list's search box and filters; validates the query string like any form."""

    q = django_filters.CharFilter(label=_("Search"), method="filter_search", max_length=100)
    kind = django_filters.ChoiceFilter(
        label=_("Type"), choices=Customer.Kind.choices, empty_label=_("All types")
    )
    branch = django_filters.ChoiceFilter(
        label=_("Branch"),
        method="filter_branch",
        empty_label=_("All my branches"),
        widget=ManyOptionsSelect,
    )
    # Departed managers stay findable: their book is what one looks for then.
    relationship_manager = RelationshipManagerFilter(
        label=_("Relationship manager"), purpose=ManagerLookupForm.FILTER
    )
    tier = django_filters.ChoiceFilter(
        label=_("Tier"), choices=Customer.Tier.choices, empty_label=_("All tiers")
    )
    risk_grade = django_filters.ChoiceFilter(
        label=_("Risk grade"), choices=Customer.RiskGrade.choices, empty_label=_("All grades")
    )
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=Customer.Status.choices, empty_label=_("All statuses")
    )
    aum_min = django_filters.NumberFilter(
        label=_("AUM from (CNY)"),
        method="filter_aum",
        min_value=0,
        max_value=MAX_AUM,
        decimal_places=2,
    )
    aum_max = django_filters.NumberFilter(
        label=_("AUM up to (CNY)"),
        method="filter_aum",
        min_value=0,
        max_value=MAX_AUM,
        decimal_places=2,
    )

    class Meta:
        model = Customer
        fields: list[str] = []
        form = CustomerFilterForm

    def __init__(self, data, *, request, branches):
        # The customers to filter are read in filter_queryset, once the branch is known.
        super().__init__(data, Customer.objects.none(), request=request)
        self.branches = branches
        top = min((branch.depth for branch in branches), default=0)
        self.filters["branch"].extra["choices"] = [
            (str(branch.pk), branch_label(branch, top)) for branch in branches
        ]
        self.filters["relationship_manager"].extra["staff"] = request.user
        # Filters other apps add to the list (customers.list_columns).
        for name, extra in list_columns.filters_for(request.user).items():
            extra.field_name, extra.parent = name, self
            self.filters[name] = extra

    @property
    def form(self):
        form = super().form
        if not getattr(form, "_bootstrapped", False):
            bootstrap(form)
            form.fields["q"].widget.attrs.update(
                placeholder=_("Name, customer number, mobile or ID number"),
                autocomplete="off",
                type="search",
            )
            form._bootstrapped = True
        return form

    def filter_queryset(self, queryset):
        """Filter the customers in the staff member's scope, narrowed to the chosen branch.

        The branch narrows the scope's own ``home_branch_id IN (...)`` rather than adding a
        second one, which would make PostgreSQL expect a few hundred rows where there are
        thousands and read a whole subtree through the wrong index.
        """
        branch = self.form.cleaned_data.get("branch")
        # The subtree's ids come from the branches already loaded for the choices.
        branch_ids = selectors.subtree_ids(self.branches, int(branch)) if branch else None
        customers = selectors.customers_for_list(self.request.user, branch_ids=branch_ids)
        return super().filter_queryset(customers)

    def filter_search(self, queryset, name, value):
        return selectors.search_customers(queryset, value, tenant_id=self.request.user.tenant_id)

    def filter_branch(self, queryset, name, value):
        return queryset  # narrows the scope in filter_queryset

    def filter_aum(self, queryset, name, value):
        lookup = "gte" if name == "aum_min" else "lte"
        return queryset.filter(**{f"aum_fen__{lookup}": to_fen(value)})


class ListOrderForm(forms.Form):
    """Sort order and position of the list (cursors of keyset pages)."""

    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[
            ("", _("Automatic")),
            *((key, order.label) for key, order in selectors.SORTS.items()),
        ],
    )
    # A name cursor carries the name: up to 200 characters, 600 bytes, 800 in base64.
    after = forms.CharField(required=False, max_length=1200, widget=forms.HiddenInput)
    before = forms.CharField(required=False, max_length=1200, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        bootstrap(self)

    def clean(self):
        cleaned = super().clean()
        sort = cleaned.get("sort") or selectors.default_sort(self.data.get("q", ""))
        cleaned["sort"] = sort
        for name in ("after", "before"):
            if cleaned.get(name):
                try:
                    selectors.decode_cursor(sort, cleaned[name])
                except selectors.InvalidCursor:
                    raise ValidationError(
                        _("This page link is out of date: start again from the first page."),
                        code="cursor",
                    ) from None
        return cleaned


class PoolForm(ListOrderForm):
    """The pool's search box, sort and page."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["q"].widget.attrs.update(
            type="search",
            autocomplete="off",
            placeholder=_("Name, customer number, mobile or ID number"),
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


# --- the customer record ------------------------------------------------------------------

INDIVIDUAL_FIELDS = ("gender", "birth_date", "occupation", "income_band", "address")
CORPORATE_FIELDS = ("industry", "company_size", "legal_representative")
INDIVIDUAL_ID_TYPES = (Customer.IdType.RESIDENT_ID, Customer.IdType.PASSPORT)


def _model_field(name: str, **kwargs) -> forms.Field:
    return Customer._meta.get_field(name).formfield(**kwargs)


class CustomerForm(MarksInvalidFields, forms.Form):
    """Create or edit a customer. Identity numbers are checked here; the service stores them.

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
                            *INDIVIDUAL_FIELDS,
                            *CORPORATE_FIELDS,
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
        number = self.cleaned_data["number"].strip()
        others = Customer.objects.filter(number=number)
        if self.customer is not None:
            others = others.exclude(pk=self.customer.pk)
        if others.exists():
            raise ValidationError(_("Another customer already has this number."), code="unique")
        return number

    def clean_phone(self) -> str:
        phone = self.cleaned_data["phone"]
        return validate_mobile(phone) if phone.strip() else ""

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        if kind == Customer.Kind.CORPORATE:
            for name in INDIVIDUAL_FIELDS:
                cleaned[name] = None if name == "birth_date" else ""
            cleaned["id_type"] = Customer.IdType.USCC  # a company has no other document
        elif kind == Customer.Kind.INDIVIDUAL:
            for name in CORPORATE_FIELDS:
                cleaned[name] = ""
        self._clean_identity(kind, cleaned)
        return cleaned

    def _clean_identity(self, kind: str | None, cleaned: dict) -> None:
        id_type, id_number = cleaned.get("id_type", ""), cleaned.get("id_number", "").strip()
        if not id_number:
            cleaned["id_number"] = ""
            changed_type = self.customer is not None and id_type != self.customer.id_type
            if changed_type and self.customer.id_number_masked:
                self.add_error("id_number", _("Enter the number of the new ID document."))
            if self.customer is None and not cleaned.get("phone") and "phone" not in self.errors:
                raise ValidationError(
                    _(
                        "Enter an ID number or a mobile number, so that the customer can be "
                        "found again and is not entered twice."
                    ),
                    code="identity_required",
                )
            return
        if kind == Customer.Kind.INDIVIDUAL and id_type not in INDIVIDUAL_ID_TYPES:
            self.add_error(
                "id_type", _("An individual is identified by a resident ID card or a passport.")
            )
            return
        try:
            cleaned["id_number"] = validate_id_number(id_type, id_number)
        except ValidationError as error:
            self.add_error("id_number", error)
            return
        if id_type == Customer.IdType.RESIDENT_ID:
            try:
                validate_resident_id_matches(
                    cleaned["id_number"],
                    birth_date=cleaned.get("birth_date"),
                    gender=cleaned.get("gender", ""),
                )
            except ValidationError as error:
                self.add_error(None, error)
                return
            # What the card says fills what was left empty.
            cleaned["birth_date"] = cleaned.get("birth_date") or resident_id_birth_date(
                cleaned["id_number"]
            )
            cleaned["gender"] = cleaned.get("gender") or resident_id_gender(cleaned["id_number"])

    def service_arguments(self) -> dict:
        """Keyword arguments of ``customer_create``/``customer_update`` from the cleaned form.

        On edit, empty identity fields mean "keep": they are passed as None.
        """
        cleaned = dict(self.cleaned_data)
        arguments = {
            name: cleaned[name]
            for name in (
                "kind",
                "number",
                "name",
                "status",
                *INDIVIDUAL_FIELDS,
                *CORPORATE_FIELDS,
                "home_branch",
            )
        }
        arguments["birth_date"] = cleaned.get("birth_date")
        if "relationship_manager" in self.fields:
            arguments["relationship_manager"] = cleaned.get("relationship_manager")
        editing = self.customer is not None
        if cleaned["id_number"] or not editing:
            arguments["id_type"] = cleaned["id_type"] if cleaned["id_number"] else ""
            arguments["id_number"] = cleaned["id_number"]
        if cleaned["phone"] or not editing:
            arguments["phone"] = cleaned["phone"]
        return arguments
