"""Actions on customers: pages, API, admin, imports and tasks all go through these."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from crm import bounds
from crm.audit.services import personal_data_access_record, personal_data_accesses_record
from crm.domain import DomainError
from crm.events.services import event_record, events_record
from crm.tenancy.context import require_tenant
from crm.tenancy.models import Staff
from crm.tenancy.roles import Role
from customers import handover, rules
from customers.models import (
    Assignment,
    Consent,
    Customer,
    CustomerRelationship,
    CustomerSettings,
    MonthlyRiskCost,
    Product,
)
from customers.selectors import SearchKind, WalkInCard, claims_this_month


class DuplicateCustomer(DomainError):
    def __init__(self, existing: Customer, field: str):
        super().__init__(
            _("A customer with this %(what)s already exists: %(customer)s")
            % {
                "what": _("ID number") if field == "id_number" else _("phone number"),
                "customer": existing,
            },
            field=field,
        )
        self.existing = existing


IDENTITY_FIELDS = ("id_type", "id_number", "phone")
WRITE_BATCH = 1000


def find_duplicate(
    *, id_number: str = "", phone: str = "", exclude_pk: int | None = None
) -> tuple[Customer, str] | None:
    """Return an existing customer of the bank with the same ID or phone number."""
    tenant_id = require_tenant().pk
    candidates = Customer.objects.none()
    if id_number:
        candidates = Customer.objects.with_id_number(id_number, tenant_id=tenant_id)
        match = candidates.exclude(pk=exclude_pk).first()
        if match is not None:
            return match, "id_number"
    if phone:
        candidates = Customer.objects.with_phone(phone, tenant_id=tenant_id)
        match = candidates.exclude(pk=exclude_pk).first()
        if match is not None:
            return match, "phone"
    return None


def customer_build(
    *, id_type: str = "", id_number: str = "", phone: str = "", **fields
) -> Customer:
    """A new customer of the current bank, not yet saved, its identity numbers encrypted.

    The values must have passed ``rules.check_record`` (or, set-based, the import's checks).
    """
    customer = Customer(tenant=require_tenant(), **fields)
    customer.set_id_number(id_type, id_number)
    customer.set_phone(phone)
    return customer


@transaction.atomic
def customer_create(*, actor: Staff | None, **values) -> Customer:
    """Create a customer that keeps the record's rules, refusing a second one with the same
    ID or phone number."""
    values = rules.check_record(values, actor=actor)
    duplicate = find_duplicate(id_number=values["id_number"], phone=values.get("phone", ""))
    if duplicate is not None:
        raise DuplicateCustomer(*duplicate)
    customer = customer_build(**values)
    customer.save()
    assignments_record(
        customers=[(customer.pk, None, customer.relationship_manager_id)],
        kind=Assignment.Kind.ASSIGN,
        actor=actor,
        reason=_("New customer"),
    )
    event_record("customers.customer.created", subject_id=customer.pk, actor=actor)  # outbox
    return customer


@transaction.atomic
def customers_create_many(
    *, customers: Sequence[Customer], actor: Staff | None, reason: str
) -> list[Customer]:
    """Create many customers built by ``customer_build`` in a few statements (imports).

    The caller has checked each record's rules and refused numbers, ID and phone numbers the
    bank already has (the database's constraint backs the number up); the managers are
    checked here once for all (rule 6 of ``customers.rules``).
    """
    wanted = {customer.relationship_manager_id for customer in customers} - {None}
    reachable = set(
        rules.managers_within_reach(actor).filter(pk__in=wanted).values_list("pk", flat=True)
    )
    if wanted - reachable:
        raise DomainError(
            _("Choose an active relationship manager of your branches."),
            field="relationship_manager",
        )
    created = Customer.objects.bulk_create(customers, batch_size=WRITE_BATCH)
    assignments_record(
        customers=[(customer.pk, None, customer.relationship_manager_id) for customer in created],
        kind=Assignment.Kind.ASSIGN,
        actor=actor,
        reason=reason,
    )
    events_record(
        "customers.customer.created", subject_ids=[customer.pk for customer in created], actor=actor
    )
    return created


@transaction.atomic
def customer_update(*, customer: Customer, actor: Staff | None, **values) -> Customer:
    """Change a customer's details; identity values only when given (None keeps them)."""
    values = rules.check_record(values, actor=actor, customer=customer)
    id_type, id_number, phone = (values.pop(name, None) for name in IDENTITY_FIELDS)
    duplicate = find_duplicate(id_number=id_number or "", phone=phone or "", exclude_pk=customer.pk)
    if duplicate is not None:
        raise DuplicateCustomer(*duplicate)
    new_manager = values.pop("relationship_manager", customer.relationship_manager)
    for name, value in values.items():
        setattr(customer, name, value)
    if id_number is not None:
        customer.set_id_number(id_type or "", id_number)
    if phone is not None:
        customer.set_phone(phone)
    customer.save()
    if new_manager != customer.relationship_manager:
        customers_assign(
            customer_ids=[customer.pk],
            relationship_manager=new_manager,
            actor=actor,
            reason=_("Changed on the customer's record"),
            kind=Assignment.Kind.ASSIGN if new_manager else Assignment.Kind.RELEASE,
        )
        customer.refresh_from_db(fields=["relationship_manager"])
    event_record("customers.customer.changed", subject_id=customer.pk, actor=actor)  # outbox
    return customer


def assignments_record(
    *,
    customers: Iterable[tuple[int, int | None, int | None]],
    kind: str,
    actor: Staff | None,
    reason: str,
) -> None:
    """Write who looks after each customer since now: the assignment history.

    ``customers`` holds (customer id, previous manager id, new manager id); a new customer
    that goes to the pool has no history yet, so (id, None, None) writes nothing.
    """
    now = timezone.now()
    tenant_id = require_tenant().pk
    Assignment.objects.bulk_create(
        (
            Assignment(
                tenant_id=tenant_id,
                customer_id=customer_id,
                kind=kind,
                previous_manager_id=previous,
                relationship_manager_id=manager,
                reason=reason[:300],
                changed_by=actor,
                changed_at=now,
            )
            for customer_id, previous, manager in customers
            if previous or manager
        ),
        batch_size=WRITE_BATCH,
    )


def _check_manager(manager: Staff | None) -> None:
    if manager is None:
        return
    if manager.tenant_id != require_tenant().pk or not manager.is_active:
        raise DomainError(_("Choose an active relationship manager of this bank."))
    if not manager.has_role(Role.RELATIONSHIP_MANAGER):
        raise DomainError(_("%(name)s is not a relationship manager.") % {"name": manager})


@transaction.atomic
def customers_assign(
    *,
    customer_ids: Iterable[int],
    relationship_manager: Staff | None,
    actor: Staff | None,
    reason: str,
    kind: str = Assignment.Kind.HANDOVER,
) -> int:
    """Give many customers to one relationship manager (or the pool) in one statement each.

    Returns how many customers changed hands. Customers who already have this manager are
    left alone. Every change is written to the assignment history.
    """
    if kind == Assignment.Kind.HANDOVER and not reason.strip():
        raise DomainError(_("Give a reason for the handover."), field="reason")
    _check_manager(relationship_manager)
    manager_id = relationship_manager.pk if relationship_manager else None
    customer_ids = list(customer_ids)
    changing = list(
        Customer.objects.filter(pk__in=customer_ids)
        .exclude(relationship_manager=relationship_manager)
        .select_for_update()
        .values_list("pk", "relationship_manager_id")
    )
    if not changing:
        return 0
    assignments_record(
        customers=[(pk, previous, manager_id) for pk, previous in changing],
        kind=kind,
        actor=actor,
        reason=reason,
    )
    Customer.objects.filter(pk__in=[pk for pk, _previous in changing]).update(
        relationship_manager=relationship_manager, updated_at=timezone.now()
    )
    events_record(
        "customers.customer.reassigned", subject_ids=[pk for pk, _m in changing], actor=actor
    )
    # Other apps' open work for these customers moves in this same transaction.
    handover.run_participants(
        handover.Handover(
            previous_managers=dict(changing),
            relationship_manager=relationship_manager,
            actor=actor,
            reason=reason,
            kind=kind,
        )
    )
    return len(changing)


def book_handover(
    *, from_manager: Staff, to_manager: Staff | None, actor: Staff, reason: str
) -> int:
    """Hand a relationship manager's whole book to another (or to the pool).

    Only the part of the book in the actor's scope moves: a branch manager cannot move
    customers of branches they do not see.
    """
    if to_manager is not None and from_manager.pk == to_manager.pk:
        raise DomainError(_("Choose a different relationship manager."))
    customer_ids = (
        Customer.objects.in_scope(actor)
        .filter(relationship_manager=from_manager)
        .values_list("pk", flat=True)
    )
    return customers_assign(
        customer_ids=customer_ids,
        relationship_manager=to_manager,
        actor=actor,
        reason=reason,
        kind=Assignment.Kind.HANDOVER if to_manager else Assignment.Kind.RELEASE,
    )


@transaction.atomic
def customer_claim(*, customer: Customer, actor: Staff) -> None:
    """A relationship manager takes a customer from the public pool, within the monthly limit."""
    _check_manager(actor)
    # One claim at a time per manager, so that the limit holds under concurrent clicks.
    # No ordering: Staff's default one joins the branch, and FOR UPDATE refuses outer joins.
    Staff.objects.select_for_update().filter(pk=actor.pk).order_by().first()
    limit = CustomerSettings.current().pool_claim_limit
    if claims_this_month(actor) >= limit:
        raise DomainError(
            _("You have reached this month's limit of %(limit)d customers from the pool.")
            % {"limit": limit}
        )
    claimed = customers_assign(
        customer_ids=Customer.objects.in_pool().filter(pk=customer.pk).values_list("pk", flat=True),
        relationship_manager=actor,
        actor=actor,
        reason=_("Claimed from the pool"),
        kind=Assignment.Kind.CLAIM,
    )
    if not claimed:
        raise DomainError(_("This customer is no longer in the pool."))


# Partner systems' clocks run a little ahead of ours; their contacts allow the same margin.
CONSENT_CLOCK_TOLERANCE = timedelta(minutes=15)


@transaction.atomic
def consent_record(
    *,
    customer: Customer,
    purpose: str,
    channel: str,
    granted: bool,
    source: str,
    actor: Staff | None,
    recorded_at: datetime | None = None,
    refuse_older: bool = False,
) -> Consent:
    """Record that a customer granted or withdrew consent (the history is kept by triggers).

    ``recorded_at`` is when the customer answered (now when not given); a time beyond the
    clocks' tolerance is refused, where it would outrank every answer still to come. An
    answer older than the one stored does not replace it: apps and gateways deliver late and
    out of order, so it is ignored, or refused with the reason where a person is entering it
    (``refuse_older``: a letter read days after the customer called). The same answer
    (granted, source) given again changes nothing and keeps the time it was first given, so
    that a replayed batch writes no history.
    """
    now = timezone.now()
    when = recorded_at or now
    if when > now + CONSENT_CLOCK_TOLERANCE:
        raise DomainError(_("A consent cannot be dated in the future."), field="recorded_on")
    answers = Consent.objects.select_for_update().filter(
        customer=customer, purpose=purpose, channel=channel
    )
    current = answers.first()
    if current is None:
        try:
            # A savepoint: the app and the counter may give the first answer at once.
            with transaction.atomic():
                return Consent.objects.create(
                    tenant=customer.tenant,
                    customer=customer,
                    purpose=purpose,
                    channel=channel,
                    granted=granted,
                    source=source,
                    recorded_by=actor,
                    recorded_at=when,
                )
        except IntegrityError:
            # The other answer committed first (the insert waited for it): weigh this one
            # against it as against any stored answer.
            current = answers.get()
    if when < current.recorded_at and refuse_older:
        raise DomainError(
            _("The customer gave a later answer for this purpose and channel."),
            field="recorded_on",
        )
    if when < current.recorded_at or (current.granted, current.source) == (granted, source):
        return current
    current.granted = granted
    current.source = source
    current.recorded_by = actor
    current.recorded_at = when
    current.save(update_fields=["granted", "source", "recorded_by", "recorded_at"])
    return current


def consents_record_many(
    *, answers: Sequence[tuple[Customer, str, str, bool]], source: str, actor: Staff | None
) -> int:
    """Record the first answers of new customers (an import) in one statement: (customer,
    purpose, channel, granted) each. The history triggers keep them as they do one by one."""
    now = timezone.now()
    Consent.objects.bulk_create(
        [
            Consent(
                tenant_id=customer.tenant_id,
                customer=customer,
                purpose=purpose,
                channel=channel,
                granted=granted,
                source=source,
                recorded_by=actor,
                recorded_at=now,
            )
            for customer, purpose, channel, granted in answers
        ],
        batch_size=WRITE_BATCH,
    )
    return len(answers)


@transaction.atomic
def relationship_add(
    *,
    from_customer: Customer,
    to_customer: Customer,
    kind: str,
    note: str = "",
    actor: Staff | None = None,
) -> CustomerRelationship:
    """Record that ``from_customer`` is the ``kind`` of ``to_customer`` (rules 1–3 of the
    relationship rules in ``customers.rules``); the history trigger writes who did it."""
    # One relationship of a pair at a time: the check and the insert must not interleave.
    _lock_pair(from_customer, to_customer)
    rules.check_relationship(
        from_customer=from_customer, to_customer=to_customer, kind=kind, actor=actor
    )
    relationship = CustomerRelationship.objects.create(
        tenant=from_customer.tenant,
        from_customer=from_customer,
        to_customer=to_customer,
        kind=kind,
        note=note.strip()[:200],
    )
    return relationship


@transaction.atomic
def relationship_correct(
    *,
    relationship: CustomerRelationship,
    kind: str,
    from_customer: Customer | None = None,
    note: str | None = None,
    actor: Staff | None = None,
) -> CustomerRelationship:
    """Correct a relationship recorded wrongly: its kind, which side is which (``from_customer``,
    one of the two), its note. A relationship that has ended stays as it was."""
    pair = {relationship.from_customer_id: relationship.from_customer}
    pair[relationship.to_customer_id] = relationship.to_customer
    source = from_customer or relationship.from_customer
    if source.pk not in pair:
        raise DomainError(_("A correction keeps the same two customers."), field="from_customer")
    target = next(customer for pk, customer in pair.items() if pk != source.pk)
    _lock_pair(source, target)
    relationship.refresh_from_db(fields=["ended_on"])
    if not relationship.is_current:
        raise DomainError(_("This relationship has already ended."))
    rules.check_relationship(
        from_customer=source, to_customer=target, kind=kind, actor=actor, relationship=relationship
    )
    relationship.from_customer, relationship.to_customer, relationship.kind = source, target, kind
    if note is not None:
        relationship.note = note.strip()[:200]
    relationship.save(update_fields=["from_customer", "to_customer", "kind", "note"])
    return relationship


@transaction.atomic
def relationship_end(
    *, relationship: CustomerRelationship, ended_on, actor: Staff | None = None
) -> CustomerRelationship:
    """End a relationship on ``ended_on``; it stays on record, read as history."""
    _lock_pair(relationship.from_customer, relationship.to_customer)
    relationship.refresh_from_db(fields=["ended_on"])
    if actor is not None:
        rules.check_pair_in_scope(
            relationship.from_customer, relationship.to_customer, actor=actor, field=None
        )
    rules.check_end(relationship, ended_on)
    relationship.ended_on = ended_on
    relationship.save(update_fields=["ended_on"])
    return relationship


def _lock_pair(first: Customer, second: Customer) -> None:
    # Both customers' rows, in id order so that two writers never wait on each other.
    locked = Customer.objects.filter(pk__in=[first.pk, second.pk]).order_by("pk")
    list(locked.select_for_update().values_list("pk", flat=True))


def pii_reveal(
    *, customer: Customer, field: str, reason: str, actor: Staff | None = None, partner=""
) -> str:
    """Return the clear value of a customer's ID or phone number, after logging who and why."""
    if not reason.strip():
        raise DomainError(_("Give the reason for viewing this value."), field="reason")
    personal_data_access_record(
        subject=customer, field=field, reason=reason, actor=actor, partner_name=partner
    )
    return customer.reveal(field)


WALK_IN_LOOKUP_FIELD = "walk_in_lookup"


def walk_in_lookup_record(*, actor: Staff, kind: str, cards: Sequence[WalkInCard]) -> None:
    """Write down who looked up whom at the counter, one row per customer found.

    ``kind`` is how (``SearchKind.ID_NUMBER`` or ``SearchKind.PHONE``); the value typed is
    not kept: the row names the customer, which is what an auditor asks about.
    """
    reason = (
        _("Walk-in lookup by exact ID number")
        if kind == SearchKind.ID_NUMBER
        else _("Walk-in lookup by exact mobile phone number")
    )
    personal_data_accesses_record(
        # The customer as the card names them: the row needs no second read of the record.
        accesses=[
            (Customer(pk=card.pk, number=card.number, name=card.masked_name), WALK_IN_LOOKUP_FIELD)
            for card in cards
        ],
        reason=reason,
        actor=actor,
    )


def recompute_aum(customer_ids: Iterable[int]) -> None:
    """Set each customer's AUM (in fen) from the balances of their asset holdings.

    Every entry keeps a customer's total within ``crm.bounds.MAX_CUSTOMER_TOTAL``; the sum
    is taken in ``numeric`` and clamped to it all the same, so that no stored balance can
    make it overflow the ``bigint`` (or the API's 18 digits) and break every page that
    shows the customer.
    """
    customer_ids = list(customer_ids)
    if not customer_ids:
        return
    tenant_id = require_tenant().pk
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE customers_customer AS c
               SET aum_fen = coalesce(totals.fen, 0)
              FROM (SELECT ids.id AS customer_id,
                           (SELECT least(round(sum(h.balance) * 100), %(largest)s)::bigint
                              FROM customers_holding h
                              JOIN customers_product p ON p.id = h.product_id
                             WHERE h.tenant_id = %(tenant)s AND h.customer_id = ids.id
                               AND h.status <> 'closed' AND p.category = ANY(%(assets)s)) AS fen
                      FROM unnest(%(ids)s::bigint[]) AS ids(id)) AS totals
             WHERE c.tenant_id = %(tenant)s AND c.id = totals.customer_id
               AND c.aum_fen IS DISTINCT FROM coalesce(totals.fen, 0)
            """,
            {
                "tenant": tenant_id,
                "ids": customer_ids,
                "assets": list(Product.ASSET_CATEGORIES),
                "largest": bounds.MAX_CUSTOMER_TOTAL_FEN,
            },
        )


RISK_COST_UPSERT_SQL = """
WITH given AS (
    SELECT * FROM unnest(%(customers)s::bigint[], %(amounts)s::numeric[]) AS g(customer_id, amount)
),
written AS (
    INSERT INTO {table} AS r (tenant_id, month, customer_id, amount, updated_at)
    SELECT %(tenant)s, %(month)s, customer_id, amount, %(now)s FROM given
    ON CONFLICT (tenant_id, month, customer_id) DO UPDATE
       SET amount = EXCLUDED.amount, updated_at = EXCLUDED.updated_at
     WHERE r.amount IS DISTINCT FROM EXCLUDED.amount
    RETURNING 1
),
removed AS (
    DELETE FROM {table} r
     WHERE %(whole_month)s AND r.tenant_id = %(tenant)s AND r.month = %(month)s
       AND NOT EXISTS (SELECT FROM given g WHERE g.customer_id = r.customer_id)
    RETURNING 1
)
SELECT (SELECT count(*) FROM written) + (SELECT count(*) FROM removed)
"""

UNKNOWN_CUSTOMERS_SQL = """
SELECT g.id FROM unnest(%(customers)s::bigint[]) AS g(id)
 WHERE NOT EXISTS (
       SELECT FROM customers_customer c WHERE c.tenant_id = %(tenant)s AND c.id = g.id)
 LIMIT 10
"""


@transaction.atomic
def monthly_risk_costs_record(
    *, month: date, amounts: Iterable[tuple[int, Decimal]], whole_month: bool = False
) -> int:
    """Record the current bank's risk costs of ``month`` (its first day): (customer id,
    amount in CNY) pairs, in one statement whatever their number; return the rows written.

    Credit risk calls this once a month (value scoring then reads the figures without
    importing risk). Recording the same figures again writes nothing; a changed figure
    replaces the old one. ``whole_month``: the pairs are the month's complete figures, and
    the rows of customers left out are deleted (their risk cost is 0 again). Refuses the
    whole batch if one pair is wrong.
    """
    tenant = require_tenant()
    if month.day != 1 or month < bounds.EARLIEST_DATE or month > bounds.today():
        raise DomainError(_("Give the first day of a month that has begun."), field="month")
    customers: list[int] = []
    figures: list[Decimal] = []
    for customer_id, amount in amounts:
        if not isinstance(amount, Decimal) or not amount.is_finite():
            raise DomainError(_("Risk costs are amounts in CNY."), field="amounts")
        if amount < 0 or amount > bounds.MAX_CUSTOMER_TOTAL or amount != round(amount, 2):
            raise DomainError(
                _("A risk cost lies between 0 and %(largest)s CNY, in fen at most.")
                % {"largest": f"{bounds.MAX_CUSTOMER_TOTAL:,.0f}"},
                field="amounts",
            )
        customers.append(customer_id)
        figures.append(amount)
    if len(set(customers)) != len(customers):
        raise DomainError(_("Give each customer's risk cost once."), field="amounts")
    params = {
        "tenant": tenant.pk,
        "month": month,
        "customers": customers,
        "amounts": figures,
        "now": timezone.now(),
        "whole_month": whole_month,
    }
    with connection.cursor() as cursor:
        cursor.execute(UNKNOWN_CUSTOMERS_SQL, params)
        unknown = [row[0] for row in cursor.fetchall()]
        if unknown:
            raise DomainError(
                _("Not customers of this bank: %(ids)s") % {"ids": ", ".join(map(str, unknown))},
                field="amounts",
            )
        table = connection.ops.quote_name(MonthlyRiskCost._meta.db_table)
        cursor.execute(RISK_COST_UPSERT_SQL.format(table=table), params)
        return cursor.fetchone()[0]
