"""Marketing's actions that need a second person's approval (crm.approvals)."""

from datetime import timedelta

from django.utils.translation import gettext_lazy as _

from crm.approvals.registry import ApprovalAction
from marketing import selectors, services

TIER_RULES = ApprovalAction(
    key=selectors.TIER_RULES_ACTION,
    label=_("New version of the tier rules"),
    permission="marketing.add_tierruleset",
    check=services.tier_rules_check,
    apply=services.tier_rule_set_create,
    describe=services.tier_rules_describe,
    # Administrators work at the head office: any other administrator decides.
    requires_higher_level=False,
    expires_after=timedelta(days=7),
)

MANUAL_TIER = ApprovalAction(
    key=selectors.MANUAL_TIER_ACTION,
    label=_("Manual tier"),
    permission="marketing.approve_manualtier",
    check=services.manual_tier_check,
    apply=services.manual_tier_create,
    describe=services.manual_tier_describe,
    # Another marketing manager or an administrator, wherever in the bank they work.
    requires_higher_level=False,
)
