"""An approved manual tier is the customer's tier at once, not at the next monthly scoring;
withdrawn, the computed tier comes back at once. Each change has its history row naming who
decided it, and only a tier that differs is written."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.approvals.models import Proposal
from crm.tenancy.roles import Role
from customers.models import Customer
from marketing.models import CustomerValue, ManualTier, Reason, TierChange
from marketing.selectors import manual_tier_of
from marketing.services import scoring_run_once

MANUAL_TIERS = reverse("marketing:manual_tiers")


def request_tier(bank, client_for, tier=Customer.Tier.MVC) -> Proposal:
    response = client_for(bank[Role.MARKETING_MANAGER]).post(
        MANUAL_TIERS,
        {
            "customer_number": bank.customer.number,
            "tier": tier,
            "reason": "AAA战略客户：集团总部",
            "expires_on": (timezone.localdate() + timedelta(days=90)).isoformat(),
        },
    )
    assert response.status_code == 302
    with bank.scope():
        return Proposal.objects.get(action="marketing.manual_tier", status="pending")


def approve(client, proposal):
    response = client.post(
        reverse("approvals:detail", args=[proposal.pk]), {"decision": "approve", "reason": "同意"}
    )
    assert response.status_code == 302


def customer_row(bank) -> Customer:
    with bank.scope():
        return Customer.objects.get(pk=bank.customer.pk)


def changes(bank) -> list[tuple]:
    with bank.scope():
        return list(
            TierChange.objects.filter(customer=bank.customer)
            .order_by("changed_at", "pk")
            .values_list("from_tier", "to_tier", "reason", "run", "changed_by")
        )


def set_tier(bank, tier: str) -> None:
    with bank.scope():
        Customer.objects.filter(pk=bank.customer.pk).update(tier=tier)


def test_the_approved_tier_is_the_customers_at_once_with_who_approved_it(
    bank_a, client_for, second_marketing_manager
):
    set_tier(bank_a, Customer.Tier.ORDINARY)
    proposal = request_tier(bank_a, client_for)

    approve(client_for(second_marketing_manager), proposal)

    assert customer_row(bank_a).tier == Customer.Tier.MVC
    approver = second_marketing_manager.pk
    assert changes(bank_a) == [
        (Customer.Tier.ORDINARY, Customer.Tier.MVC, Reason.MANUAL, None, approver)
    ]


def test_a_customer_already_at_the_tier_is_not_rewritten(
    bank_a, client_for, second_marketing_manager
):
    set_tier(bank_a, Customer.Tier.MVC)
    stamp = customer_row(bank_a).updated_at
    proposal = request_tier(bank_a, client_for)

    approve(client_for(second_marketing_manager), proposal)

    with bank_a.scope():
        assert manual_tier_of(bank_a.customer) is not None  # in force all the same
    assert customer_row(bank_a).updated_at == stamp
    assert changes(bank_a) == []


def test_a_refused_approval_changes_no_tier(bank_a, client_for, second_marketing_manager):
    """The tier is set in the approval's transaction: an approval that fails leaves it."""
    set_tier(bank_a, Customer.Tier.ORDINARY)
    proposal = request_tier(bank_a, client_for)
    # Another manual tier put in force meanwhile: the approval's check refuses this one.
    with bank_a.scope():
        ManualTier.objects.create(
            customer=bank_a.customer,
            tier=Customer.Tier.MGC,
            reason="另一个",
            starts_on=timezone.localdate(),
            expires_on=timezone.localdate(),
            requested_by=bank_a[Role.MARKETING_MANAGER],
            approved_by=bank_a[Role.TENANT_ADMIN],
        )
    client_for(second_marketing_manager).post(
        reverse("approvals:detail", args=[proposal.pk]), {"decision": "approve", "reason": "同意"}
    )
    assert customer_row(bank_a).tier == Customer.Tier.ORDINARY
    assert changes(bank_a) == []


def test_withdrawing_gives_back_the_computed_tier_at_once(
    bank_a, client_for, second_marketing_manager
):
    set_tier(bank_a, Customer.Tier.ORDINARY)
    approve(client_for(second_marketing_manager), request_tier(bank_a, client_for))
    with bank_a.scope():
        manual = manual_tier_of(bank_a.customer)
    manager = bank_a[Role.MARKETING_MANAGER]

    response = client_for(manager).post(reverse("marketing:manual_tier_withdraw", args=[manual.pk]))

    assert response.status_code == 302
    assert customer_row(bank_a).tier == Customer.Tier.ORDINARY
    assert changes(bank_a)[-1] == (
        Customer.Tier.MVC,
        Customer.Tier.ORDINARY,
        Reason.MANUAL_ENDED,
        None,
        manager.pk,
    )


def test_withdrawing_after_a_scoring_gives_back_what_the_month_earned(
    bank_a, client_for, second_marketing_manager
):
    set_tier(bank_a, Customer.Tier.BZ)
    approve(client_for(second_marketing_manager), request_tier(bank_a, client_for))
    last_month = (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=1)
    with bank_a.scope():
        scoring_run_once(month=last_month)  # the manual tier stands over what it earned
        manual = manual_tier_of(bank_a.customer)
        earned = CustomerValue.objects.get(customer=bank_a.customer, month=last_month).earned_tier
    assert customer_row(bank_a).tier == Customer.Tier.MVC

    client_for(bank_a[Role.MARKETING_MANAGER]).post(
        reverse("marketing:manual_tier_withdraw", args=[manual.pk])
    )

    assert customer_row(bank_a).tier == earned


def test_scoring_an_earlier_month_keeps_a_manual_tier_approved_since(
    bank_a, client_for, second_marketing_manager
):
    """Approved on the 3rd, last month is scored on the 5th: the manual tier was not in
    force on last month's last day, yet the customer keeps it."""
    set_tier(bank_a, Customer.Tier.ORDINARY)
    approve(client_for(second_marketing_manager), request_tier(bank_a, client_for))
    with bank_a.scope():
        scoring_run_once(month=date(2026, 6, 1))

    assert customer_row(bank_a).tier == Customer.Tier.MVC
    assert [change[1] for change in changes(bank_a)] == [Customer.Tier.MVC]


@pytest.mark.parametrize("tier", [Customer.Tier.MGC, Customer.Tier.BZ])
def test_each_manual_tier_is_copied(bank_a, client_for, second_marketing_manager, tier):
    set_tier(bank_a, Customer.Tier.ORDINARY)
    approve(client_for(second_marketing_manager), request_tier(bank_a, client_for, tier))
    assert customer_row(bank_a).tier == tier
