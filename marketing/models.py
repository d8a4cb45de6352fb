"""Marketing's tables: each is tenant-owned, under row-level security."""

from __future__ import annotations

import pghistory
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateRangeField, RangeBoundary, RangeOperators
from django.contrib.postgres.fields.ranges import BigIntegerRangeField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Func, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from crm import bounds
from crm.tenancy.models import TenantOwned, event_indexes, every_change
from customers.models import Customer, Product

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
