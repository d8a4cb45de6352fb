"""Actions on customer value: tier rules and manual tiers, both through maker-checker.

Proposing only validates and records a proposal (``crm.approvals``); the row is written
when a second person approves, by ``tier_rule_set_create`` and ``manual_tier_create``
inside the approval's transaction. Validation is one function per payload, run when the
maker proposes and again, against the data as it is then, when the approver approves.

The tier service policy is edited in place (``service_policy_update``), audited.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from channels.models import Channel
from crm import bounds
from crm.approvals.models import Proposal
from crm.approvals.services import proposal_submit
from crm.domain import DomainError
from crm.jobs.models import stale_thresholds
from crm.jobs.runs import run_once
from crm.months import add_months, month_start
from crm.tenancy.context import require_tenant, tenant_context
from crm.tenancy.models import PartnerApplication, Staff, Tenant
from customers.models import Customer, Product
from marketing import policy_defaults, scoring, selectors
from marketing.models import (
    RUN_LOST,
    CustomerValue,
    ManualTier,
    ProductSpread,
    Reason,
    ScoringRun,
    ServicePrivilege,
    SuggestedChannel,
    TierChange,
    TierRuleSet,
    TierServicePolicy,
)

# The first version of every bank's rules applies to any month it may be asked about
# (balances and contributions are loaded for months long before the bank's first login).
DEFAULT_EFFECTIVE_FROM = date(2000, 1, 1)
DEFAULT_RULES: dict[str, Any] = {
    "new_customer_months": 3,
    "bz_months": 3,
    "mvc_top_percent": Decimal("5.00"),
    "mvc_min_contribution": None,
    "mgc_min_potential": 70,
    "downgrade_months": 3,
}
MONTHS_LIMIT = 36  # new-customer, BZ and downgrade months: three years at most
MVC_TOP_PERCENT_LIMIT = Decimal("50")  # more than half the bank "most valuable" says nothing
RULES_AHEAD_MONTHS = 12  # how far ahead a version may be scheduled
MANUAL_TIER_LONGEST = timedelta(days=366)  # a strategic tier is reviewed at least yearly


class ProposalRefused(DomainError):
    """Every problem of a proposal at once; the first one is the error's own."""

    def __init__(self, errors: list[DomainError]):
        super().__init__(errors[0].message, field=errors[0].field)
        self.problems = errors

    @property
    def errors(self) -> list[DomainError]:
        return self.problems


# --- tier rules -----------------------------------------------------------------------


def ensure_default_rule_sets(tenant: Tenant) -> None:
    """Give ``tenant`` a first version of the tier rules for each kind it has none of."""
    with tenant_context(tenant):
        have = set(TierRuleSet.objects.values_list("kind", flat=True).distinct())
        TierRuleSet.objects.bulk_create(
            TierRuleSet(
                tenant=tenant,
                kind=kind,
                version=1,
                effective_from=DEFAULT_EFFECTIVE_FROM,
                note=_("Standard rules"),
                **DEFAULT_RULES,
            )
            for kind in Customer.Kind.values
            if kind not in have
        )


def _whole(
    payload: dict[str, Any], name: str, low: int, high: int, problems: list[DomainError]
) -> int:
    value = payload.get(name)
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        problems.append(
            DomainError(
                _("Enter a whole number from %(low)d to %(high)d.") % {"low": low, "high": high},
                field=name,
            )
        )
        return low
    return value


def _amount(payload: dict[str, Any], name: str, problems: list[DomainError]) -> Decimal | None:
    value = payload.get(name)
    if value in (None, ""):
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        amount = Decimal("NaN")
    if not amount.is_finite() or bounds.PLAIN_NUMBER.fullmatch(str(value).strip()) is None:
        problems.append(DomainError(_("Enter a number."), field=name))
        return None
    return amount


def _effective_month(value: Any, kind: str, problems: list[DomainError]) -> date | None:
    try:
        month = datetime.strptime(str(value), "%Y-%m").date()
    except ValueError:
        problems.append(DomainError(_("Enter a month as YYYY-MM."), field="effective_from"))
        return None
    this_month = month_start(timezone.localdate())
    if month < this_month:
        problems.append(
            DomainError(
                _("Rules apply from this month on at the earliest: past months keep theirs."),
                field="effective_from",
            )
        )
    elif month > add_months(this_month, RULES_AHEAD_MONTHS):
        problems.append(
            DomainError(
                _("Schedule rules at most %(months)d months ahead.")
                % {"months": RULES_AHEAD_MONTHS},
                field="effective_from",
            )
        )
    latest = selectors.latest_rule_set(kind) if kind in Customer.Kind.values else None
    if latest is not None and month < latest.effective_from:
        problems.append(
            DomainError(
                _("Version %(version)d already applies from %(month)s: start on or after it.")
                % {"version": latest.version, "month": f"{latest.effective_from:%Y-%m}"},
                field="effective_from",
            )
        )
    return month


