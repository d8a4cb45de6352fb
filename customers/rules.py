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
from customers.models import INVERSE_PREFIX, Customer, CustomerRelationship

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


# --- relationships between customers ------------------------------------------------------
#
# The rules of a relationship, for the customer page's forms and the partner API alike
# (``services.relationship_add``, ``relationship_correct`` and ``relationship_end`` call
# them; pages and API only translate the ``DomainError``s):
#
# 1. **Two different customers of the bank**, both within the acting staff member's scope
#    (a partner system acts for the whole bank, as in rule 6 above).
# 2. **A kind that fits who they are**: spouses, parents and household members are people;
#    a legal representative is a person who represents a company; a shareholder holds a
#    company; an employer is a company employing a person. Anyone may guarantee anyone.
# 3. **Once while it holds**: the same pair with the same kind is recorded once until it
#    ends, read both ways for the kinds that are (spouse, household) or cannot be mutual
#    (parent, legal representative, employer). A guarantee or a holding can go both ways
#    (mutual guarantees, cross-holdings).
# 4. **Ended, not deleted**, on a date not in the future (it may be before the relationship
#    was recorded: the bank often learns of an end late); an ended relationship is history
#    and is neither corrected nor ended again.

INDIVIDUAL, CORPORATE = Customer.Kind.INDIVIDUAL, Customer.Kind.CORPORATE
RelationshipKind = CustomerRelationship.Kind
# (what the "from" customer must be, what the "to" customer must be); None: either.
KIND_FITS: dict[str, tuple[str | None, str | None]] = {
    RelationshipKind.SPOUSE: (INDIVIDUAL, INDIVIDUAL),
    RelationshipKind.PARENT: (INDIVIDUAL, INDIVIDUAL),
    RelationshipKind.HOUSEHOLD: (INDIVIDUAL, INDIVIDUAL),
    RelationshipKind.LEGAL_REPRESENTATIVE: (INDIVIDUAL, CORPORATE),
    RelationshipKind.SHAREHOLDER: (None, CORPORATE),
    RelationshipKind.GUARANTOR: (None, None),
    RelationshipKind.EMPLOYER: (CORPORATE, INDIVIDUAL),
}
MUTUAL_KINDS = frozenset({RelationshipKind.GUARANTOR, RelationshipKind.SHAREHOLDER})


class RelationshipExists(DomainError):
    def __init__(self, existing: CustomerRelationship):
        super().__init__(
            _("This relationship is already recorded: %(relationship)s")
            % {"relationship": existing},
            field="kind",
        )
        self.existing = existing


def relationship_roles() -> list[tuple[str, str]]:
    """What the other customer may be to this one, as form choices: each kind, then its
    inverse (the parent's side of "parent" is "child"), once for the symmetric kinds."""
    roles: list[tuple[str, str]] = []
    for kind, label in RelationshipKind.choices:
        roles.append((kind, label))
        if kind not in CustomerRelationship.SYMMETRIC:
            inverse = CustomerRelationship.INVERSE_LABELS[RelationshipKind(kind)]
            roles.append((f"{INVERSE_PREFIX}{kind}", str(inverse)))
    return roles


def read_role(role: str, *, customer: Customer, other: Customer) -> tuple[Customer, Customer, str]:
    """(from, to, kind) of "``other`` is ``customer``'s ``role``"."""
    kind = role.removeprefix(INVERSE_PREFIX)
    if kind not in RelationshipKind.values:
        raise DomainError(_("Choose how the customers are related."), field="kind")
    if role.startswith(INVERSE_PREFIX):
        return customer, other, kind
    return other, customer, kind


def check_relationship(
    *,
    from_customer: Customer,
    to_customer: Customer,
    kind: str,
    actor: Staff | None,
    relationship: CustomerRelationship | None = None,
) -> None:
    """Refuse a relationship (a new one, or ``relationship`` corrected) that breaks rules 1–3."""
    if from_customer.pk == to_customer.pk:
        raise DomainError(_("A customer cannot be related to themselves."), field="to_customer")
    if kind not in KIND_FITS:
        raise DomainError(_("Choose how the customers are related."), field="kind")
    if actor is not None:
        check_pair_in_scope(
            from_customer,
            to_customer,
            actor=actor,
            field="to_customer" if relationship is None else None,
        )
    from_kind, to_kind = KIND_FITS[kind]
    if (from_kind and from_customer.kind != from_kind) or (to_kind and to_customer.kind != to_kind):
        raise DomainError(_kind_misfit_message(kind), field="kind")
    same = CustomerRelationship.objects.current().filter(
        from_customer=from_customer, to_customer=to_customer, kind=kind
    )
    if kind not in MUTUAL_KINDS:
        same = same | CustomerRelationship.objects.current().filter(
            from_customer=to_customer, to_customer=from_customer, kind=kind
        )
    if relationship is not None:
        same = same.exclude(pk=relationship.pk)
    existing = same.select_related("from_customer", "to_customer").first()
    if existing is not None:
        raise RelationshipExists(existing)


def check_pair_in_scope(
    first: Customer, second: Customer, *, actor: Staff, field: str | None
) -> None:
    """Refuse a staff member's change to a relationship with a customer they do not see."""
    pair = {first.pk, second.pk}
    if Customer.objects.in_scope(actor).filter(pk__in=pair).count() != len(pair):
        raise DomainError(_("Choose a customer of your branches."), field=field)


def _kind_misfit_message(kind: str) -> str:
    return {
        RelationshipKind.LEGAL_REPRESENTATIVE: _(
            "A legal representative is a person who represents a corporate customer."
        ),
        RelationshipKind.SHAREHOLDER: _("A shareholder holds shares of a corporate customer."),
        RelationshipKind.EMPLOYER: _("An employer is a corporate customer employing a person."),
    }.get(kind, _("Spouses, parents and household members are individual customers."))


def check_end(relationship: CustomerRelationship, ended_on: date | None) -> None:
    """Refuse ending ``relationship`` on ``ended_on`` against rule 4."""
    if not relationship.is_current:
        raise DomainError(_("This relationship has already ended."))
    if ended_on is None:
        raise DomainError(_("Enter the date the relationship ended."), field="ended_on")
    if ended_on > timezone.localdate():
        raise DomainError(_("The end date cannot be in the future."), field="ended_on")
    # Not bounded by the day it was recorded: records often learn of an end late.
    if ended_on < validators.OLDEST_BIRTH_DATE:
        raise DomainError(_("The end date must be after 1900."), field="ended_on")
