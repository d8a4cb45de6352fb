"""Customer value: the bank's tier rules, by version, the tiers set by hand and the tier
service policy. Every table is tenant-owned, under row-level security."""

from __future__ import annotations

from datetime import date
from typing import Self

import pghistory
import pgtrigger
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateRangeField, RangeBoundary, RangeOperators
from django.contrib.postgres.fields.ranges import BigIntegerRangeField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Func, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from channels.models import Channel
from crm import bounds
from crm.tenancy.managers import ScopedManager, ScopedQuerySet
from crm.tenancy.models import Staff, TenantOwned, event_indexes, every_change
from customers.models import Customer, Product

# Contribution thresholds are monthly amounts in CNY, within one customer's total.
THRESHOLD_DIGITS = 16


class TierRuleSetQuerySet(ScopedQuerySet["TierRuleSet"]):
    def of_kind(self, kind: str) -> Self:
        return self.filter(kind=kind)

    def in_force_for(self, month: date) -> Self:
        """The versions that had started by ``month``, the one in force first."""
        return self.filter(effective_from__lte=month.replace(day=1)).order_by(
            "-effective_from", "-version"
        )


_TierRuleSetManagerBase = ScopedManager.from_queryset(TierRuleSetQuerySet)


class TierRuleSetManager(_TierRuleSetManagerBase["TierRuleSet"]):
    pass


@pghistory.track(*every_change(), meta=event_indexes("tier_rule_set_event_trail"))
class TierRuleSet(TenantOwned):
    """One version of a bank's tier rules for individuals or for companies.

    A version is written once, when a second administrator approves it (maker-checker), and
    never changed afterwards (a trigger refuses updates): the scores of a month name the
    version they were computed with, and a new version applies from its effective month on,
    so that a rule edit never changes a month already scored.
    """

    kind = models.CharField(_("customers"), max_length=16, choices=Customer.Kind.choices)
    version = models.PositiveIntegerField(_("version"))
    effective_from = models.DateField(
        _("effective from"), help_text=_("The first month the rules apply to.")
    )
    new_customer_months = models.PositiveSmallIntegerField(
        _("new customers (months)"),
        default=3,
        help_text=_("Customers of fewer months than this are new customers."),
    )
    bz_months = models.PositiveSmallIntegerField(
        _("BZ after (months)"),
        default=3,
        help_text=_("BZ: a contribution below zero in each of this many last months."),
    )
    mvc_top_percent = models.DecimalField(
        _("MVC: top share of the bank (%)"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("The customers with the highest contribution; ties at the edge included."),
    )
    mvc_min_contribution = models.DecimalField(
        _("MVC: monthly contribution of at least (CNY)"),
        max_digits=THRESHOLD_DIGITS,
        decimal_places=2,
        null=True,
        blank=True,
    )
    mgc_min_potential = models.PositiveSmallIntegerField(
        _("MGC: growth potential of at least (0–100)"), default=70
    )
    downgrade_months = models.PositiveSmallIntegerField(
        _("downgrade after (months)"),
        default=3,
        help_text=_("A customer leaves a tier after this many consecutive months below it."),
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    proposed_by = models.ForeignKey(
        Staff,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("proposed by"),
    )
    approved_by = models.ForeignKey(
        Staff,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("approved by"),
    )
    created_at = models.DateTimeField(_("approved at"), default=timezone.now)

    objects = TierRuleSetManager()

    class Meta:
        verbose_name = _("tier rule set")
        verbose_name_plural = _("tier rule sets")
        ordering = ["kind", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "kind", "version"], name="tier_rule_set_version_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(mvc_top_percent__isnull=False)
                | models.Q(mvc_min_contribution__isnull=False),
                name="tier_rule_set_has_an_mvc_rule",
            ),
            models.CheckConstraint(
                condition=models.Q(mvc_top_percent__gt=0, mvc_top_percent__lte=100)
                | models.Q(mvc_top_percent__isnull=True),
                name="tier_rule_set_mvc_share_is_a_share",
            ),
            models.CheckConstraint(
                condition=models.Q(mgc_min_potential__lte=100), name="tier_rule_set_mgc_score"
            ),
            models.CheckConstraint(
                condition=models.Q(effective_from__day=1), name="tier_rule_set_starts_a_month"
            ),
        ]
        triggers = [
            # Scores name the version they were computed with: it must stay what it was.
            pgtrigger.Protect(name="tier_rule_set_append_only", operation=pgtrigger.Update)
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} v{self.version}"


