"""The rules of a customer record, the same whichever way it comes in.

``customer_create`` and ``customer_update`` call ``check_record``; the page's form, the
partner API, the import checks and Django admin only translate the ``DomainError``s it
raises (``add_to_form``, ``as_api_error``, a row's reasons). The import checks a file row by
row with ``clean_record`` and asks the two rules that need the database once per file
(``managers_within_reach``, ``numbers_taken``). Each error names the service argument it is
about (``field``), ``None`` for the record as a whole.

What a record must be (decided once in issue 11; before, the ways in disagreed):

1. **An ID number or a mobile number.** A new customer has at least one of them, and a
   change never removes the last one: without either, the same person can be entered twice
   unnoticed. (The page asked for either; imports demanded the ID number; the API asked for
   nothing.) Both are checked for their format and stored normalised.
2. **A document that fits the customer.** An individual shows a resident ID card or a
   passport; a company its unified social credit code and nothing else. A document of the
   wrong kind is refused, never silently replaced (the page turned any company document
   into a credit code; the API and imports refused it). A number given without its type is
   a resident ID for an individual and a credit code for a company (as imports did); a new
   type needs its number, and a kept number must fit a new customer type.
3. **No birth date or sex for a company.** Refused when given (the page dropped them
   silently, the API stored them, imports refused them).
4. **A birth date between 1900-01-01 and today** (only imports checked it). A resident ID
   number encodes the birth date and sex: given with it they must agree, left empty they
   are filled in from it.
5. **A customer number unique in the bank** (the database's constraint backs it up).
6. **A relationship manager the acting person may give customers to**: an active
   relationship manager of the bank, and when the actor is a staff member (pages, imports,
   admin) one working in their scope, the branch subtree they see (imports accepted any
   manager of the bank). A partner system (the API) acts as the partner application, which
   the bank's administrator grants the whole bank and which has no staff scope: for it the
   bank is the scope, since core banking's assignment is the bank's own. A manager the
   customer already has is kept as it is, even one deactivated or moved away since.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from crm.domain import DomainError
from crm.tenancy.models import Staff
from crm.tenancy.roles import Role
from customers import validators
from customers.models import Customer

ID_TYPES_OF_KIND = {
    Customer.Kind.INDIVIDUAL: (Customer.IdType.RESIDENT_ID, Customer.IdType.PASSPORT),
    Customer.Kind.CORPORATE: (Customer.IdType.USCC,),
}
INDIVIDUAL_ONLY = ("birth_date", "gender")


class RecordRefused(DomainError):
    """Every problem of a customer record at once; the first one is the error's own."""

    def __init__(self, errors: list[DomainError]):
        super().__init__(errors[0].message, field=errors[0].field)
        self.problems = errors

    @property
    def errors(self) -> list[DomainError]:
        return self.problems


class NumberTaken(DomainError):
    def __init__(self):
        super().__init__(_("Another customer already has this number."), field="number")


def check_record(values: dict, *, actor: Staff | None, customer: Customer | None = None) -> dict:
    """Return ``values`` (a service's keyword arguments) checked and normalised.

    ``customer`` is the record being changed, None for a new one; on a change, identity
    values left out (or None) are kept. Raises ``RecordRefused`` listing every problem.
    """
    errors: list[DomainError] = []
    try:
        values = clean_record(values, customer=customer)
    except RecordRefused as refused:
        errors += refused.errors
    number = values.get("number")
    changed = number is not None and (customer is None or number != customer.number)
    if changed and numbers_taken([number], exclude_pk=customer.pk if customer else None):
        errors.append(NumberTaken())
    if "relationship_manager" in values:
        current = customer.relationship_manager if customer else None
        if values["relationship_manager"] != current:
            try:
                check_manager(values["relationship_manager"], actor=actor)
            except DomainError as error:
                errors.append(error)
    if errors:
        raise RecordRefused(errors)
    return values