def tier_rules_check(payload: dict[str, Any], *, actor: Staff | None = None) -> dict[str, Any]:
    """Validate a proposed version of the tier rules; return it cleaned (JSON-safe).

    Raises ``ProposalRefused`` with every problem at once.
    """
    problems: list[DomainError] = []
    kind = payload.get("kind")
    if kind not in Customer.Kind.values:
        problems.append(DomainError(_("Choose individuals or companies."), field="kind"))
    month = _effective_month(payload.get("effective_from"), str(kind), problems)
    cleaned: dict[str, Any] = {
        "kind": kind,
        "effective_from": f"{month:%Y-%m}" if month else None,
        "new_customer_months": _whole(payload, "new_customer_months", 0, MONTHS_LIMIT, problems),
        "bz_months": _whole(payload, "bz_months", 1, MONTHS_LIMIT, problems),
        "mgc_min_potential": _whole(payload, "mgc_min_potential", 0, 100, problems),
        "downgrade_months": _whole(payload, "downgrade_months", 1, MONTHS_LIMIT, problems),
    }
    top = _amount(payload, "mvc_top_percent", problems)
    if top is not None and not Decimal("0") < top <= MVC_TOP_PERCENT_LIMIT:
        problems.append(
            DomainError(
                _("Enter a share above 0 and at most %(limit)s %%.")
                % {"limit": MVC_TOP_PERCENT_LIMIT},
                field="mvc_top_percent",
            )
        )
    elif top is not None and top != top.quantize(Decimal("0.01")):
        problems.append(DomainError(_("Use at most two decimal places."), field="mvc_top_percent"))
    threshold = _amount(payload, "mvc_min_contribution", problems)
    if threshold is not None and not Decimal("0") < threshold <= bounds.MAX_AMOUNT:
        problems.append(
            DomainError(
                _("Enter an amount above 0 and at most %(limit)s CNY.")
                % {"limit": f"{bounds.MAX_AMOUNT:,.0f}"},
                field="mvc_min_contribution",
            )
        )
    elif threshold is not None and threshold != threshold.quantize(Decimal("0.01")):
        problems.append(
            DomainError(_("Use at most two decimal places."), field="mvc_min_contribution")
        )
    if payload.get("mvc_top_percent") in (None, "") and payload.get("mvc_min_contribution") in (
        None,
        "",
    ):
        problems.append(
            DomainError(
                _("Give the MVC rule: a top share of the bank, a contribution threshold, or both.")
            )
        )
    note = str(payload.get("note") or "").strip()
    if len(note) > 300:
        problems.append(DomainError(_("Keep the note within 300 characters."), field="note"))
    if problems:
        raise ProposalRefused(problems)
    cleaned["mvc_top_percent"] = str(top) if top is not None else None
    cleaned["mvc_min_contribution"] = str(threshold) if threshold is not None else None
    cleaned["note"] = note
    return cleaned


def tier_rules_describe(payload: dict[str, Any]) -> str:
    """The summary approvers read: every parameter, since they approve the numbers."""
    mvc = []
    if payload["mvc_top_percent"] is not None:
        mvc.append(_("top %(share)s %%") % {"share": payload["mvc_top_percent"]})
    if payload["mvc_min_contribution"] is not None:
        mvc.append(
            _("at least %(amount)s CNY")
            % {"amount": f"{Decimal(payload['mvc_min_contribution']):,.2f}"}
        )
    return _(
        "New tier rules for %(kind)s from %(month)s: new below %(new)d months; BZ after "
        "%(bz)d months below zero; MVC %(mvc)s; MGC from potential %(mgc)d; downgrade after "
        "%(down)d months"
    ) % {
        "kind": Customer.Kind(payload["kind"]).label,
        "month": payload["effective_from"],
        "new": payload["new_customer_months"],
        "bz": payload["bz_months"],
        "mvc": _(" or ").join(mvc),
        "mgc": payload["mgc_min_potential"],
        "down": payload["downgrade_months"],
    }


