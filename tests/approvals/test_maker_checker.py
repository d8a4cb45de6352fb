"""Maker-checker: a large book handover is proposed, then approved or rejected by someone else."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from crm.approvals.models import Proposal
from crm.approvals.services import proposal_approve, proposal_reject
from crm.domain import DomainError
from crm.notifications.models import Notification
from crm.tenancy.roles import Role
from customers.models import Customer
from tests.factories import StaffFactory
from tests.handover import book_handover_confirmed

BOOK_HANDOVER = reverse("customers:handover")
APPROVALS = reverse("approvals:list")


@pytest.fixture(autouse=True)
def every_handover_is_large(settings):
    settings.LARGE_HANDOVER_SIZE = 0


@pytest.fixture
def colleague(bank_a):
    return StaffFactory(branch=bank_a.sub_branch, name="AAA赵六", roles=[Role.RELATIONSHIP_MANAGER])


@pytest.fixture
def proposal(bank_a, colleague, client_for) -> Proposal:
    """The branch manager proposes handing the RM's book to a colleague."""
    response = book_handover_confirmed(
        client_for(bank_a[Role.BRANCH_MANAGER]),
        {
            "from_manager": bank_a[Role.RELATIONSHIP_MANAGER].pk,
            "to_manager": colleague.pk,
            "reason": "AAA离职交接",
        },
    )
    with bank_a.scope():
        proposal = Proposal.objects.latest("pk")
    assert response.status_code == 302
    assert response.url == reverse("approvals:detail", args=[proposal.pk])
    return proposal


def manager_of(bank, customer) -> int | None:
    with bank.scope():
        return Customer.objects.get(pk=customer.pk).relationship_manager_id


def test_a_large_handover_is_proposed_instead_of_done(bank_a, proposal):
    assert manager_of(bank_a, bank_a.customer) == bank_a[Role.RELATIONSHIP_MANAGER].pk
    assert proposal.status == Proposal.Status.PENDING
    assert proposal.maker_id == bank_a[Role.BRANCH_MANAGER].pk
    assert proposal.payload["size"] == 1
    assert "AAA赵六" in proposal.summary


def test_a_senior_approver_sees_approves_and_the_handover_happens(
    bank_a, colleague, proposal, client_for, django_assert_max_num_queries
):
    client = client_for(bank_a[Role.TENANT_ADMIN])
    with django_assert_max_num_queries(12):
        listing = client.get(APPROVALS).content.decode()
    assert proposal.summary in listing

    response = client.post(
        reverse("approvals:detail", args=[proposal.pk]), {"decision": "approve", "reason": "同意"}
    )

    assert response.status_code == 302
    assert manager_of(bank_a, bank_a.customer) == colleague.pk
    with bank_a.scope():
        proposal.refresh_from_db()
        told = Notification.objects.get(key=f"approvals.proposal:{proposal.pk}:approved")
        history = list(proposal.events.order_by("pgh_id").values_list("status", flat=True))
    assert proposal.status == Proposal.Status.APPROVED
    assert proposal.decided_by_id == bank_a[Role.TENANT_ADMIN].pk
    assert proposal.result
    assert proposal.summary in told.subject
    assert history == ["pending", "approved"]  # audited, change by change


def test_the_maker_and_colleagues_at_the_same_level_cannot_decide(bank_a, proposal, client_for):
    maker = client_for(bank_a[Role.BRANCH_MANAGER])
    page = maker.get(reverse("approvals:detail", args=[proposal.pk]))
    assert page.status_code == 200 and 'data-testid="decision-form"' not in page.content.decode()
    refused = maker.post(
        reverse("approvals:detail", args=[proposal.pk]), {"decision": "approve", "reason": ""}
    )
    assert refused.status_code == 403
    peer = StaffFactory(branch=bank_a.other_branch, roles=[Role.BRANCH_MANAGER])
    peer_client = client_for(peer)
    assert proposal.summary not in peer_client.get(APPROVALS).content.decode()
    assert peer_client.get(reverse("approvals:detail", args=[proposal.pk])).status_code == 404
    with bank_a.scope(), pytest.raises(DomainError):
        proposal_approve(proposal=proposal, actor=peer)
    assert manager_of(bank_a, bank_a.customer) == bank_a[Role.RELATIONSHIP_MANAGER].pk


