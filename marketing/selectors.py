"""Reads of customer value: the tier rules in force, the tiers set by hand."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from crm.approvals.models import Proposal
from crm.tenancy.models import Staff
from customers.models import Customer
from marketing.models import ManualTier, TierRuleSet

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
