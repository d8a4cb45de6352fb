"""The roll-up over a range of days: the same statements as one day, a job run per day."""

from datetime import timedelta

import pytest
from django.db import transaction

from channels import rollup, services
from channels.models import (
    DailyChannelRollup,
    DailyOutletRollup,
    DailyTierPopulation,
    Interaction,
)
from crm.jobs.models import JobRun
from crm.jobs.runs import run_once_per_period
from tests.channels.analytics_data import DAY, make_contacts
from tests.channels.test_rollup import EXPECTED_CHANNEL_ROWS, channel_rows, runs

pytestmark = pytest.mark.django_db

# make_contacts puts one contact a second before DAY and one at the next midnight.
FIRST, LAST = DAY - timedelta(days=2), DAY + timedelta(days=1)


def every_row(bank) -> set[tuple]:
    with bank.scope():
        return {
            *(
                ("channel", *row)
                for row in DailyChannelRollup.objects.values_list(
                    "day",
                    "channel_id",
                    "branch_id",
                    "tier",
                    "interactions",
                    "transactions",
                    "amount",
                    "customers",
                )
            ),
            *(
                ("outlet", *row)
                for row in DailyOutletRollup.objects.values_list(
                    "day", "outlet_id", "interactions", "transactions", "amount"
                )
            ),
            *(
                ("population", *row)
                for row in DailyTierPopulation.objects.values_list(
                    "day", "branch_id", "tier", "customers"
                )
            ),
        }


def clear(bank) -> None:
    with bank.scope():
        for model in (DailyChannelRollup, DailyOutletRollup, DailyTierPopulation):
            model.objects.all().delete()


def test_a_range_in_one_pass_writes_what_the_days_one_by_one_write(bank_a):
    make_contacts(bank_a)
    with bank_a.scope(), transaction.atomic():
        touched = rollup.rollup_days(first_day=FIRST, last_day=LAST)
    in_one_pass = every_row(bank_a)
    clear(bank_a)
    with bank_a.scope(), transaction.atomic():
        one_by_one = {
            FIRST + timedelta(days=n): rollup.rollup_day(day=FIRST + timedelta(days=n))
            for n in range(4)
        }

    assert every_row(bank_a) == in_one_pass
    assert touched == one_by_one
    assert channel_rows(bank_a) == EXPECTED_CHANNEL_ROWS
    days_with_contacts = {row[1] for row in in_one_pass if row[0] == "channel"}
    assert days_with_contacts == {DAY - timedelta(days=1), DAY, DAY + timedelta(days=1)}
    # Nothing changed, nothing written: running the range again touches no row.
    with bank_a.scope(), transaction.atomic():
        assert rollup.rollup_days(first_day=FIRST, last_day=LAST) == {}


def test_rows_of_a_day_without_contacts_any_more_are_removed(bank_a):
    make_contacts(bank_a)
    with bank_a.scope(), transaction.atomic():
        rollup.rollup_days(first_day=FIRST, last_day=LAST)
        # The contacts of the day before go (a partner's correction).
        start_of_day = rollup.day_bounds(bank_a.tenant, DAY)[0]
        Interaction.objects.filter(occurred_at__lt=start_of_day).delete()
        touched = rollup.rollup_days(first_day=FIRST, last_day=LAST)

    assert set(touched) == {DAY - timedelta(days=1)}
    with bank_a.scope():
        assert not DailyChannelRollup.objects.filter(day=DAY - timedelta(days=1)).exists()
        assert DailyChannelRollup.objects.filter(day=DAY).exists()


def test_the_backfill_records_a_run_per_day_and_skips_the_days_done(bank_a):
    make_contacts(bank_a)
    with bank_a.scope():
        rollup.rollup_day_once(day=DAY)
        rows = services.rollup_backfill(first_day=FIRST, last_day=LAST)
        again = rollup.rollup_days_once(first_day=FIRST, last_day=LAST)

    recorded = runs(bank_a)
    assert [run.period for run in recorded] == [
        (FIRST + timedelta(days=n)).isoformat() for n in range(4)
    ]
    assert {run.status for run in recorded} == {JobRun.Status.SUCCEEDED}
    assert {run.attempts for run in recorded} == {1}
    assert rows == sum(run.rows_touched for run in recorded if run.period != DAY.isoformat())
    assert all(run.rows_touched > 0 for run in recorded)  # population rows, at least
    assert again == []
    with bank_a.scope():
        assert rollup.rollup_day_once(day=FIRST) is None  # the nightly job skips it too


def test_a_failed_pass_marks_every_claimed_day_failed_and_they_run_again(bank_a):
    periods = ["2026-03-01", "2026-03-02"]

    def fail(claimed):
        raise RuntimeError("the database went away")

    with bank_a.scope():
        with pytest.raises(RuntimeError):
            run_once_per_period(job="test.range", periods=periods, work=fail)
        failed = list(JobRun.objects.filter(job="test.range").order_by("period"))
        done = run_once_per_period(
            job="test.range", periods=periods, work=lambda claimed: dict.fromkeys(claimed, 7)
        )

    assert [(run.status, run.error) for run in failed] == [
        (JobRun.Status.FAILED, "RuntimeError: the database went away")
    ] * 2
    assert [(run.period, run.status, run.rows_touched, run.attempts) for run in done] == [
        ("2026-03-01", JobRun.Status.SUCCEEDED, 7, 2),
        ("2026-03-02", JobRun.Status.SUCCEEDED, 7, 2),
    ]