def tier_rules_propose(*, actor: Staff, **parameters: Any) -> Proposal:
    """Propose a new version of the tier rules; another administrator approves it."""
    return proposal_submit(action_key=selectors.TIER_RULES_ACTION, payload=parameters, actor=actor)


@transaction.atomic
def tier_rule_set_create(payload: dict[str, Any], *, maker: Staff, approver: Staff) -> str:
    """Write the approved version (``payload`` checked again by the approval)."""
    kind = payload["kind"]
    # The versions of a kind are numbered in the order of approval: lock the kind's
    # rows so that two approvals at once cannot take the same number.
    versions = list(
        TierRuleSet.objects.of_kind(kind).select_for_update().values_list("version", flat=True)
    )
    rule_set = TierRuleSet.objects.create(
        kind=kind,
        version=max(versions, default=0) + 1,
        effective_from=datetime.strptime(payload["effective_from"], "%Y-%m").date(),
        new_customer_months=payload["new_customer_months"],
        bz_months=payload["bz_months"],
        mvc_top_percent=payload["mvc_top_percent"],
        mvc_min_contribution=payload["mvc_min_contribution"],
        mgc_min_potential=payload["mgc_min_potential"],
        downgrade_months=payload["downgrade_months"],
        note=payload["note"],
        proposed_by=maker,
        approved_by=approver,
    )
    return _("Version %(version)d of the tier rules for %(kind)s applies from %(month)s.") % {
        "version": rule_set.version,
        "kind": rule_set.get_kind_display(),
        "month": payload["effective_from"],
    }


# --- manual tiers ---------------------------------------------------------------------

MANUAL_TIERS = [tier for tier in Customer.Tier.values if tier != Customer.Tier.NEW]


def _customer(pk: Any, actor: Staff) -> Customer:
    customer: Customer | None = (
        Customer.objects.in_scope(actor).filter(pk=pk).first() if pk else None
    )
    if customer is None:
        raise DomainError(_("No customer of yours has this number."), field="customer_number")
    return customer


def manual_tier_check(payload: dict[str, Any], *, actor: Staff) -> dict[str, Any]:
    """Validate a requested manual tier against today's data; return it cleaned."""
    problems: list[DomainError] = []
    customer = None
    try:
        customer = _customer(payload.get("customer"), actor)
    except DomainError as error:
        problems.append(error)
    tier = payload.get("tier")
    if tier not in MANUAL_TIERS:
        problems.append(DomainError(_("Choose a tier."), field="tier"))
    reason = str(payload.get("reason") or "").strip()
    if not reason:
        problems.append(DomainError(_("Give the reason for this tier."), field="reason"))
    elif len(reason) > 300:
        problems.append(DomainError(_("Keep the reason within 300 characters."), field="reason"))
    today = timezone.localdate()
    try:
        expires_on = date.fromisoformat(str(payload.get("expires_on")))
    except ValueError:
        expires_on = None
        problems.append(DomainError(_("Enter a date."), field="expires_on"))
    if expires_on is not None and expires_on < today:
        problems.append(DomainError(_("Choose a day from today on."), field="expires_on"))
    elif expires_on is not None and expires_on > today + MANUAL_TIER_LONGEST:
        problems.append(
            DomainError(
                _("A manual tier lasts a year at most: choose an earlier day."), field="expires_on"
            )
        )
    if customer is not None and selectors.manual_tier_of(customer) is not None:
        problems.append(
            DomainError(
                _("This customer already has a manual tier: withdraw it first."),
                field="customer_number",
            )
        )
    if problems:
        raise ProposalRefused(problems)
    assert customer is not None and expires_on is not None  # no problems: both were found
    return {
        "customer": customer.pk,
        "customer_number": customer.number,
        "customer_name": customer.name,
        "tier": tier,
        "reason": reason,
        "expires_on": expires_on.isoformat(),
    }


def manual_tier_describe(payload: dict[str, Any]) -> str:
    """The summary approvers read, with the reason they weigh."""
    return _("Manual tier %(tier)s for %(number)s %(name)s until %(date)s: %(reason)s") % {
        "tier": Customer.Tier(payload["tier"]).label,
        "number": payload["customer_number"],
        "name": payload["customer_name"],
        "date": payload["expires_on"],
        "reason": payload["reason"],
    }


