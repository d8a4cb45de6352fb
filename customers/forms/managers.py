"""Choosing a relationship manager: the lookup's purposes and the fields it fills."""

from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.core.exceptions import ValidationError
from django.forms import BoundField
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from crm.forms import manager_label
from crm.tenancy.models import Staff
from customers import selectors

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