class ManualTierQuerySet(ScopedQuerySet["ManualTier"]):
    # Whoever sees the customer sees the tier set on them.
    scope_follows = "customer"

    def in_force(self, on: date | None = None) -> Self:
        """Tiers approved, not withdrawn, and not expired on ``on`` (today by default)."""
        on = on or timezone.localdate()
        return self.filter(withdrawn_at__isnull=True, starts_on__lte=on, expires_on__gte=on)

    def expired(self, on: date | None = None) -> Self:
        """Tiers that ran out or were withdrawn."""
        on = on or timezone.localdate()
        return self.filter(models.Q(withdrawn_at__isnull=False) | models.Q(expires_on__lt=on))


# ``in_force`` as SQL, for the scoring job's statement over the whole bank: a sub-select
# of (customer_id, tier) with the parameters ``manual_tenant`` and ``manual_on``.
MANUAL_TIERS_IN_FORCE_SQL = """
SELECT m.customer_id, m.tier FROM marketing_manualtier m
WHERE m.tenant_id = %(manual_tenant)s AND m.withdrawn_at IS NULL
  AND m.starts_on <= %(manual_on)s AND m.expires_on >= %(manual_on)s
"""


_ManualTierManagerBase = ScopedManager.from_queryset(ManualTierQuerySet)


class ManualTierManager(_ManualTierManagerBase["ManualTier"]):
    pass


@pghistory.track(*every_change(), meta=event_indexes("manual_tier_event_trail"))
class ManualTier(TenantOwned):
    """A tier a marketing manager set by hand (a strategic customer), approved by a second
    person, in force from its approval until its expiry date (inclusive) or withdrawal.

    The scoring job gives the customer this tier instead of the computed one while it is in
    force; it then ends by itself, and the computed tier comes back.
    """

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="+", verbose_name=_("customer")
    )
    tier = models.CharField(_("tier"), max_length=16, choices=Customer.Tier.choices)
    reason = models.CharField(_("reason"), max_length=300)
    starts_on = models.DateField(_("from"))
    expires_on = models.DateField(_("expires on"), help_text=_("The last day it applies."))
    requested_by = models.ForeignKey(
        Staff, on_delete=models.PROTECT, related_name="+", verbose_name=_("requested by")
    )
    approved_by = models.ForeignKey(
        Staff, on_delete=models.PROTECT, related_name="+", verbose_name=_("approved by")
    )
    created_at = models.DateTimeField(_("approved at"), default=timezone.now)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        Staff,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("withdrawn by"),
    )

    objects = ManualTierManager()

    class Meta:
        verbose_name = _("manual tier")
        verbose_name_plural = _("manual tiers")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["tenant", "customer", "expires_on"], name="manual_tier_customer"),
            models.Index(fields=["tenant", "expires_on"], name="manual_tier_expiry"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(expires_on__gte=models.F("starts_on")),
                name="manual_tier_expires_after_it_starts",
            ),
            models.CheckConstraint(
                condition=~models.Q(tier=Customer.Tier.NEW), name="manual_tier_is_not_new"
            ),
        ]
        permissions = [
            ("approve_manualtier", _("Can approve manual tiers requested by others")),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.tier}"

    def is_in_force(self, on: date | None = None) -> bool:
        on = on or timezone.localdate()
        return self.withdrawn_at is None and self.starts_on <= on <= self.expires_on


# A cadence longer than a year is no cadence: the follow-ups' planning horizon is a year.
MAX_CADENCE_DAYS = 366
MAX_BOOK_SIZE = 100_000


def tier_label(tier: str) -> str:
    """The tier's name as staff read it; the stored value when the tier is unknown."""
    return str(dict(Customer.Tier.choices).get(tier, tier))


# --- the tier service policy -----------------------------------------------------------------