def manual_tier_request(
    *, customer_number: str, tier: str, reason: str, expires_on: date, actor: Staff
) -> Proposal:
    """Ask for a manual tier on the customer numbered ``customer_number``; another
    marketing manager or an administrator approves it."""
    customer = (
        Customer.objects.in_scope(actor)
        .filter(tenant_id=actor.tenant_id, number=customer_number.strip())
        .first()
    )
    if customer is None:
        raise DomainError(_("No customer of yours has this number."), field="customer_number")
    waiting = selectors.pending_proposals(selectors.MANUAL_TIER_ACTION, actor).filter(
        payload__customer=customer.pk
    )
    if waiting.exists():
        raise DomainError(
            _("A manual tier for this customer is already waiting for approval."),
            field="customer_number",
        )
    return proposal_submit(
        action_key=selectors.MANUAL_TIER_ACTION,
        payload={
            "customer": customer.pk,
            "tier": tier,
            "reason": reason,
            "expires_on": expires_on.isoformat(),
        },
        actor=actor,
    )


@transaction.atomic
def manual_tier_create(payload: dict[str, Any], *, maker: Staff, approver: Staff) -> str:
    """Put the approved manual tier in force from today."""
    # One manual tier in force per customer: the customer's row is the lock two approvals
    # at once queue on, and the check ran again just before, under the approval's lock.
    customer = Customer.objects.select_for_update().get(pk=payload["customer"])
    if selectors.manual_tier_of(customer) is not None:
        raise DomainError(_("This customer already has a manual tier: withdraw it first."))
    manual = ManualTier.objects.create(
        customer=customer,
        tier=payload["tier"],
        reason=payload["reason"],
        starts_on=timezone.localdate(),
        expires_on=date.fromisoformat(payload["expires_on"]),
        requested_by=maker,
        approved_by=approver,
    )
    # In force from today, so the customer holds it from today: lists, service policy and
    # cadence read the customer's row, and the next monthly scoring is weeks away.
    _customer_tier_set(customer, manual.tier, reason=Reason.MANUAL, actor=approver)
    return _("%(customer)s is %(tier)s until %(date)s.") % {
        "customer": customer.number,
        "tier": manual.get_tier_display(),
        "date": payload["expires_on"],
    }


@transaction.atomic
def manual_tier_withdraw(*, manual_tier: ManualTier, actor: Staff) -> ManualTier:
    """End a manual tier now; the customer gets back the tier the scoring computed."""
    # The customer first, as the approval and the scoring's copy lock it: one order.
    customer = Customer.objects.select_for_update().get(pk=manual_tier.customer_id)
    locked = ManualTier.objects.select_for_update().get(pk=manual_tier.pk)
    if not locked.is_in_force():
        raise DomainError(_("This manual tier is no longer in force."))
    locked.withdrawn_at = timezone.now()
    locked.withdrawn_by = actor
    locked.save(update_fields=["withdrawn_at", "withdrawn_by"])
    computed = _computed_tier(customer)
    if computed is not None:
        _customer_tier_set(customer, computed, reason=Reason.MANUAL_ENDED, actor=actor)
    return locked


def _computed_tier(customer: Customer) -> str | None:
    """The tier the scoring gives ``customer`` without a manual tier: what their latest
    scored month earned where a manual tier stood over it, else what it gave them; before
    any scoring, the tier they held before the manual one. None when nothing says."""
    value = (
        CustomerValue.objects.filter(customer=customer)
        .order_by("-month")
        .values("tier", "earned_tier", "reason")
        .first()
    )
    if value is not None:
        return value["earned_tier"] if value["reason"] == Reason.MANUAL else value["tier"]
    before = (
        TierChange.objects.filter(customer=customer, reason=Reason.MANUAL)
        .order_by("-changed_at", "-pk")
        .values_list("from_tier", flat=True)
        .first()
    )
    return before or None


