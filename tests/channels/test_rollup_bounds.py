"""A day's transactions always fit the daily roll-up (crm.bounds): each is at most
MAX_AMOUNT, and the roll-up's column holds far more of them than any day brings."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from channels import rollup
from channels.models import DailyChannelRollup, DailyOutletRollup, Interaction
from crm import bounds
from tests.channels.analytics_data import DAY, TRANSACTION, at
from tests.factories import ChannelFactory, InteractionFactory

pytestmark = pytest.mark.django_db


def test_150_of_the_largest_transactions_in_a_day_are_rolled_up(bank_a):
    with bank_a.scope():
        channel = ChannelFactory(tenant=bank_a.tenant, code="MOBILE")
        Interaction.objects.bulk_create(
            InteractionFactory.build(
                customer=bank_a.customer,
                channel=channel,
                kind=TRANSACTION,
                occurred_at=at(10 + minute // 60, minute % 60),
                amount=bounds.MAX_AMOUNT,
            )
            for minute in range(150)
        )
        run = rollup.rollup_day_once(day=DAY)
        assert run is not None and run.status == run.Status.SUCCEEDED, run and run.error
        row = DailyChannelRollup.objects.get(day=DAY, channel=channel)
        assert (row.transactions, row.amount) == (150, 150 * bounds.MAX_AMOUNT)


@pytest.mark.parametrize("model", [DailyChannelRollup, DailyOutletRollup])
def test_the_rollup_column_holds_the_sum_of_ten_trillion_of_the_largest_transactions(model):
    field = model._meta.get_field("amount")
    widest_day = bounds.MAX_AMOUNT * 10**13
    assert len(str(int(widest_day))) <= field.max_digits - field.decimal_places


def test_the_database_refuses_a_transaction_amount_past_the_bound(bank_a):
    with bank_a.scope(), pytest.raises(IntegrityError), transaction.atomic():
        InteractionFactory(customer=bank_a.customer, kind=TRANSACTION, amount=Decimal("1e13"))
