"""The customer page's "Value" panel: what the customer is worth to the bank, and why they
hold their tier, in figures staff can check and explain (PIPL Art. 24).

It shows the latest scored month: income by type (the feed's, or "estimated" from balances),
cost to serve, risk cost and the contribution they leave; the growth potential and its four
parts; the tier with the reason in words and the version of the rules that gave it; and
the last twelve months' contributions and tiers. Without the personalised-offers consent the
customer is still tiered (a tier is a service level) but kept out of automated offers, and
the panel says so. Two queries: the twelve months with their rules, and the consent.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.models import Consent, Customer
from customers.panels import Panel
from marketing.models import CustomerValue, Reason


@dataclass(frozen=True)
class Explanation:
    tier_label: str
    reason: str
    manual: bool


def explain(value: CustomerValue) -> Explanation:
    """Why the customer holds their tier this month, in a sentence staff can read out."""
    rules = value.rule_set
    tiers = dict(Customer.Tier.choices)
    reason = {
        Reason.NEW: lambda: (
            _("A customer for less than %(months)d months.") % {"months": rules.new_customer_months}
        ),
        Reason.BELOW_ZERO: lambda: (
            _("Contribution below zero in each of the last %(months)d months.")
            % {"months": rules.bz_months}
        ),
        Reason.TOP_SHARE: lambda: (
            _("Contribution in the top %(share)s %% of the bank.")
            % {"share": _percent(rules.mvc_top_percent)}
        ),
        Reason.THRESHOLD: lambda: (
            _("Contribution of at least %(amount)s CNY a month.")
            % {"amount": f"{rules.mvc_min_contribution:,.2f}"}
        ),
        Reason.POTENTIAL: lambda: (
            _("Growth potential %(score)s of 100, at least %(least)d.")
            % {"score": value.potential, "least": rules.mgc_min_potential}
        ),
        Reason.ORDINARY: lambda: _("None of the other tiers' conditions holds."),
        Reason.HELD: lambda: (
            _("Kept: %(tier)s is left only after %(months)d months in a row below it.")
            % {"tier": tiers.get(value.tier, value.tier), "months": rules.downgrade_months}
        ),
        Reason.MANUAL: lambda: _("Set by hand by a marketing manager, with approval."),
    }[Reason(value.reason)]()
    return Explanation(
        tier_label=str(tiers.get(value.tier, value.tier)),
        reason=reason,
        manual=value.reason == Reason.MANUAL,
    )


def _percent(share: Decimal | None) -> str:
    return f"{share.normalize():f}" if share is not None else ""


def value_context(request: HttpRequest, customer: Customer) -> dict:
    months = list(
        CustomerValue.objects.filter(customer=customer)
        .select_related("rule_set")
        .order_by("-month")[:12]
    )
    latest = months[0] if months else None
    personalised = Consent.objects.filter(
        customer=customer, purpose=Consent.Purpose.PERSONALISED_OFFERS, granted=True
    ).exists()
    return {
        "value": latest,
        "explanation": explain(latest) if latest else None,
        "trend": list(reversed(months)),
        "income": (
            latest.deposit_interest + latest.loan_interest + latest.fee_income + latest.other_income
            if latest
            else None
        ),
        "personalised_offers": personalised,
    }


VALUE_PANEL = Panel(
    key="value",
    title=gettext_lazy("Value"),
    template="marketing/panels/value.html",
    context=value_context,
    order=34,
    width="col-lg-6 col-xl-8",
    permission="marketing.view_customervalue",
    lazy=True,
)
