"""Put changes of marketing data in the auditors' trail."""

from crm.audit.selectors import register_audited_model
from marketing.models import (
    Contribution,
    ManualTier,
    ProductSpread,
    ScoringRun,
    ServicePrivilege,
    SuggestedChannel,
    TierRuleSet,
    TierServicePolicy,
)


def register() -> None:
    """Put marketing's audited tables in the trail (MarketingConfig.ready() calls this)."""
    register_audited_model(
        TierRuleSet,
        [
            "kind",
            "version",
            "effective_from",
            "new_customer_months",
            "bz_months",
            "mvc_top_percent",
            "mvc_min_contribution",
            "mgc_min_potential",
            "downgrade_months",
            "proposed_by",
            "approved_by",
        ],
    )
    # Who set a customer's tier by hand, who approved it, until when, and who ended it.
    register_audited_model(
        ManualTier,
        ["customer", "tier", "reason", "expires_on", "approved_by", "withdrawn_by"],
        customer=["customer"],
        subject="customer",
    )
    register_audited_model(
        TierServicePolicy,
        ["tier", "contact_cadence_days", "requires_relationship_manager", "max_book_size"],
    )
    register_audited_model(ServicePrivilege, ["policy", "name", "position"], subject="policy")
    register_audited_model(SuggestedChannel, ["policy", "channel"], subject="policy")
    # The administrators' spreads: an estimate of past months changes with them.
    register_audited_model(ProductSpread, ["product", "annual_rate", "valid_from", "valid_until"])
    # Figures as the finance system sent or replaced them (its batches are in the trail too).
    register_audited_model(
        Contribution,
        ["customer", "month", "deposit_interest", "loan_interest", "fee_income", "other_income"],
        customer=["customer"],
    )
    # Who asked for a month to be scored again, and why (the scheduled runs are the job's).
    register_audited_model(ScoringRun, ["month", "version", "status", "requested_by", "reason"])
