"""Customer value rows as the scoring job leaves them, for the tier reports' tests."""

from datetime import date
from decimal import Decimal

from django.utils import timezone

from crm.tenancy.context import tenant_context
from customers.models import Customer
from marketing.models import CustomerValue, Reason, ScoringRun, TierRuleSet

ZERO = Decimal("0.00")


def scored_month(tenant, month: date, *, customers: int = 1) -> ScoringRun:
    """A finished scoring run of ``month`` (the tier reports offer the months runs scored)."""
    with tenant_context(tenant):
        return ScoringRun.objects.create(
            tenant=tenant,
            month=month,
            version=1,
            status=ScoringRun.Status.FINISHED,
            started_at=timezone.now(),
            finished_at=timezone.now(),
            customers=customers,
        )


def customer_value(
    customer: Customer,
    run: ScoringRun,
    *,
    tier: str,
    contribution: Decimal | str = ZERO,
    estimated: bool = False,
) -> CustomerValue:
    """The customer's value in the run's month: ``tier`` earned and held, ``contribution``
    all of it as deposit interest."""
    contribution = Decimal(contribution)
    with tenant_context(customer.tenant):
        rule_set = TierRuleSet.objects.filter(kind=customer.kind).order_by("-version").first()
        return CustomerValue.objects.create(
            tenant=customer.tenant,
            customer=customer,
            month=run.month,
            run=run,
            deposit_interest=contribution,
            loan_interest=ZERO,
            fee_income=ZERO,
            other_income=ZERO,
            income_estimated=estimated,
            cost_to_serve=ZERO,
            risk_cost=ZERO,
            contribution=contribution,
            life_stage=ZERO,
            means=ZERO,
            trend=ZERO,
            gap=ZERO,
            potential=ZERO,
            rule_set=rule_set,
            earned_tier=tier,
            tier=tier,
            reason=Reason.ORDINARY,
        )
