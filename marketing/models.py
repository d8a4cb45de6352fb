"""Marketing's tables: each is tenant-owned, under row-level security."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from crm.tenancy.models import Staff, TenantOwned
from customers.models import Customer

MONEY = {"max_digits": 16, "decimal_places": 2}


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
    # What this month's figures alone earn, and what the customer holds after hysteresis
    # and manual tiers: the next months' hysteresis reads the first.
    earned_tier = models.CharField(_("tier earned"), max_length=16, choices=Customer.Tier.choices)
    tier = models.CharField(_("tier"), max_length=16, choices=Customer.Tier.choices)
    reason = models.CharField(_("reason"), max_length=16, choices=Reason.choices)

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
