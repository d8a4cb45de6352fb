"""What marketing adds to a customer's personal-data copy: how the bank valued them, month by
month, and why they held their tier (PIPL Art. 24: the customer may ask how automated
decisions about them were made). MarketingConfig.ready() registers the section."""

from collections.abc import Iterable

from django.utils.translation import gettext_lazy

from customers.models import Customer
from customers.personal_data import CopySection, register_copy_section
from marketing.models import CustomerValue
from marketing.value_panel import explain


def value_rows(customer: Customer) -> Iterable[list]:
    values = (
        CustomerValue.objects.filter(customer=customer).select_related("rule_set").order_by("month")
    )
    for value in values.iterator(chunk_size=500):
        explanation = explain(value)
        yield [
            value.month.strftime("%Y-%m"),
            explanation.tier_label,
            explanation.reason,
            value.deposit_interest,
            value.loan_interest,
            value.fee_income,
            value.other_income,
            value.income_estimated,
            value.cost_to_serve,
            value.risk_cost,
            value.contribution,
            value.potential,
            value.rule_set.version,
        ]


def register() -> None:
    register_copy_section(
        CopySection(
            "value",
            gettext_lazy("Value and tier"),
            (
                gettext_lazy("Month"),
                gettext_lazy("Tier"),
                gettext_lazy("Why"),
                gettext_lazy("Net interest income, deposits"),
                gettext_lazy("Net interest income, loans"),
                gettext_lazy("Fee income"),
                gettext_lazy("Other income"),
                gettext_lazy("Income estimated"),
                gettext_lazy("Cost to serve"),
                gettext_lazy("Risk cost"),
                gettext_lazy("Contribution"),
                gettext_lazy("Growth potential"),
                gettext_lazy("Tier rules version"),
            ),
            value_rows,
            order=85,
        )
    )