def _customer_tier_set(customer: Customer, tier: str, *, reason: str, actor: Staff) -> bool:
    """Give the locked ``customer`` ``tier`` now, with a change row naming who decided it,
    only where it differs (``IS DISTINCT FROM``, as the scoring's copy): an unchanged row
    is not rewritten, so neither its audit trail nor partners' ``updated_since`` sees it."""
    updated = (
        Customer.objects.filter(pk=customer.pk)
        .exclude(tier=tier)
        .update(tier=tier, updated_at=timezone.now())
    )
    if not updated:
        return False
    now = timezone.now()
    TierChange.objects.create(
        tenant_id=customer.tenant_id,
        customer=customer,
        month=timezone.localdate(now).replace(day=1),
        from_tier=customer.tier,
        to_tier=tier,
        reason=reason,
        run=None,
        changed_by=actor,
        changed_at=now,
    )
    customer.tier = tier
    return True


def default_rule_sets_for_new_bank(
    sender: type[Tenant], instance: Tenant, created: bool, raw: bool = False, **kwargs: Any
) -> None:
    """Give a bank its first tier rules the moment it is created (a post_save receiver)."""
    if created and not raw:
        ensure_default_rule_sets(instance)


MAX_PRIVILEGES = 20


def service_policies_ensure(*, tenant: Tenant) -> int:
    """Give the current bank the default policy of each tier it has none for; how many.

    Run for a new bank (marketing's AppConfig connects it to the bank's creation); the
    migration did it for the banks that existed before.
    """
    return policy_defaults.create_default_policies(
        tenant_id=tenant.pk,
        policy_model=TierServicePolicy,
        privilege_model=ServicePrivilege,
        suggested_model=SuggestedChannel,
        channel_model=Channel,
    )


def default_channel_ids(tier: str) -> list[int]:
    """The bank's active electronic channels of the kinds the default policy of ``tier``
    suggests (none for most tiers)."""
    kinds = policy_defaults.default_for(tier).channel_kinds
    if not kinds:
        return []
    channels = Channel.objects.filter(kind__in=kinds, is_electronic=True, is_active=True)
    return list(channels.order_by("code").values_list("pk", flat=True))


def _check_privileges(privileges: Sequence[str]) -> list[str]:
    names = [name.strip() for name in privileges if name.strip()]
    if len(names) > MAX_PRIVILEGES:
        raise DomainError(
            _("List at most %(most)d privileges.") % {"most": MAX_PRIVILEGES}, field="privileges"
        )
    seen: set[str] = set()
    for name in names:
        if len(name) > 100:
            raise DomainError(
                _("“%(name)s…” is longer than 100 characters.") % {"name": name[:20]},
                field="privileges",
            )
        if name in seen:
            raise DomainError(_("“%(name)s” is listed twice.") % {"name": name}, field="privileges")
        seen.add(name)
    return names


def _check_channels(channel_ids: Iterable[int]) -> list[Channel]:
    ids = set(channel_ids)
    channels = list(Channel.objects.filter(pk__in=ids, is_electronic=True, is_active=True))
    if len(channels) != len(ids):
        raise DomainError(
            _("Suggest only active electronic channels of the bank's catalog."),
            field="suggested_channels",
        )
    return channels


@transaction.atomic
def service_policy_update(
    *,
    tier: str,
    contact_cadence_days: int | None,
    requires_relationship_manager: bool,
    max_book_size: int | None,
    privileges: Sequence[str],
    suggested_channel_ids: Iterable[int] = (),
) -> TierServicePolicy:
    """Set the current bank's policy for ``tier``: the row and its lists, in one transaction.

    Privileges keep their rows where their names stay (only the position moves), so the
    audit trail shows what the administrator added, removed or reordered, not a rewrite.
    The model's triggers record every change with the request's user.
    """
    if tier not in Customer.Tier.values:
        raise DomainError(_("Choose a tier."), field="tier")
    names = _check_privileges(privileges)
    channels = _check_channels(suggested_channel_ids)
    tenant = require_tenant()
    policy = TierServicePolicy.objects.select_for_update().filter(tier=tier).first()
    if policy is None:
        policy = TierServicePolicy(tenant=tenant, tier=tier)
    policy.contact_cadence_days = contact_cadence_days
    policy.requires_relationship_manager = requires_relationship_manager
    policy.max_book_size = max_book_size
    policy.updated_at = timezone.now()
    policy.full_clean()
    policy.save()

    existing = {privilege.name: privilege for privilege in policy.privileges.all()}
    ServicePrivilege.objects.filter(policy=policy).exclude(name__in=names).delete()
    for position, name in enumerate(names):
        privilege = existing.get(name)
        if privilege is None:
            ServicePrivilege.objects.create(
                tenant=tenant, policy=policy, name=name, position=position
            )
        elif privilege.position != position:
            privilege.position = position
            privilege.save(update_fields=["position"])

    wanted = {channel.pk for channel in channels}
    SuggestedChannel.objects.filter(policy=policy).exclude(channel_id__in=wanted).delete()
    kept = set(SuggestedChannel.objects.filter(policy=policy).values_list("channel_id", flat=True))
    SuggestedChannel.objects.bulk_create(
        SuggestedChannel(tenant=tenant, policy=policy, channel=channel)
        for channel in channels
        if channel.pk not in kept
    )
    return policy


