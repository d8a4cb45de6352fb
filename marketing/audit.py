"""Put changes of marketing data in the auditors' trail."""

from crm.audit.selectors import register_audited_model
from marketing.models import Contribution, ProductSpread


def register() -> None:
    """Put marketing's audited tables in the trail (MarketingConfig.ready() calls this)."""
    # The administrators' spreads: an estimate of past months changes with them.
    register_audited_model(ProductSpread, ["product", "annual_rate", "valid_from", "valid_until"])
    # Figures as the finance system sent or replaced them (its batches are in the trail too).
    register_audited_model(
        Contribution,
        ["customer", "month", "deposit_interest", "loan_interest", "fee_income", "other_income"],
        customer=["customer"],
    )