def clean_record(values: dict, *, customer: Customer | None = None) -> dict:
    """The rules that need no database: identity, document, birth date and sex (1 to 4)."""
    values = dict(values)
    errors: list[DomainError] = []

    def current(name: str, default=None):
        if name in values:
            return values[name]
        return getattr(customer, name) if customer is not None else default

    kind = current("kind", "")
    if "number" in values:
        values["number"] = (values["number"] or "").strip()
    document_errors = _clean_document(values, kind=kind, customer=customer)
    errors += document_errors
    if values.get("phone"):
        try:
            values["phone"] = validators.validate_mobile(values["phone"])
        except ValidationError as error:
            errors += _domain_errors(error, "phone")

    had_id = customer is not None and bool(customer.id_number_masked)
    had_phone = customer is not None and bool(customer.phone_masked)
    has_id = had_id if values.get("id_number") is None else bool(values["id_number"])
    has_phone = had_phone if values.get("phone") is None else bool(values["phone"])
    # A record kept from before this rule, with neither, may still change in other ways.
    if not (has_id or has_phone) and (customer is None or had_id or had_phone):
        errors.append(
            DomainError(
                _(
                    "Enter an ID number or a mobile number, so that the customer can be "
                    "found again and is not entered twice."
                )
            )
        )

    birth_date = current("birth_date")
    if kind == Customer.Kind.CORPORATE:
        for name in INDIVIDUAL_ONLY:
            if current(name):
                errors.append(
                    DomainError(
                        _("Birth date and gender are for individual customers only."), field=name
                    )
                )
    elif birth_date and not validators.OLDEST_BIRTH_DATE <= birth_date <= timezone.localdate():
        errors.append(
            DomainError(_("The birth date must be between 1900 and today."), field="birth_date")
        )
    elif not document_errors:
        errors += _fill_from_resident_id(values)
    if errors:
        raise RecordRefused(errors)
    return values


def _clean_document(values: dict, *, kind: str, customer: Customer | None) -> list[DomainError]:
    id_number = values.get("id_number")
    if customer is None and id_number is None:
        id_number = values["id_number"] = ""
    if id_number is None:  # kept: the type may change only with a new number
        id_type = values.pop("id_type", None) or customer.id_type
        unfit = customer.id_number_masked and id_type not in ID_TYPES_OF_KIND.get(kind, ())
        if id_type != customer.id_type or unfit:
            return [DomainError(_("Enter the number of the new ID document."), field="id_number")]
        return []
    id_number = id_number.strip()
    if not id_number:
        values["id_type"] = values["id_number"] = ""
        return []
    if kind not in ID_TYPES_OF_KIND:
        return []  # an unknown type of customer is refused by whoever read it
    allowed = ID_TYPES_OF_KIND[kind]
    kept = customer.id_type if customer is not None and customer.id_type in allowed else ""
    id_type = values.get("id_type") or kept or allowed[0]
    values["id_type"] = id_type
    if id_type not in allowed:
        if kind == Customer.Kind.CORPORATE:
            message = _("A corporate customer is identified by its unified social credit code.")
        else:
            message = _("An individual is identified by a resident ID card or a passport.")
        return [DomainError(message, field="id_type")]
    try:
        values["id_number"] = validators.validate_id_number(id_type, id_number)
    except ValidationError as error:
        return _domain_errors(error, "id_number")
    return []


def _fill_from_resident_id(values: dict) -> list[DomainError]:
    """Check a new resident ID number against the birth date and sex; fill in those left empty."""
    if values.get("id_type") != Customer.IdType.RESIDENT_ID or not values.get("id_number"):
        return []
    number = values["id_number"]
    birth_date: date | None = values.get("birth_date")
    gender = values.get("gender") or ""
    try:
        validators.validate_resident_id_matches(number, birth_date=birth_date, gender=gender)
    except ValidationError as error:
        return _domain_errors(error, "id_number")
    values["birth_date"] = birth_date or validators.resident_id_birth_date(number)
    values["gender"] = gender or validators.resident_id_gender(number)
    return []


def _domain_errors(error: ValidationError, field: str) -> list[DomainError]:
    if hasattr(error, "error_dict"):
        return [
            DomainError(str(message), field=name)
            for name, messages in error.message_dict.items()
            for message in messages
        ]
    return [DomainError(str(message), field=field) for message in error.messages]


# --- rules that read the database ---------------------------------------------------------


def numbers_taken(numbers: Iterable[str], *, exclude_pk: int | None = None) -> set[str]:
    """The customer numbers among ``numbers`` that customers of the bank already have."""
    taken = Customer.objects.filter(number__in=list(numbers))
    if exclude_pk is not None:
        taken = taken.exclude(pk=exclude_pk)
    return set(taken.values_list("number", flat=True))


def managers_within_reach(actor: Staff | None) -> QuerySet[Staff]:
    """The relationship managers ``actor`` may give customers to (rule 6).

    A staff member: the active ones working in their scope. A partner system (None): the
    active ones of the bank.
    """
    managers = Staff.objects.all() if actor is None else Staff.objects.in_scope(actor)
    return managers.active().with_role(Role.RELATIONSHIP_MANAGER)


def check_manager(manager: Staff | None, *, actor: Staff | None) -> None:
    """Refuse a relationship manager ``actor`` may not give customers to; None is the pool."""
    if manager is None:
        return
    if not managers_within_reach(actor).filter(pk=manager.pk).exists():
        if actor is None:
            message = _("Choose an active relationship manager of this bank.")
        else:
            message = _("Choose an active relationship manager of your branches.")
        raise DomainError(message, field="relationship_manager")