# A mid-sized Chinese bank's funds-transfer-pricing spreads a year, by product category:
# what a yuan of deposits earns over its transfer price, what a yuan lent earns over its
# funding cost, what a yuan in wealth products earns in fees. E-banking holds no balance.
STANDARD_SPREADS = {
    Product.Category.DEPOSIT: Decimal("0.015000"),
    Product.Category.LOAN: Decimal("0.025000"),
    Product.Category.CARD: Decimal("0.060000"),
    Product.Category.WEALTH: Decimal("0.006000"),
    Product.Category.FUND: Decimal("0.008000"),
    Product.Category.INSURANCE: Decimal("0.010000"),
}


@dataclass(frozen=True)
class ContributionValues:
    customer_id: int
    month: date
    deposit_interest: Decimal
    loan_interest: Decimal
    fee_income: Decimal
    other_income: Decimal


@dataclass(frozen=True)
class ContributionCounts:
    created: int
    updated: int
    unchanged: int


# One statement per batch. A customer-month sent again replaces its figures; one sent
# again with the same figures is not written at all (no history event, its time of
# receipt and sender stay those of the figures). xmax = 0 marks a row this statement
# inserted rather than updated.
CONTRIBUTIONS_UPSERT = """
INSERT INTO marketing_contribution AS c
       (tenant_id, customer_id, month, deposit_interest, loan_interest, fee_income,
        other_income, partner_id, received_at)
SELECT %(tenant)s::bigint, batch.*, %(partner)s::bigint, %(now)s::timestamptz
  FROM unnest(%(customers)s::bigint[], %(months)s::date[], %(deposit)s::numeric[],
              %(loan)s::numeric[], %(fee)s::numeric[], %(other)s::numeric[])
       AS batch(customer_id, month, deposit_interest, loan_interest, fee_income, other_income)
ON CONFLICT (tenant_id, customer_id, month) DO UPDATE
   SET deposit_interest = excluded.deposit_interest,
       loan_interest = excluded.loan_interest,
       fee_income = excluded.fee_income,
       other_income = excluded.other_income,
       partner_id = excluded.partner_id,
       received_at = excluded.received_at
 WHERE (c.deposit_interest, c.loan_interest, c.fee_income, c.other_income)
       IS DISTINCT FROM (excluded.deposit_interest, excluded.loan_interest,
                         excluded.fee_income, excluded.other_income)
RETURNING xmax = 0 AS created
"""


@transaction.atomic
def contributions_record(
    *, contributions: Sequence[ContributionValues], partner: PartnerApplication | None
) -> ContributionCounts:
    """Store customers' monthly income as the finance system reports it, one row per
    customer and month, in one statement.

    Callers check the batch first (customers of the current bank, past months, figures
    within ``crm.bounds``, each customer-month once); the table's constraints refuse the
    rest.
    """
    if not contributions:
        return ContributionCounts(0, 0, 0)
    keys = [(item.customer_id, item.month) for item in contributions]
    if len(set(keys)) != len(keys):
        # PostgreSQL refuses to upsert one row twice in a statement; say why before it does.
        raise ValueError("Each customer and month may appear only once in a batch.")
    with connection.cursor() as cursor:
        cursor.execute(
            CONTRIBUTIONS_UPSERT,
            {
                "tenant": require_tenant().pk,
                "partner": partner.pk if partner is not None else None,
                "now": timezone.now(),
                "customers": [item.customer_id for item in contributions],
                "months": [item.month for item in contributions],
                "deposit": [item.deposit_interest for item in contributions],
                "loan": [item.loan_interest for item in contributions],
                "fee": [item.fee_income for item in contributions],
                "other": [item.other_income for item in contributions],
            },
        )
        written = cursor.fetchall()
    created = sum(1 for (was_created,) in written if was_created)
    return ContributionCounts(created, len(written) - created, len(contributions) - len(written))


