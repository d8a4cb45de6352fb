"""Reads of customer value: the tier rules in force, the tiers set by hand, the tier
service policy and the coverage it asks for."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Count, Prefetch, QuerySet
from django.utils import timezone

from crm.approvals.models import Proposal
from crm.months import month_end
from crm.tenancy.context import require_tenant
from crm.tenancy.models import Staff
from customers.models import Customer, Product
from marketing import policy_defaults
from marketing.models import (
    ManualTier,
    ScoringRun,
    ServicePrivilege,
    SuggestedChannel,
    TierRuleSet,
    TierServicePolicy,
    tier_label,
)

# The maker-checker actions of this app (see marketing.approvals).
TIER_RULES_ACTION = "marketing.tier_rules"
MANUAL_TIER_ACTION = "marketing.manual_tier"


def rule_set_for(kind: str, month: date) -> TierRuleSet:
    """Return the current bank's tier rules for ``kind`` in force in ``month``.

    The latest version whose effective month is not after ``month``: versions approved
    later apply only from their effective month on, so a month keeps the rules it had.
    Every bank has a first version of each kind from the start (``ensure_default_rule_sets``).
    """
    rule_set = TierRuleSet.objects.of_kind(kind).in_force_for(month).first()
    if rule_set is None:
        raise TierRuleSet.DoesNotExist(f"The bank has no tier rules for {kind} in {month:%Y-%m}.")
    return rule_set


def rule_sets_overview(month: date | None = None) -> list[dict[str, Any]]:
    """Per kind of customer: the version in force this month, those scheduled after it, and
    the earlier ones (newest first)."""
    month = (month or timezone.localdate()).replace(day=1)
    every = list(TierRuleSet.objects.select_related("proposed_by", "approved_by"))
    overview = []
    for kind, label in Customer.Kind.choices:
        versions = sorted(
            (r for r in every if r.kind == kind),
            key=lambda r: (r.effective_from, r.version),
            reverse=True,
        )
        current = next((r for r in versions if r.effective_from <= month), None)
        overview.append(
            {
                "kind": kind,
                "label": label,
                "current": current,
                "scheduled": [r for r in versions if r.effective_from > month],
                "earlier": [r for r in versions if r is not current and r.effective_from <= month],
            }
        )
    return overview


def latest_rule_set(kind: str) -> TierRuleSet | None:
    """The newest version of ``kind`` (in force or scheduled): a new one starts from it."""
    return TierRuleSet.objects.of_kind(kind).order_by("-effective_from", "-version").first()


def pending_proposals(action: str, staff: Staff) -> QuerySet[Proposal]:
    """Pending proposals of ``action`` that ``staff`` may see (the maker's branch in scope)."""
    return (
        Proposal.objects.in_scope(staff)
        .pending()
        .filter(action=action, expires_at__gt=timezone.now())
        .select_related("maker")
        .order_by("expires_at", "pk")
    )


def manual_tiers_in_force(on: date | None = None) -> QuerySet[ManualTier]:
    """The bank's manual tiers in force on ``on`` (today): what the scoring job respects.

    Expired and withdrawn ones are left out; they end by themselves, no job needed.
    """
    return ManualTier.objects.in_force(on)


def manual_tier_of(customer: Customer, on: date | None = None) -> ManualTier | None:
    """The manual tier in force on ``customer``, if any."""
    return manual_tiers_in_force(on).filter(customer=customer).first()


def manual_tiers_for(staff: Staff, *, expired: bool = False, limit: int = 100) -> list[ManualTier]:
    """Manual tiers of the customers ``staff`` sees: those in force, or the ended ones."""
    rows = ManualTier.objects.in_scope(staff)
    rows = rows.expired() if expired else rows.in_force()
    return list(
        rows.select_related("customer", "requested_by", "approved_by", "withdrawn_by")[:limit]
    )


def get_manual_tier_in_force_or_404(staff: Staff, pk: int) -> ManualTier:
    from django.shortcuts import get_object_or_404

    return get_object_or_404(ManualTier.objects.in_scope(staff).in_force(), pk=pk)


@dataclass(frozen=True)
class SuggestedChannelView:
    id: int
    name: str
    kind: str


@dataclass(frozen=True)
class ServicePolicy:
    """How the current bank serves the customers of one tier, as plain values.

    ``contact_cadence_days`` and ``max_book_size`` are None where the bank set none.
    ``is_default`` says no row was ever stored for the tier (a tier customers added since).
    """

    tier: str
    tier_label: str
    contact_cadence_days: int | None
    requires_relationship_manager: bool
    max_book_size: int | None
    privileges: tuple[str, ...]
    suggested_channels: tuple[SuggestedChannelView, ...]
    is_default: bool = False

    @classmethod
    def of(cls, policy: TierServicePolicy) -> ServicePolicy:
        return cls(
            tier=policy.tier,
            tier_label=tier_label(policy.tier),
            contact_cadence_days=policy.contact_cadence_days,
            requires_relationship_manager=policy.requires_relationship_manager,
            max_book_size=policy.max_book_size,
            privileges=tuple(privilege.name for privilege in policy.privileges.all()),
            suggested_channels=tuple(
                SuggestedChannelView(id=s.channel.pk, name=s.channel.name, kind=s.channel.kind)
                for s in policy.suggested_channels.all()
            ),
        )

    @classmethod
    def default(cls, tier: str) -> ServicePolicy:
        """The starting policy of ``tier``, for a bank that has stored none for it."""
        default = policy_defaults.default_for(tier)
        return cls(
            tier=tier,
            tier_label=tier_label(tier),
            contact_cadence_days=default.cadence_days,
            requires_relationship_manager=default.requires_relationship_manager,
            max_book_size=default.max_book_size,
            privileges=tuple(str(name) for name in default.privileges),
            suggested_channels=(),
            is_default=True,
        )


def _policies() -> QuerySet[TierServicePolicy]:
    return TierServicePolicy.objects.prefetch_related(
        Prefetch("privileges", queryset=ServicePrivilege.objects.order_by("position", "id")),
        Prefetch(
            "suggested_channels",
            queryset=SuggestedChannel.objects.select_related("channel").order_by("channel__code"),
        ),
    )


def service_policy_for(tier: str) -> ServicePolicy | None:
    """Return the current bank's service policy for customers of ``tier``; None for no tier.

    For the follow-ups issue's cadence reminders and for every page that shows a customer's
    service level: ``contact_cadence_days`` is the days between planned contacts (None: no
    cadence for the tier), ``requires_relationship_manager`` and ``max_book_size`` the RM
    coverage rule, ``privileges`` the bank's list in its order, ``suggested_channels`` the
    electronic channels the bank steers the tier to (set for BZ). Any tier value works: one
    the bank has no row for reads the defaults (``is_default``). Three queries at most (the
    policy, its privileges, its channels); needs a current tenant.
    """
    if not tier:
        return None
    policy = _policies().filter(tier=tier).first()
    return ServicePolicy.of(policy) if policy is not None else ServicePolicy.default(tier)


def service_policies() -> list[ServicePolicy]:
    """Every tier's policy for the current bank, in the tiers' order (three queries).

    A job that plans contacts per tier reads this once per bank, not once per customer.
    """
    stored = {policy.tier: ServicePolicy.of(policy) for policy in _policies()}
    return [stored.get(tier) or ServicePolicy.default(tier) for tier in Customer.Tier.values]


def tiers_requiring_manager() -> list[str]:
    """The tiers whose customers must have a relationship manager (one query)."""
    return [policy.tier for policy in _stored_or_default_rules() if policy.requires]


def book_caps() -> dict[str, int]:
    """The book cap per relationship manager of each capped tier (one query)."""
    return {rule.tier: rule.cap for rule in _stored_or_default_rules() if rule.cap is not None}


@dataclass(frozen=True)
class _Rule:
    tier: str
    requires: bool
    cap: int | None


def _stored_or_default_rules() -> list[_Rule]:
    stored = {
        tier: _Rule(tier, requires, cap)
        for tier, requires, cap in TierServicePolicy.objects.values_list(
            "tier", "requires_relationship_manager", "max_book_size"
        )
    }
    rules = []
    for tier in Customer.Tier.values:
        default = policy_defaults.default_for(tier)
        rules.append(
            stored.get(tier)
            or _Rule(tier, default.requires_relationship_manager, default.max_book_size)
        )
    return rules


# --- coverage reports ------------------------------------------------------------------------


def customers_without_manager(staff: Staff, *, tiers: list[str]) -> QuerySet[Customer]:
    """Customers in ``staff``'s scope, of ``tiers``, whom no relationship manager looks after.

    Closed customers need no manager and are left out. Read page by page newest first
    (``customers.selectors.customer_page``), never counted. The existing indexes serve it:
    ``customer_tier`` (tenant, tier, id) read backwards for one tier, or
    ``customer_branch_tier`` (tenant, home_branch, tier, id) for a branch manager's subtree,
    checking the manager and status of each row until a page is full; or ``customer_rm``
    (tenant, relationship_manager, id), whose ``IS NULL`` range is the pool, filtered by
    tier. All are equalities or null tests on text and bigint, index conditions under
    row-level security. Not measured at a million customers yet: where few customers of
    a tier lack a manager, a page may read most of that tier (a partial index on
    ``(tenant, tier, id) WHERE relationship_manager_id IS NULL`` in customers would fix it).
    """
    return (
        Customer.objects.in_scope(staff)
        .filter(tier__in=tiers, relationship_manager__isnull=True)
        .exclude(status=Customer.Status.CLOSED)
        .select_related("home_branch")
        .only("number", "name", "kind", "tier", "aum_fen", "status", "home_branch__name")
    )


@dataclass(frozen=True)
class BookOverCap:
    manager_id: int
    manager_name: str
    branch_name: str
    tier: str
    tier_label: str
    book_size: int
    cap: int

    @property
    def over_by(self) -> int:
        return self.book_size - self.cap


def managers_over_book_caps(staff: Staff) -> list[BookOverCap]:
    """Relationship managers whose book holds more customers of a tier than its cap.

    One row per manager and tier, the largest excess first. A manager's book is counted
    whole, wherever its customers are homed (a book spans branches), but only the managers
    ``staff`` may see are listed: a branch manager sees their subtree's managers.

    Three queries: the caps, one GROUP BY over the customers of the capped tiers (read
    through ``customer_tier`` (tenant, tier, id), one index range per capped tier; its cost
    grows with those tiers' customers, not with the bank), and the managers' names.
    """
    caps = book_caps()
    if not caps:
        return []
    counts = (
        Customer.objects.filter(tier__in=list(caps), relationship_manager__isnull=False)
        .exclude(status=Customer.Status.CLOSED)
        .values_list("relationship_manager_id", "tier")
        .annotate(book_size=Count("id"))
        .order_by()
    )
    over = [
        (manager_id, tier, book_size)
        for manager_id, tier, book_size in counts
        if book_size > caps[tier]
    ]
    if not over:
        return []
    managers = {
        manager.pk: manager
        for manager in Staff.objects.in_scope(staff)
        .filter(pk__in={manager_id for manager_id, _tier, _size in over})
        .select_related("branch")
        .only("name", "branch__name")
    }
    rows = [
        BookOverCap(
            manager_id=manager_id,
            manager_name=managers[manager_id].name,
            branch_name=managers[manager_id].branch.name if managers[manager_id].branch else "",
            tier=tier,
            tier_label=tier_label(tier),
            book_size=book_size,
            cap=caps[tier],
        )
        for manager_id, tier, book_size in over
        if manager_id in managers
    ]
    return sorted(rows, key=lambda row: (-row.over_by, row.manager_name, row.tier))


# The columns of ``monthly_income``, in order.
INCOME_COLUMNS = (
    "customer_id",
    "deposit_interest",
    "loan_interest",
    "fee_income",
    "other_income",
    "estimated",
)

# One customer's estimate: each balance group of the month's snapshot (deposits, loans,
# wealth) times the spread of the products the customer holds in that group, weighted by
# what each holding holds today (snapshots are per customer, not per product), over 12.
# A group whose holdings hold nothing today takes the plain mean of its products' spreads;
# a product without a spread in force earns nothing. Holdings opened after the month do
# not count. The spread in force on the month's last day applies: balances are month-end.
DEPOSIT_GROUP = [Product.Category.DEPOSIT.value]
LOAN_GROUP = [category.value for category in Product.LIABILITY_CATEGORIES]
WEALTH_GROUP = [
    category.value for category in Product.ASSET_CATEGORIES if category not in DEPOSIT_GROUP
]

MONTHLY_INCOME_SQL = """
SELECT c.id AS customer_id,
       CASE WHEN f.id IS NULL THEN coalesce(round(b.deposits * r.deposit_rate / 12, 2), 0)
            ELSE f.deposit_interest END AS deposit_interest,
       CASE WHEN f.id IS NULL THEN coalesce(round(b.loans * r.loan_rate / 12, 2), 0)
            ELSE f.loan_interest END AS loan_interest,
       CASE WHEN f.id IS NULL THEN coalesce(round(b.wealth * r.wealth_rate / 12, 2), 0)
            ELSE f.fee_income END AS fee_income,
       CASE WHEN f.id IS NULL THEN 0.00 ELSE f.other_income END AS other_income,
       f.id IS NULL AS estimated
  FROM customers_customer AS c
  LEFT JOIN marketing_contribution AS f
         ON f.tenant_id = c.tenant_id AND f.customer_id = c.id
        AND f.month = %(income_month)s
  LEFT JOIN customers_balancesnapshot AS b
         ON b.tenant_id = c.tenant_id AND b.customer_id = c.id
        AND b.month = %(income_month)s
  LEFT JOIN (
        SELECT customer_id,
               coalesce(sum(balance * rate) FILTER (WHERE grp = 'deposits')
                            / nullif(sum(balance) FILTER (WHERE grp = 'deposits'), 0),
                        avg(rate) FILTER (WHERE grp = 'deposits')) AS deposit_rate,
               coalesce(sum(balance * rate) FILTER (WHERE grp = 'loans')
                            / nullif(sum(balance) FILTER (WHERE grp = 'loans'), 0),
                        avg(rate) FILTER (WHERE grp = 'loans')) AS loan_rate,
               coalesce(sum(balance * rate) FILTER (WHERE grp = 'wealth')
                            / nullif(sum(balance) FILTER (WHERE grp = 'wealth'), 0),
                        avg(rate) FILTER (WHERE grp = 'wealth')) AS wealth_rate
          FROM (
                SELECT h.customer_id, h.balance, coalesce(sp.annual_rate, 0) AS rate,
                       CASE WHEN p.category = ANY(%(income_deposit_group)s) THEN 'deposits'
                            WHEN p.category = ANY(%(income_loan_group)s) THEN 'loans'
                            WHEN p.category = ANY(%(income_wealth_group)s) THEN 'wealth'
                       END AS grp
                  FROM customers_holding AS h
                  JOIN customers_product AS p
                       ON p.tenant_id = h.tenant_id AND p.id = h.product_id
                  LEFT JOIN marketing_productspread AS sp
                         ON sp.tenant_id = h.tenant_id AND sp.product_id = h.product_id
                        AND sp.valid_from <= %(income_month_end)s
                        AND (sp.valid_until IS NULL OR sp.valid_until >= %(income_month_end)s)
                 WHERE h.tenant_id = %(income_tenant)s
                   AND h.opened_on <= %(income_month_end)s
                   AND h.customer_id >= %(income_first_id)s
                   AND h.customer_id < %(income_end_id)s
               ) AS priced
         GROUP BY customer_id
       ) AS r ON r.customer_id = c.id
 WHERE c.tenant_id = %(income_tenant)s
   AND c.id >= %(income_first_id)s AND c.id < %(income_end_id)s
"""

# Past every bigint id: "no upper bound" for the range parameters.
_NO_END = 2**63 - 1


@dataclass(frozen=True)
class MonthlyIncome:
    customer_id: int
    deposit_interest: Decimal
    loan_interest: Decimal
    fee_income: Decimal
    other_income: Decimal
    estimated: bool

    @property
    def total(self) -> Decimal:
        return self.deposit_interest + self.loan_interest + self.fee_income + self.other_income


def monthly_income(
    month: date, *, customer_ids: tuple[int, int] | None = None
) -> tuple[str, dict[str, Any]]:
    """Return one SQL statement, and its parameters, giving every customer of the current
    bank their income components in ``month`` (its first day).

    The statement's rows have the columns ``INCOME_COLUMNS``: ``customer_id``, then
    ``deposit_interest``, ``loan_interest``, ``fee_income``, ``other_income`` (numeric,
    CNY, either sign, two places) and ``estimated`` (boolean). Where the finance system's
    feed sent the month (a ``Contribution``), its figures are used as they are and
    ``estimated`` is false. Otherwise each figure is estimated from the month's
    ``BalanceSnapshot`` times the annual spread (``ProductSpread``) of the products the
    customer holds, divided by 12: deposits' spread makes deposit interest, loans' and
    cards' (what the customer owes) loan interest, wealth, fund and insurance products'
    fee income; other income is 0; a customer without a snapshot that month gets zeros.
    Every customer of the bank has exactly one row.

    ``customer_ids`` (first, end): only the customers with ``first <= id < end``, for
    passes over a big bank range by range.

    The parameters are named, every name starting with ``income_``, so that a caller can
    put the statement in its own as a sub-select and merge the dictionaries::

        sql, params = monthly_income(month)
        cursor.execute(f"INSERT INTO scores (...) SELECT ... FROM ({sql}) AS income ...",
                       {**params, "run": run_id})

    It filters by the bank's tenant explicitly (the planner then uses the ``(tenant_id,
    ...)`` indexes under row-level security) and reads each table once: customers, the
    month's contributions and snapshots by their unique keys, holdings with their products
    and spreads aggregated per customer by one hash aggregate.
    """
    if month.day != 1:
        raise ValueError("A month is given by its first day.")
    first, end = customer_ids or (0, _NO_END)
    return MONTHLY_INCOME_SQL, {
        "income_tenant": require_tenant().pk,
        "income_month": month,
        "income_month_end": month_end(month),
        "income_first_id": first,
        "income_end_id": end,
        "income_deposit_group": DEPOSIT_GROUP,
        "income_loan_group": LOAN_GROUP,
        "income_wealth_group": WEALTH_GROUP,
    }


def monthly_income_rows(
    month: date, *, customer_ids: tuple[int, int] | None = None
) -> dict[int, MonthlyIncome]:
    """Run ``monthly_income`` and return its rows by customer id (for small banks, tests
    and single pages; a big bank's job uses the statement inside its own)."""
    sql, params = monthly_income(month, customer_ids=customer_ids)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0]: MonthlyIncome(*row) for row in cursor.fetchall()}


# --- scoring runs --------------------------------------------------------------------------

SCORING_RUNS_SHOWN = 60  # five years of monthly runs and their re-runs, newest first


def scoring_runs_for(staff: Staff) -> QuerySet[ScoringRun]:
    """The bank's scoring runs this staff member may see, the newest month first."""
    return (
        ScoringRun.objects.in_scope(staff)
        .select_related("requested_by")
        .order_by("-month", "-version")[:SCORING_RUNS_SHOWN]
    )


def get_scoring_run_or_404(staff: Staff, pk: int) -> ScoringRun:
    from django.shortcuts import get_object_or_404

    return get_object_or_404(
        ScoringRun.objects.in_scope(staff).select_related("requested_by"), pk=pk
    )