@pghistory.track(*every_change(), meta=event_indexes("service_policy_event_trail"))
class TierServicePolicy(TenantOwned):
    """How the bank serves the customers of one tier (差异化服务).

    ``tier`` holds a ``customers.Customer.Tier`` value without freezing the choices here, so
    that a tier added to customers (``new``) needs no migration of marketing: the page and the
    selector list every tier customers knows, and a tier without a row reads the defaults.
    """

    tier = models.CharField(_("tier"), max_length=16)
    contact_cadence_days = models.PositiveSmallIntegerField(
        _("contact every (days)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_CADENCE_DAYS)],
        help_text=_("Days between planned contacts with each customer; empty for no cadence."),
    )
    requires_relationship_manager = models.BooleanField(
        _("must have a relationship manager"), default=False
    )
    max_book_size = models.PositiveIntegerField(
        _("most customers of the tier per relationship manager"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_BOOK_SIZE)],
        help_text=_("Empty for no cap."),
    )
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("tier service policy")
        verbose_name_plural = _("tier service policies")
        permissions = [
            ("view_service_coverage", _("Can see the tiers' relationship manager coverage")),
        ]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "tier"], name="service_policy_tier_unique"),
            models.CheckConstraint(
                condition=models.Q(contact_cadence_days__gte=1)
                & models.Q(contact_cadence_days__lte=MAX_CADENCE_DAYS)
                | models.Q(contact_cadence_days__isnull=True),
                name="service_policy_cadence_bounds",
            ),
            models.CheckConstraint(
                condition=models.Q(max_book_size__gte=1, max_book_size__lte=MAX_BOOK_SIZE)
                | models.Q(max_book_size__isnull=True),
                name="service_policy_book_size_bounds",
            ),
        ]

    def __str__(self) -> str:
        return tier_label(self.tier)

    @property
    def tier_label(self) -> str:
        return tier_label(self.tier)


@pghistory.track(*every_change(), meta=event_indexes("service_privilege_event_trail"))
class ServicePrivilege(TenantOwned):
    """One privilege of a tier (a priority window, a fee waiver…), in the bank's order."""

    policy = models.ForeignKey(
        TierServicePolicy,
        on_delete=models.CASCADE,
        related_name="privileges",
        verbose_name=_("tier service policy"),
    )
    name = models.CharField(_("privilege"), max_length=100)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("service privilege")
        verbose_name_plural = _("service privileges")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "policy", "name"], name="service_privilege_name_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name


@pghistory.track(*every_change(), meta=event_indexes("suggested_channel_event_trail"))
class SuggestedChannel(TenantOwned):
    """An electronic channel the bank steers a tier's customers to (BZ: cheaper to serve)."""

    policy = models.ForeignKey(
        TierServicePolicy,
        on_delete=models.CASCADE,
        related_name="suggested_channels",
        verbose_name=_("tier service policy"),
    )
    channel = models.ForeignKey(
        Channel, on_delete=models.CASCADE, related_name="+", verbose_name=_("channel")
    )

    class Meta:
        verbose_name = _("suggested channel")
        verbose_name_plural = _("suggested channels")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "policy", "channel"], name="suggested_channel_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.policy_id} {self.channel_id}"


INCOME_FIGURES = ("deposit_interest", "loan_interest", "fee_income", "other_income")
INCOME_DIGITS = bounds.AMOUNT_DIGITS
INCOME_VALIDATORS = bounds.signed_validators(bounds.MAX_MONTHLY_INCOME)


def _income(label: str) -> models.DecimalField:
    return models.DecimalField(
        label,
        max_digits=INCOME_DIGITS,
        decimal_places=bounds.AMOUNT_PLACES,
        validators=INCOME_VALIDATORS,
    )


@pghistory.track(*every_change(), meta=event_indexes("contribution_event_trail"))
class Contribution(TenantOwned):
    """A customer's income to the bank in one month, as the finance system reports it.

    One row per customer and month; a month sent again replaces its figures. Value scoring
    reads these where they exist and estimates from balances and spreads where they do not
    (``marketing.selectors.monthly_income``).
    """

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="+", verbose_name=_("customer")
    )
    month = models.DateField(
        _("month"), help_text=_("The first day of the month."), validators=bounds.date_validators()
    )
    deposit_interest = _income(_("net interest income from deposits"))
    loan_interest = _income(_("net interest income from loans"))
    fee_income = _income(_("fee income"))
    other_income = _income(_("other income"))
    # The partner system whose feed sent the figures; empty for the bank's own loads.
    partner = models.ForeignKey(
        "tenancy.PartnerApplication",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("partner system"),
    )
    received_at = models.DateTimeField(_("received"), default=timezone.now)

    class Meta:
        verbose_name = _("monthly contribution")
        verbose_name_plural = _("monthly contributions")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "customer", "month"], name="contribution_customer_month_unique"
            ),
            bounds.date_check("month", name="contribution_month_bounds"),
            *(
                bounds.signed_check(
                    figure,
                    name=f"contribution_{figure}_bounds",
                    largest=bounds.MAX_MONTHLY_INCOME,
                )
                for figure in INCOME_FIGURES
            ),
        ]
        # Scoring reads one month of the bank, range of customer ids by range of customer
        # ids, beside the customers table: the month first, then the customer's id.
        indexes = [models.Index(fields=["tenant", "month", "customer"], name="contribution_month")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.month:%Y-%m}"