@transaction.atomic
def standard_spreads_give(*, valid_from: date) -> int:
    """Give each product of the current bank that has no spread yet its category's
    standard spread, from ``valid_from`` on; return how many were given."""
    priced = ProductSpread.objects.values("product_id")
    spreads = [
        ProductSpread(
            tenant_id=product.tenant_id,
            product=product,
            annual_rate=STANDARD_SPREADS[product.category],
            valid_from=valid_from,
        )
        for product in Product.objects.exclude(pk__in=priced)
        if product.category in STANDARD_SPREADS
    ]
    ProductSpread.objects.bulk_create(spreads)
    return len(spreads)


# --- scoring runs ------------------------------------------------------------------------

JOB = "marketing.scoring"
# Month M is scored once the roll-up of this day of month M + 1 is done: the finance
# system's feed for M arrives in the first days of M + 1.
CUTOFF_DAY = 5


def month_due(day: date) -> date | None:
    """The month whose scoring is due once ``day`` is rolled up: the month before, on and
    after its cut-off day (a later day's roll-up finds it done and skips it)."""
    if day.day < CUTOFF_DAY:
        return None
    return add_months(month_start(day), -1)


def latest_month_due(today: date) -> date:
    """The latest month whose scoring is due by ``today``: last month once its cut-off day
    has come, else the month before."""
    return month_due(today) or add_months(month_start(today), -2)


def scoring_catch_up(*, months: int, today: date) -> list[ScoringRun]:
    """Score the current bank's last ``months`` due months that are not scored yet, oldest
    first, each through the scheduled job (a demo bank, a generated one, a bank that starts
    scoring): month after month, so that below-zero streaks and hysteresis see their
    history as they would have."""
    latest = latest_month_due(today)
    runs = [scoring_run_once(month=add_months(latest, -back)) for back in range(months - 1, -1, -1)]
    return [run for run in runs if run is not None]


def scoring_run_once(*, month: date) -> ScoringRun | None:
    """The scheduled scoring of ``month`` for the current bank: version 1, once.

    None when the month has already been scored (or is being scored by another worker).
    """
    run: ScoringRun | None = None

    def work() -> int:
        nonlocal run
        run = _score(month=month, actor=None, reason="")
        return run.customers

    job_run = run_once(job=JOB, period=f"{month:%Y-%m}", work=work)
    return run if job_run is not None else None


RERUN_REASON_LONGEST = 200


def rerunnable_months(*, today: date | None = None) -> list[date]:
    """The months an administrator may score again, newest first: those scored already
    and whose cut-off day has come (``latest_month_due``); never the month under way."""
    latest = latest_month_due(today or timezone.localdate())
    return list(
        ScoringRun.objects.filter(status=ScoringRun.Status.FINISHED, month__lte=latest)
        .order_by("-month")
        .values_list("month", flat=True)
        .distinct()
    )


def _rerun_refusal(*, month: date, reason: str) -> DomainError | None:
    if not reason:
        return DomainError(_("Say why the month is scored again."), field="reason")
    if len(reason) > RERUN_REASON_LONGEST:
        return DomainError(
            _("Keep the reason within %(most)d characters.") % {"most": RERUN_REASON_LONGEST},
            field="reason",
        )
    if month not in rerunnable_months():
        if ScoringRun.objects.filter(month=month, status=ScoringRun.Status.FINISHED).exists():
            return DomainError(
                _("This month's feeds may still arrive: score it again after its cut-off day."),
                field="month",
            )
        return DomainError(_("This month has not been scored yet."), field="month")
    return None


def _stale_runs_fail(*, month: date) -> None:
    """Record as failed the runs of ``month`` that no worker will finish: queued or
    running for longer than a task may run (a message lost with its broker, a worker
    killed on a broker that does not deliver again), so that they block no re-run."""
    stale_before, _silent_before = stale_thresholds()
    ScoringRun.objects.filter(
        Q(status=ScoringRun.Status.QUEUED, requested_at__lt=stale_before)
        | Q(status=ScoringRun.Status.RUNNING, started_at__lt=stale_before),
        month=month,
    ).update(status=ScoringRun.Status.FAILED, finished_at=timezone.now(), error=RUN_LOST)


