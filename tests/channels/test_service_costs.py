"""Each customer's cost to serve per month, kept by the channel roll-up.

The contacts of tests/channels/analytics_data.py, all in March 2026, at the standard
catalog's costs (counter 12.00, ATM 2.50, mobile 0.30 per contact, whatever its kind):
  bank.customer  counter, mobile, mobile enquiry on DAY; mobile a second before DAY and
                 mobile at the next midnight: 5 contacts, 12.00 + 4 × 0.30 = 13.20
  Zhao           mobile:                              1 contact,  0.30
  Wang           mobile, ATM, counter:                3 contacts, 14.80
  Li             ATM, counter (an enquiry):           2 contacts, 14.50
  other_customer and Qian: no contact, no row (a cost of 0).
"""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction

from channels import rollup, selectors, services
from channels.models import Channel, Interaction, MonthlyServiceCost
from tests.channels.analytics_data import DAY, ENQUIRY, TRANSACTION, at, make_contacts

pytestmark = pytest.mark.django_db

MARCH = date(2026, 3, 1)
MARCH_LAST = date(2026, 3, 31)


def expected(contacts) -> dict[tuple[int, date], tuple[int, Decimal]]:
    bank = contacts.bank
    return {
        (bank.customer.pk, MARCH): (5, Decimal("13.20")),
        (contacts.zhao.pk, MARCH): (1, Decimal("0.30")),
        (contacts.wang.pk, MARCH): (3, Decimal("14.80")),
        (contacts.li.pk, MARCH): (2, Decimal("14.50")),
    }


def cost_rows(bank) -> dict[tuple[int, date], tuple[int, Decimal]]:
    with bank.scope():
        return {
            (row.customer_id, row.month): (row.contacts, row.cost)
            for row in MonthlyServiceCost.objects.all()
        }


def roll_up(bank, first_day: date, last_day: date | None = None) -> None:
    with bank.scope(), transaction.atomic():
        rollup.rollup_days(first_day=first_day, last_day=last_day or first_day)


def test_a_day_gives_its_customers_their_whole_month_at_the_catalog_costs(bank_a):
    contacts = make_contacts(bank_a)
    roll_up(bank_a, DAY)
    assert cost_rows(bank_a) == expected(contacts)


def test_running_a_day_again_gives_the_same_rows_and_writes_nothing(bank_a):
    contacts = make_contacts(bank_a)
    roll_up(bank_a, DAY)
    with bank_a.scope():
        ids = set(MonthlyServiceCost.objects.values_list("pk", flat=True))
    with bank_a.scope(), transaction.atomic():
        again = rollup.service_costs(first_day=DAY, last_day=DAY)
        month_again = rollup.service_costs(first_day=MARCH, last_day=MARCH_LAST)
    assert (again, month_again) == (0, 0)
    assert cost_rows(bank_a) == expected(contacts)
    with bank_a.scope():
        assert set(MonthlyServiceCost.objects.values_list("pk", flat=True)) == ids


def test_a_late_contact_counts_when_a_day_of_its_month_is_rolled_up_again(bank_a):
    contacts = make_contacts(bank_a)
    roll_up(bank_a, DAY)
    # Arrives after DAY was rolled up, dated five days earlier: Zhao, at the counter.
    contacts.log(contacts.zhao, "COUNTER", TRANSACTION, at(9, day=DAY - timedelta(days=5)), "1")
    assert cost_rows(bank_a)[(contacts.zhao.pk, MARCH)] == (1, Decimal("0.30"))
    roll_up(bank_a, DAY)  # e.g. the forced recomputation after a partner's replayed batch
    assert cost_rows(bank_a)[(contacts.zhao.pk, MARCH)] == (2, Decimal("12.30"))


def test_the_months_last_day_picks_up_late_contacts_of_customers_quiet_that_day(bank_a):
    contacts = make_contacts(bank_a)
    roll_up(bank_a, DAY)
    contacts.log(contacts.li, "ATM", ENQUIRY, at(8, day=date(2026, 3, 2)))
    contacts.log(bank_a.other_customer, "SMS", ENQUIRY, at(8, day=date(2026, 3, 20)))
    with bank_a.scope():
        # A partner's correction: Wang's mobile contact was not his.
        Interaction.objects.filter(customer=contacts.wang, channel__code="MOBILE").delete()
    roll_up(bank_a, DAY + timedelta(days=1))  # a quiet day of neither: nothing for them
    assert cost_rows(bank_a)[(contacts.li.pk, MARCH)] == (2, Decimal("14.50"))
    roll_up(bank_a, MARCH_LAST)  # nobody's contact that day: the month is done over
    rows = cost_rows(bank_a)
    assert rows[(contacts.li.pk, MARCH)] == (3, Decimal("17.00"))
    assert rows[(bank_a.other_customer.pk, MARCH)] == (1, Decimal("0.05"))
    assert rows[(contacts.wang.pk, MARCH)] == (2, Decimal("14.50"))