# A product's periods, as ranges PostgreSQL compares: [valid_from, valid_until], the end
# open when there is none. The product id as a one-point range lets a plain GiST index
# (no btree_gist extension, which the project does not have) refuse overlaps per product.
_PRODUCT_POINT = Func(
    F("product"),
    F("product"),
    RangeBoundary(inclusive_lower=True, inclusive_upper=True),
    function="int8range",
    output_field=BigIntegerRangeField(),
)
_VALIDITY = Func(
    F("valid_from"),
    F("valid_until"),
    RangeBoundary(inclusive_lower=True, inclusive_upper=True),
    function="daterange",
    output_field=DateRangeField(),
)


@pghistory.track(*every_change(), meta=event_indexes("product_spread_event_trail"))
class ProductSpread(TenantOwned):
    """A product's funds-transfer-pricing spread for a period: what the bank earns a year
    on each yuan of the product's balances (for loans and cards, of what is owed).

    Value scoring estimates a customer's income from these where the finance system sent
    no figures. The bank's administrators set them; periods of one product never overlap.
    """

    product = models.ForeignKey(
        Product, on_delete=models.PROTECT, related_name="+", verbose_name=_("product")
    )
    annual_rate = models.DecimalField(
        _("annual spread"),
        max_digits=bounds.SPREAD_RATE_DIGITS,
        decimal_places=bounds.SPREAD_RATE_PLACES,
        validators=bounds.signed_validators(bounds.MAX_SPREAD_RATE),
        help_text=_("A share of the balance per year: 0.015 is 1.5 percent a year."),
    )
    valid_from = models.DateField(_("valid from"), validators=bounds.date_validators(past=False))
    valid_until = models.DateField(
        _("valid until"),
        null=True,
        blank=True,
        help_text=_("The last day it applies; leave empty while it has no end."),
    )

    class Meta:
        verbose_name = _("product spread")
        verbose_name_plural = _("product spreads")
        constraints = [
            bounds.signed_check(
                "annual_rate", name="product_spread_rate_bounds", largest=bounds.MAX_SPREAD_RATE
            ),
            bounds.date_check("valid_from", name="product_spread_valid_from_bounds"),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("valid_from")),
                name="product_spread_ends_after_it_starts",
                violation_error_code="ends_before_start",
                violation_error_message=_("The period cannot end before it starts."),
            ),
            ExclusionConstraint(
                name="product_spread_periods_apart",
                expressions=[
                    (_PRODUCT_POINT, RangeOperators.OVERLAPS),
                    (_VALIDITY, RangeOperators.OVERLAPS),
                ],
                violation_error_code="overlap",
                violation_error_message=_(
                    "This product already has a spread for part of this period."
                ),
            ),
        ]
        indexes = [models.Index(fields=["tenant", "product"], name="product_spread_product")]

    def __str__(self) -> str:
        return f"{self.product} {self.valid_from:%Y-%m-%d}"

    def clean(self) -> None:
        # Said on the field, so that the overlap check (which cannot build a reversed
        # range) is left out rather than failing.
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            raise ValidationError(
                {
                    "valid_until": ValidationError(
                        _("The period cannot end before it starts."), code="ends_before_start"
                    )
                }
            )


MONEY = {"max_digits": 16, "decimal_places": 2}


@pghistory.track(*every_change(), meta=event_indexes("scoring_run_event_trail"))
class ScoringRun(TenantOwned):
    """One scoring of a bank's month: the scheduled one (version 1) or a re-run an
    administrator asked for (2, 3...), each recorded with what it did."""

    class Status(models.TextChoices):
        RUNNING = "running", _("Running")
        FINISHED = "finished", _("Finished")
        FAILED = "failed", _("Failed")

    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    version = models.PositiveSmallIntegerField(_("version"))
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.RUNNING
    )
    started_at = models.DateTimeField(_("started at"))
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    customers = models.PositiveIntegerField(_("customers scored"), default=0)
    tier_changes = models.PositiveIntegerField(_("tier changes"), default=0)
    requested_by = models.ForeignKey(
        Staff,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("requested by"),
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("scoring run")
        verbose_name_plural = _("scoring runs")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "month", "version"], name="scoring_run_version_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} v{self.version}"