@transaction.atomic
def scoring_rerun_request(*, month: date, actor: Staff, reason: str) -> ScoringRun:
    """Queue a new version of ``month``'s scoring at an administrator's request (late
    feeds, corrected spreads): the run row names who asked and why, and a worker scores
    it once this transaction commits. Refused while the month is being scored."""
    reason = reason.strip()
    refusal = _rerun_refusal(month=month, reason=reason)
    if refusal is not None:
        raise refusal
    _stale_runs_fail(month=month)
    if ScoringRun.objects.filter(month=month, status__in=ScoringRun.ACTIVE).exists():
        raise DomainError(_("This month is already being scored: wait for that run to end."))
    latest = ScoringRun.objects.filter(month=month).aggregate(latest=Max("version"))["latest"]
    try:
        # A savepoint: another administrator's re-run confirmed at the same moment makes
        # this insert fail on the one-at-a-time constraint, said below in words.
        with transaction.atomic():
            run = ScoringRun.objects.create(
                tenant=require_tenant(),
                month=month,
                version=(latest or 0) + 1,
                status=ScoringRun.Status.QUEUED,
                requested_by=actor,
                reason=reason,
            )
    except IntegrityError:
        raise DomainError(
            _("This month is already being scored: wait for that run to end.")
        ) from None
    from marketing.tasks import rerun_scoring  # the tasks module imports this one

    rerun_scoring.delay_on_commit(tenant_id=run.tenant_id, run_id=run.pk)
    return run


def scoring_run_perform(*, run_id: int) -> ScoringRun | None:
    """Score a queued re-run (a worker's part); None when there is nothing left to do.

    Two transactions: the first marks the run running, committed so that its page shows
    it; the second writes the month's scores, the tiers and the run's outcome at once, so
    that a worker killed half-way leaves the month as the previous version left it. A
    message delivered again after its worker was lost finds the run running and takes it
    over. Both lock the run row without waiting: a lock held means another worker (or the
    connection of a killed one, until PostgreSQL notices) still has it, and the
    ``OperationalError`` makes the task retry later, when that run has ended one way or
    the other.
    """
    with transaction.atomic():
        run = (
            ScoringRun.objects.select_for_update(nowait=True)
            .filter(pk=run_id, status__in=ScoringRun.ACTIVE)
            .first()
        )
        if run is None:
            return None
        run.status = ScoringRun.Status.RUNNING
        run.started_at = timezone.now()
        run.attempts += 1
        run.save(update_fields=["status", "started_at", "attempts"])
    try:
        with transaction.atomic():
            run = (
                ScoringRun.objects.select_for_update(nowait=True, of=("self",))
                .select_related("requested_by")
                .filter(pk=run_id, status=ScoringRun.Status.RUNNING)
                .first()
            )
            if run is None:
                return None
            _score_run(run)
    except OperationalError:
        raise  # a lock or a connection: retried by the task, the run stays running
    except Exception as exc:
        ScoringRun.objects.filter(pk=run_id).update(
            status=ScoringRun.Status.FAILED,
            finished_at=timezone.now(),
            error=f"{type(exc).__name__}: {exc}"[:4000],
        )
        raise
    return run


def scoring_rerun(*, month: date, actor: Staff, reason: str) -> ScoringRun:
    """Score ``month`` again now, in this process (tests, the shell): what the page's
    re-run does through a worker, with the same checks and records."""
    run = scoring_rerun_request(month=month, actor=actor, reason=reason)
    performed = scoring_run_perform(run_id=run.pk)
    assert performed is not None  # queued just now, by this process
    return performed


def _score(*, month: date, actor: Staff | None, reason: str) -> ScoringRun:
    latest = ScoringRun.objects.filter(month=month).aggregate(latest=Max("version"))["latest"]
    run = ScoringRun.objects.create(
        tenant=require_tenant(),
        month=month,
        version=(latest or 0) + 1,
        status=ScoringRun.Status.RUNNING,
        started_at=timezone.now(),
        attempts=1,
        requested_by=actor,
        reason=reason,
    )
    _score_run(run)
    return run


def _score_run(run: ScoringRun) -> None:
    """Score ``run``'s month and record the outcome on it, in the caller's transaction."""
    outcome = scoring.score_month(run=run)
    run.status = ScoringRun.Status.FINISHED
    run.finished_at = timezone.now()
    run.customers = outcome.customers
    run.tier_changes = outcome.tier_changes
    run.error = ""
    run.save(update_fields=["status", "finished_at", "customers", "tier_changes", "error"])
