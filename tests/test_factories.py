"""The factories make valid rows of their bank, so tests built on them test the product."""

import pytest
from django.core.exceptions import ValidationError

from channels.models import Interaction, ServiceRequest
from crm.tenancy.roles import Role
from tests.factories import (
    AssignmentFactory,
    ConsentFactory,
    CustomerFactory,
    InteractionFactory,
    OutletFactory,
    ServiceRequestFactory,
)


@pytest.fixture
def customer(bank_a):
    return CustomerFactory(home_branch=bank_a.sub_branch, name="AAA客户")


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(
            lambda bank, customer: InteractionFactory(customer=customer), id="interaction"
        ),
        pytest.param(
            lambda bank, customer: ServiceRequestFactory(customer=customer), id="service request"
        ),
        pytest.param(lambda bank, customer: ConsentFactory(customer=customer), id="consent"),
        pytest.param(
            lambda bank, customer: AssignmentFactory(
                customer=customer, relationship_manager=bank[Role.RELATIONSHIP_MANAGER]
            ),
            id="assignment",
        ),
        pytest.param(lambda bank, customer: OutletFactory(branch=bank.sub_branch), id="outlet"),
    ],
)
def test_each_factory_makes_a_valid_row_of_its_bank_only(make, bank_a, bank_b, customer):
    row = make(bank_a, customer)
    assert row.tenant_id == bank_a.tenant.pk
    with bank_a.scope():
        fresh = type(row).objects.get(pk=row.pk)
        fresh.full_clean()
    with bank_b.scope():
        assert not type(row).objects.filter(pk=row.pk).exists()


def test_related_rows_share_one_catalogue_entry_per_code(bank_a, customer):
    first = InteractionFactory(customer=customer)
    second = ServiceRequestFactory(customer=customer)
    assert first.channel_id == second.opened_channel_id
    with bank_a.scope():
        assert Interaction.objects.filter(customer=customer).count() == 1
        request = ServiceRequest.objects.select_related("request_type").get(pk=second.pk)
    assert request.due_at - request.opened_at == request.request_type.sla
    assert request.team_id == customer.home_branch_id


def test_a_factory_refuses_a_row_that_breaks_the_model_rules(bank_a, customer):
    consent = ConsentFactory.build(customer=customer, tenant=bank_a.tenant, channel="fax")
    with bank_a.scope(), pytest.raises(ValidationError):
        consent.full_clean()