def test_a_rejection_needs_a_reason_and_tells_the_maker(bank_a, proposal, client_for):
    client = client_for(bank_a[Role.TENANT_ADMIN])
    url = reverse("approvals:detail", args=[proposal.pk])
    assert client.post(url, {"decision": "reject", "reason": ""}).status_code == 400
    assert client.post(url, {"decision": "reject", "reason": "AAA客户太多"}).status_code == 302
    with bank_a.scope():
        proposal.refresh_from_db()
        told = Notification.objects.get(key=f"approvals.proposal:{proposal.pk}:rejected")
    assert proposal.status == Proposal.Status.REJECTED
    assert "AAA客户太多" in told.body
    assert manager_of(bank_a, bank_a.customer) == bank_a[Role.RELATIONSHIP_MANAGER].pk
    with bank_a.scope(), pytest.raises(DomainError):  # decided once only
        proposal_approve(proposal=proposal, actor=bank_a[Role.TENANT_ADMIN])


def test_an_expired_proposal_cannot_be_approved(bank_a, proposal, client_for):
    with bank_a.scope():
        Proposal.objects.filter(pk=proposal.pk).update(expires_at=timezone.now() - timedelta(1))
        proposal.refresh_from_db()
        with pytest.raises(DomainError) as refused:
            proposal_approve(proposal=proposal, actor=bank_a[Role.TENANT_ADMIN])
    assert refused.value.message == gettext(
        "This proposal has expired and can no longer be approved."
    )
    listing = client_for(bank_a[Role.TENANT_ADMIN]).get(APPROVALS).content.decode()
    assert proposal.summary not in listing
    assert manager_of(bank_a, bank_a.customer) == bank_a[Role.RELATIONSHIP_MANAGER].pk


def test_approval_checks_the_proposal_again_against_todays_data(bank_a, colleague, proposal):
    with bank_a.scope():
        colleague.is_active = False
        colleague.save(update_fields=["is_active"])
        with pytest.raises(DomainError) as refused:
            proposal_approve(proposal=proposal, actor=bank_a[Role.TENANT_ADMIN])
        assert refused.value.message == gettext("%(name)s is no longer active.") % {
            "name": colleague.name
        }
        proposal.refresh_from_db()
    assert proposal.status == Proposal.Status.PENDING
    assert manager_of(bank_a, bank_a.customer) == bank_a[Role.RELATIONSHIP_MANAGER].pk


def test_a_small_handover_is_done_at_once(bank_a, colleague, client_for, settings):
    settings.LARGE_HANDOVER_SIZE = 5
    book_handover_confirmed(
        client_for(bank_a[Role.BRANCH_MANAGER]),
        {
            "from_manager": bank_a[Role.RELATIONSHIP_MANAGER].pk,
            "to_manager": colleague.pk,
            "reason": "AAA调岗",
        },
    )
    assert manager_of(bank_a, bank_a.customer) == colleague.pk


def test_staff_without_the_permission_see_no_approvals(bank_a, client_for):
    assert client_for(bank_a[Role.TELLER]).get(APPROVALS).status_code == 403
    with bank_a.scope(), pytest.raises(DomainError):
        proposal_reject(
            proposal=Proposal.objects.get(summary__startswith="AAA"),
            actor=bank_a[Role.TELLER],
            reason="no",
        )


def test_a_head_office_makers_proposal_is_decided_by_another_head_office_person(bank_a, colleague):
    from crm.approvals.services import may_decide, proposal_submit

    admin = bank_a[Role.TENANT_ADMIN]
    second_admin = StaffFactory(branch=bank_a.head_office, roles=[Role.TENANT_ADMIN])
    branch_manager = bank_a[Role.BRANCH_MANAGER]
    with bank_a.scope():
        proposal = proposal_submit(
            action_key="customers.large_handover",
            payload={
                "from_manager": bank_a[Role.RELATIONSHIP_MANAGER].pk,
                "to_manager": colleague.pk,
                "reason": "AAA总行调整",
            },
            actor=admin,
        )
        proposal = Proposal.objects.select_related("maker_branch").get(pk=proposal.pk)
        assert not may_decide(admin, proposal)  # the maker
        assert not may_decide(branch_manager, proposal)  # below the maker
        assert may_decide(second_admin, proposal)
        proposal_approve(proposal=proposal, actor=second_admin, reason="")
    assert manager_of(bank_a, bank_a.customer) == colleague.pk
