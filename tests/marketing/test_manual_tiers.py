"""Manual tiers: requested by a marketing manager with a reason and an expiry date, approved by
another, shown as manual, ending by themselves or when withdrawn."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from crm.approvals.models import Proposal
from crm.tenancy.roles import Role
from customers.models import Customer
from marketing.models import ManualTier
from marketing.selectors import manual_tier_of, manual_tiers_in_force
from tests.translation import zh

MANUAL_TIERS = reverse("marketing:manual_tiers")


def request_form(bank, **changes) -> dict:
    form = {
        "customer_number": bank.customer.number,
        "tier": Customer.Tier.MVC,
        "reason": "AAA战略客户：集团总部",
        "expires_on": (timezone.localdate() + timedelta(days=90)).isoformat(),
    }
    return {**form, **changes}


def pending(bank) -> list[Proposal]:
    with bank.scope():
        return list(Proposal.objects.filter(action="marketing.manual_tier", status="pending"))


@pytest.fixture
def requested(bank_a, client_for) -> Proposal:
    response = client_for(bank_a[Role.MARKETING_MANAGER]).post(MANUAL_TIERS, request_form(bank_a))
    assert response.status_code == 302
    (proposal,) = pending(bank_a)
    return proposal


def approve(client, proposal):
    return client.post(
        reverse("approvals:detail", args=[proposal.pk]), {"decision": "approve", "reason": "同意"}
    )


def test_a_request_waits_for_approval_and_shows_as_pending(bank_a, requested, client_for):
    assert requested.payload["customer"] == bank_a.customer.pk
    with bank_a.scope():
        assert manual_tier_of(bank_a.customer) is None
    page = client_for(bank_a[Role.MARKETING_MANAGER]).get(MANUAL_TIERS).content.decode()
    assert requested.summary in page
    assert bank_a.customer.number in requested.summary


def test_another_marketing_manager_approves_and_the_tier_is_in_force_as_manual(
    bank_a, requested, second_marketing_manager, client_for
):
    assert approve(client_for(bank_a[Role.MARKETING_MANAGER]), requested).status_code == 403
    assert approve(client_for(second_marketing_manager), requested).status_code == 302
    with bank_a.scope():
        manual = manual_tier_of(bank_a.customer)
        assert manual is not None
        assert manual.tier == Customer.Tier.MVC
        assert manual.requested_by_id == bank_a[Role.MARKETING_MANAGER].pk
        assert manual.approved_by_id == second_marketing_manager.pk
        assert manual.events.count() == 1  # audited
    page = client_for(bank_a[Role.AUDITOR]).get(MANUAL_TIERS).content.decode()
    assert "AAA战略客户：集团总部" in page
    assert "Manual" in page or "人工" in page


def test_a_tenant_admin_may_approve_too(bank_a, requested, client_for):
    assert approve(client_for(bank_a[Role.TENANT_ADMIN]), requested).status_code == 302
    with bank_a.scope():
        assert manual_tier_of(bank_a.customer) is not None


def test_an_expired_manual_tier_is_ignored(bank_a):
    today = timezone.localdate()
    with bank_a.scope():
        ManualTier.objects.create(
            customer=bank_a.customer,
            tier=Customer.Tier.MGC,
            reason="过期",
            starts_on=today - timedelta(days=30),
            expires_on=today - timedelta(days=1),
            requested_by=bank_a[Role.MARKETING_MANAGER],
            approved_by=bank_a[Role.TENANT_ADMIN],
        )
        assert manual_tier_of(bank_a.customer) is None
        # The last day still counts; the day after does not.
        assert manual_tiers_in_force(today - timedelta(days=1)).count() == 1
        assert not manual_tiers_in_force().exists()


def test_withdrawing_ends_the_tier_now_and_keeps_it_in_the_ended_list(
    bank_a, requested, second_marketing_manager, client_for
):
    approve(client_for(second_marketing_manager), requested)
    with bank_a.scope():
        manual = manual_tier_of(bank_a.customer)
    client = client_for(bank_a[Role.MARKETING_MANAGER])
    response = client.post(reverse("marketing:manual_tier_withdraw", args=[manual.pk]))
    assert response.status_code == 302
    with bank_a.scope():
        assert manual_tier_of(bank_a.customer) is None
        manual.refresh_from_db()
        assert manual.withdrawn_by_id == bank_a[Role.MARKETING_MANAGER].pk
        assert manual.events.count() == 2
    assert "AAA战略客户" not in client.get(MANUAL_TIERS).content.decode().split("pending-manual")[0]
    assert "AAA战略客户" in client.get(MANUAL_TIERS, {"show": "ended"}).content.decode()
    # Withdrawn once: a second time finds nothing in force.
    again = client.post(reverse("marketing:manual_tier_withdraw", args=[manual.pk]))
    assert again.status_code == 404


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"customer_number": "NOSUCH"}, "customer_number"),
        ({"customer_number": "ZZZ0001"}, "customer_number"),  # the other bank's customer
        ({"reason": "  "}, "reason"),
        ({"tier": "new"}, "tier"),
        ({"expires_on": "2001-01-01"}, "expires_on"),
        ({"expires_on": "2099-01-01"}, "expires_on"),
    ],
)
def test_bad_requests_are_refused_with_the_field_named(bank_a, bank_b, client_for, changes, field):
    response = client_for(bank_a[Role.MARKETING_MANAGER]).post(
        MANUAL_TIERS, request_form(bank_a, **changes)
    )
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert pending(bank_a) == []


def test_a_second_request_for_the_same_customer_waits_for_the_first(bank_a, requested, client_for):
    response = client_for(bank_a[Role.MARKETING_MANAGER]).post(
        MANUAL_TIERS, request_form(bank_a, tier=Customer.Tier.MGC)
    )
    assert response.status_code == 400
    assert zh("A manual tier for this customer is already waiting for approval.") in (
        response.content.decode()
    )


def test_a_customer_with_a_manual_tier_in_force_gets_no_second(
    bank_a, requested, second_marketing_manager, client_for
):
    approve(client_for(second_marketing_manager), requested)
    response = client_for(bank_a[Role.MARKETING_MANAGER]).post(
        MANUAL_TIERS, request_form(bank_a, tier=Customer.Tier.MGC)
    )
    assert response.status_code == 400
    assert zh("This customer already has a manual tier: withdraw it first.") in (
        response.content.decode()
    )


@pytest.mark.parametrize(
    ("role", "get", "post"),
    [
        (Role.MARKETING_MANAGER, 200, 302),
        (Role.TENANT_ADMIN, 200, 403),
        (Role.AUDITOR, 200, 403),
        (Role.TELLER, 403, 403),
        (Role.RELATIONSHIP_MANAGER, 403, 403),
    ],
)
def test_who_reads_and_who_requests_manual_tiers(bank_a, client_for, role, get, post):
    client = client_for(bank_a[role])
    assert client.get(MANUAL_TIERS).status_code == get
    assert client.post(MANUAL_TIERS, request_form(bank_a)).status_code == post


def test_another_banks_manual_tier_cannot_be_withdrawn(bank_a, bank_b, client_for):
    today = timezone.localdate()
    with bank_b.scope():
        foreign = ManualTier.objects.create(
            customer=bank_b.customer,
            tier=Customer.Tier.MVC,
            reason="ZZZ",
            starts_on=today,
            expires_on=today,
            requested_by=bank_b[Role.MARKETING_MANAGER],
            approved_by=bank_b[Role.TENANT_ADMIN],
        )
    client = client_for(bank_a[Role.MARKETING_MANAGER])
    response = client.post(reverse("marketing:manual_tier_withdraw", args=[foreign.pk]))
    assert response.status_code == 404
    with bank_b.scope():
        assert manual_tier_of(bank_b.customer) is not None


def test_the_page_fits_a_small_query_budget(
    bank_a, requested, second_marketing_manager, client_for, django_assert_max_num_queries
):
    approve(client_for(second_marketing_manager), requested)
    client = client_for(bank_a[Role.MARKETING_MANAGER])
    with django_assert_max_num_queries(14):
        assert client.get(MANUAL_TIERS).status_code == 200
