"""A relationship manager's open service requests move with their book, atomically."""

import pytest

from channels import services
from channels.models import ServiceRequest
from crm.domain import DomainError
from crm.tenancy.roles import Role
from customers import services as customer_services
from customers.handover import register_handover_participant, unregister_handover_participant
from customers.models import Assignment, Customer
from tests.factories import CustomerFactory, StaffFactory
from tests.factories.channels import standard_catalog


@pytest.fixture
def work(bank_a):
    """The RM's book with open, closed and colleagues' requests, and a second RM."""
    catalog = standard_catalog(bank_a.tenant)
    rm = bank_a[Role.RELATIONSHIP_MANAGER]
    colleague = StaffFactory(branch=bank_a.sub_branch, roles=[Role.RELATIONSHIP_MANAGER])
    second = CustomerFactory(home_branch=bank_a.sub_branch, relationship_manager=rm)
    not_in_book = CustomerFactory(home_branch=bank_a.sub_branch)

    def open_request(customer, owner):
        return services.service_request_open(
            request_type=catalog["request_types"]["CARD_REPLACEMENT"],
            customer=customer,
            channel=catalog["channels"]["MOBILE"],
            summary="补办银行卡",
            owner=owner,
        )

    with bank_a.scope():
        requests = {
            "open": open_request(bank_a.customer, rm),
            "second": open_request(second, rm),
            "teller's": open_request(bank_a.customer, bank_a[Role.TELLER]),
            "not in book": open_request(not_in_book, rm),
            "closed": open_request(second, rm),
        }
        ServiceRequest.objects.filter(pk=requests["closed"].pk).update(
            status=ServiceRequest.Status.COMPLETED
        )
    return rm, colleague, requests


def owners(bank, requests) -> dict[str, int | None]:
    with bank.scope():
        return {
            name: ServiceRequest.objects.get(pk=request.pk).owner_id
            for name, request in requests.items()
        }


def test_the_open_requests_of_the_book_go_to_the_new_manager(bank_a, work):
    rm, colleague, requests = work
    with bank_a.scope():
        moved = customer_services.book_handover(
            from_manager=rm, to_manager=colleague, actor=bank_a[Role.BRANCH_MANAGER], reason="离职"
        )
    assert moved == 2
    assert owners(bank_a, requests) == {
        "open": colleague.pk,
        "second": colleague.pk,
        "teller's": bank_a[Role.TELLER].pk,
        "not in book": rm.pk,
        "closed": rm.pk,
    }


def test_a_book_released_to_the_pool_leaves_its_requests_to_the_team(bank_a, work):
    rm, _colleague, requests = work
    with bank_a.scope():
        customer_services.book_handover(
            from_manager=rm, to_manager=None, actor=bank_a[Role.BRANCH_MANAGER], reason="调岗"
        )
    assert owners(bank_a, requests)["open"] is None
    assert owners(bank_a, requests)["teller's"] == bank_a[Role.TELLER].pk


def test_a_participant_that_fails_rolls_the_whole_handover_back(bank_a, work):
    rm, colleague, requests = work
    before = owners(bank_a, requests)

    def refuse(handover):
        raise DomainError("A complaint of this book is being escalated.")

    # After channels' participant: its moves must be undone too.
    register_handover_participant("complaints", refuse)
    try:
        with bank_a.scope(), pytest.raises(DomainError):
            customer_services.book_handover(
                from_manager=rm,
                to_manager=colleague,
                actor=bank_a[Role.BRANCH_MANAGER],
                reason="离职",
            )
    finally:
        unregister_handover_participant("complaints")
    assert owners(bank_a, requests) == before
    with bank_a.scope():
        assert Customer.objects.filter(relationship_manager=rm).count() == 2
        assert not Assignment.objects.filter(kind=Assignment.Kind.HANDOVER).exists()