def test_a_customer_whose_contacts_all_went_loses_the_months_row(bank_a):
    contacts = make_contacts(bank_a)
    roll_up(bank_a, DAY)
    with bank_a.scope():
        Interaction.objects.filter(customer=contacts.zhao).delete()
    roll_up(bank_a, MARCH_LAST)
    assert (contacts.zhao.pk, MARCH) not in cost_rows(bank_a)
    assert len(cost_rows(bank_a)) == 3


def test_a_channel_that_costs_nothing_still_counts_the_contact(bank_a):
    contacts = make_contacts(bank_a)
    with bank_a.scope():
        Channel.objects.filter(code="MOBILE").update(cost_per_transaction=Decimal("0"))
    roll_up(bank_a, DAY)
    rows = cost_rows(bank_a)
    assert rows[(contacts.zhao.pk, MARCH)] == (1, Decimal("0.00"))
    assert rows[(bank_a.customer.pk, MARCH)] == (5, Decimal("12.00"))


def test_another_banks_contacts_are_neither_counted_nor_written(bank_a, bank_b):
    contacts = make_contacts(bank_a)
    make_contacts(bank_b)
    with bank_b.scope():
        Channel.objects.filter(code="COUNTER").update(cost_per_transaction=Decimal("99.00"))
    roll_up(bank_a, MARCH, MARCH_LAST)
    assert cost_rows(bank_a) == expected(contacts)
    assert cost_rows(bank_b) == {}


def test_contacts_count_in_the_banks_local_month(bank_a):
    contacts = make_contacts(bank_a)
    # 00:30 on April 1st in Shanghai is still March 31st in UTC.
    contacts.log(contacts.zhao, "MOBILE", ENQUIRY, at(0, 30, day=date(2026, 4, 1)))
    roll_up(bank_a, MARCH, date(2026, 4, 1))
    rows = cost_rows(bank_a)
    assert rows[(contacts.zhao.pk, MARCH)] == (1, Decimal("0.30"))
    assert rows[(contacts.zhao.pk, date(2026, 4, 1))] == (1, Decimal("0.30"))


def test_the_generators_backfill_fills_the_months_as_the_nights_would(bank_a):
    contacts = make_contacts(bank_a)
    with bank_a.scope():
        services.rollup_backfill(first_day=date(2026, 2, 20), last_day=DAY + timedelta(days=1))
    assert cost_rows(bank_a) == expected(contacts)


def test_a_backfill_reads_each_month_once_and_a_night_only_its_day():
    year = rollup.service_cost_passes(date(2025, 3, 15), date(2026, 3, 14))
    assert year == [
        (date(2025, 3 + n, 1) if n < 10 else date(2026, n - 9, 1), None) for n in range(13)
    ]
    assert rollup.service_cost_passes(DAY, DAY) == [(MARCH, DAY)]
    assert rollup.service_cost_passes(MARCH_LAST, MARCH_LAST) == [(MARCH, None)]
    # A night that catches up two days rereads the month once.
    assert rollup.service_cost_passes(DAY, DAY + timedelta(days=1)) == [(MARCH, None)]
    assert rollup.service_cost_passes(MARCH_LAST, date(2026, 4, 1)) == [
        (MARCH, None),
        (date(2026, 4, 1), date(2026, 4, 1)),
    ]


def test_scoring_reads_the_months_cost_with_zero_for_customers_without_contacts(bank_a):
    contacts = make_contacts(bank_a)
    roll_up(bank_a, DAY)
    with bank_a.scope(), connection.cursor() as cursor:
        figure = selectors.monthly_service_cost_sql(MARCH)
        cursor.execute(
            f"SELECT c.id, {figure.value} FROM customers_customer c {figure.join}"
            " WHERE c.tenant_id = %(tenant)s",
            {"tenant": bank_a.tenant.pk, **figure.params},
        )
        per_customer = dict(cursor.fetchall())
        in_the_month = set(selectors.monthly_service_costs(MARCH).values_list("customer_id"))
    assert per_customer == {
        **{customer_id: cost for (customer_id, _month), (_n, cost) in expected(contacts).items()},
        bank_a.other_customer.pk: Decimal("0"),
        contacts.qian.pk: Decimal("0"),
    }
    assert {customer_id for (customer_id,) in in_the_month} == {
        customer_id for customer_id, _month in expected(contacts)
    }
