"""Working-day deadlines follow each bank's calendar of holidays and make-up working days."""

from datetime import date

import pytest
from django.urls import reverse

from crm.business_calendar.models import CalendarDay
from crm.business_calendar.services import (
    add_working_days,
    is_working_day,
    working_days_between,
)
from crm.tenancy.roles import Role


@pytest.fixture
def national_day(bank_a):
    """2025's National Day: 1-8 October off, Sunday 28 Sep and Saturday 11 Oct worked."""
    with bank_a.scope():
        for day in range(1, 9):
            CalendarDay.objects.create(tenant=bank_a.tenant, date=date(2025, 10, day), name="国庆")
        for worked in (date(2025, 9, 28), date(2025, 10, 11)):
            CalendarDay.objects.create(
                tenant=bank_a.tenant, date=worked, name="调休", is_working_day=True
            )


def test_a_deadline_skips_the_holiday_and_counts_the_make_up_saturday(bank_a, national_day):
    with bank_a.scope():
        # Friday 26 Sep + 3 working days: Sun 28 (make-up), Mon 29, Tue 30.
        assert add_working_days(bank_a.tenant, date(2025, 9, 26), 3) == date(2025, 9, 30)
        # Tue 30 Sep + 2: Thu 9 Oct, Fri 10 Oct (1-8 Oct off).
        assert add_working_days(bank_a.tenant, date(2025, 9, 30), 2) == date(2025, 10, 10)
        # ...+3: Saturday 11 Oct is worked.
        assert add_working_days(bank_a.tenant, date(2025, 9, 30), 3) == date(2025, 10, 11)
        assert add_working_days(bank_a.tenant, date(2025, 10, 1), 0) == date(2025, 10, 9)
        assert working_days_between(bank_a.tenant, date(2025, 9, 26), date(2025, 10, 12)) == 6
        assert is_working_day(bank_a.tenant, date(2025, 9, 28))
        assert not is_working_day(bank_a.tenant, date(2025, 10, 6))


def test_another_banks_calendar_does_not_apply(bank_a, bank_b, national_day):
    with bank_b.scope():
        assert add_working_days(bank_b.tenant, date(2025, 9, 30), 2) == date(2025, 10, 2)
        assert working_days_between(bank_b.tenant, date(2025, 9, 26), date(2025, 10, 12)) == 10


def test_a_long_deadline_reads_further_exceptions(bank_a, national_day):
    with bank_a.scope():
        # 60 working days from 1 Aug 2025: past the lookahead window and the holiday.
        end = add_working_days(bank_a.tenant, date(2025, 8, 1), 60)
        assert working_days_between(bank_a.tenant, date(2025, 8, 1), end) == 60


def test_the_banks_administrator_keeps_the_calendar_in_admin(bank_a, client_for):
    client = client_for(bank_a[Role.TENANT_ADMIN])
    changelist = reverse("admin:business_calendar_calendarday_changelist")
    response = client.post(
        reverse("admin:business_calendar_calendarday_add"),
        {"date": "2026-02-16", "name": "AAA春节", "is_working_day": ""},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert "AAA春节" in client.get(changelist).content.decode()
    with bank_a.scope():
        assert not is_working_day(bank_a.tenant, date(2026, 2, 16))
    assert client_for(bank_a[Role.TELLER]).get(changelist).status_code in (302, 403)