class Reason(models.TextChoices):
    """Why a customer holds their tier for a month: the explanation staff read."""

    NEW = "new", _("A customer for less than the rules' months")
    BELOW_ZERO = "below_zero", _("Contribution below zero in each of the rules' months")
    TOP_SHARE = "top_share", _("Contribution in the bank's top share")
    THRESHOLD = "threshold", _("Contribution above the rules' threshold")
    POTENTIAL = "potential", _("Growth potential above the rules' threshold")
    ORDINARY = "ordinary", _("None of the other tiers' conditions")
    HELD = "held", _("Kept: not yet the rules' months below the tier held")
    MANUAL = "manual", _("Set by hand")


class CustomerValueQuerySet(ScopedQuerySet["CustomerValue"]):
    # Whoever sees the customer sees their value: a branch manager sums their subtree.
    scope_follows = "customer"


_CustomerValueManagerBase = ScopedManager.from_queryset(CustomerValueQuerySet)


class CustomerValueManager(_CustomerValueManagerBase["CustomerValue"]):
    pass


class CustomerValue(TenantOwned):
    """A customer's value for one month: the contribution and its components, the growth
    potential and its parts, and the tier they earn, written by the scoring job.

    One row per customer and month; a re-run of the month replaces it and names its run.
    """

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="+", verbose_name=_("customer")
    )
    month = models.DateField(_("month"))
    run = models.ForeignKey(
        ScoringRun, on_delete=models.PROTECT, related_name="+", verbose_name=_("run")
    )
    deposit_interest = models.DecimalField(_("net interest income, deposits"), **MONEY)
    loan_interest = models.DecimalField(_("net interest income, loans"), **MONEY)
    fee_income = models.DecimalField(_("fee income"), **MONEY)
    other_income = models.DecimalField(_("other income"), **MONEY)
    income_estimated = models.BooleanField(_("income estimated"))
    cost_to_serve = models.DecimalField(_("cost to serve"), **MONEY)
    risk_cost = models.DecimalField(_("risk cost"), **MONEY)
    contribution = models.DecimalField(_("contribution"), **MONEY)
    life_stage = models.DecimalField(_("life stage"), max_digits=5, decimal_places=2)
    means = models.DecimalField(_("means"), max_digits=5, decimal_places=2)
    trend = models.DecimalField(_("AUM trend"), max_digits=5, decimal_places=2)
    gap = models.DecimalField(_("product gap"), max_digits=5, decimal_places=2)
    potential = models.DecimalField(_("growth potential"), max_digits=5, decimal_places=2)
    rule_set = models.ForeignKey(
        TierRuleSet, on_delete=models.PROTECT, related_name="+", verbose_name=_("tier rules")
    )
    # What this month's figures alone earn, and what the customer holds after hysteresis
    # and manual tiers: the next months' hysteresis reads the first.
    earned_tier = models.CharField(_("tier earned"), max_length=16, choices=Customer.Tier.choices)
    tier = models.CharField(_("tier"), max_length=16, choices=Customer.Tier.choices)
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices)

    objects = CustomerValueManager()

    class Meta:
        verbose_name = _("customer value")
        verbose_name_plural = _("customer values")
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "customer", "month"], name="customer_value_month_once"
            )
        ]
        indexes = [models.Index(fields=["tenant", "month", "tier"], name="customer_value_tier")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.month:%Y-%m}: {self.tier}"


class TierChange(TenantOwned):
    """A change of a customer's tier: from what, to what, by which run (and so which rules)."""

    customer = models.ForeignKey(
        Customer, on_delete=models.CASCADE, related_name="+", verbose_name=_("customer")
    )
    month = models.DateField(_("month"))
    from_tier = models.CharField(_("from"), max_length=16, blank=True)
    to_tier = models.CharField(_("to"), max_length=16)
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices)
    run = models.ForeignKey(
        ScoringRun, on_delete=models.PROTECT, related_name="+", verbose_name=_("run")
    )
    changed_at = models.DateTimeField(_("changed at"))

    class Meta:
        verbose_name = _("tier change")
        verbose_name_plural = _("tier changes")
        indexes = [
            models.Index(fields=["tenant", "customer", "-changed_at"], name="tier_change_customer"),
            models.Index(fields=["tenant", "month"], name="tier_change_month"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.from_tier or '-'} → {self.to_tier}"
