"""The daily roll-up behind the channel analytics: its figures, idempotency and isolation."""

import importlib
import subprocess
import sys
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import CommandError, call_command
from django_celery_beat.models import PeriodicTask

from channels import rollup
from channels.models import (
    DailyChannelRollup,
    DailyOutletRollup,
    DailyTierPopulation,
    Interaction,
)
from channels.tasks import rollup_tenant_day, rollup_yesterday
from crm.celery import app
from crm.jobs.models import JobRun
from crm.tenancy.context import platform_wide
from customers.models import Customer
from tests.channels.analytics_data import DAY, ENQUIRY, TRANSACTION, at, make_contacts

pytestmark = pytest.mark.django_db


def channel_rows(bank, day: date = DAY) -> set[tuple]:
    """(channel code, branch code, tier, interactions, transactions, amount, customers)."""
    with bank.scope():
        return {
            (
                row.channel.code,
                row.branch.code,
                row.tier,
                row.interactions,
                row.transactions,
                row.amount,
                row.customers,
            )
            for row in DailyChannelRollup.objects.filter(day=day).select_related(
                "channel", "branch"
            )
        }


def outlet_rows(bank, day: date = DAY) -> set[tuple]:
    with bank.scope():
        return {
            (row.outlet.code, row.interactions, row.transactions, row.amount)
            for row in DailyOutletRollup.objects.filter(day=day).select_related("outlet")
        }


def population_rows(bank, day: date = DAY) -> set[tuple]:
    with bank.scope():
        return {
            (row.branch.code, row.tier, row.customers)
            for row in DailyTierPopulation.objects.filter(day=day).select_related("branch")
        }


def all_rows(bank, day: date = DAY) -> list[tuple]:
    """Every roll-up row of the day with its primary key, to prove nothing was rewritten."""
    with bank.scope():
        return [
            *DailyChannelRollup.objects.filter(day=day).order_by("pk").values_list(),
            *DailyOutletRollup.objects.filter(day=day).order_by("pk").values_list(),
            *DailyTierPopulation.objects.filter(day=day).order_by("pk").values_list(),
        ]


def runs(bank) -> list[JobRun]:
    with bank.scope():
        return list(JobRun.objects.filter(job=rollup.JOB, tenant=bank.tenant).order_by("period"))


def roll_up(bank, day: date = DAY, *, force: bool = False):
    with bank.scope():
        return rollup.rollup_day_once(day=day, force=force)


EXPECTED_CHANNEL_ROWS = {
    # channel, branch (the outlet's, else the home branch), tier, interactions,
    # transactions, amount, distinct customers
    ("COUNTER", "AAA-BR", "", 1, 1, Decimal("12345.67"), 1),
    ("MOBILE", "AAA-SUB", "", 3, 2, Decimal("210.50"), 2),
    ("MOBILE", "AAA-BR", "mvc", 1, 1, Decimal("99.50"), 1),
    ("ATM", "AAA-BR2", "mvc", 1, 1, Decimal("500.00"), 1),
    ("ATM", "AAA-BR2", "ordinary", 1, 1, Decimal("300.00"), 1),
    ("COUNTER", "AAA-BR", "ordinary", 1, 0, Decimal("0.00"), 1),
    ("COUNTER", "AAA-BR", "mvc", 1, 1, Decimal("50.00"), 1),
}
EXPECTED_OUTLET_ROWS = {
    ("AAA-CTR", 3, 2, Decimal("12395.67")),
    ("AAA-ATM", 2, 2, Decimal("800.00")),
}
EXPECTED_POPULATION = {
    ("AAA-SUB", "", 2),  # bank.customer and Zhao
    ("AAA-BR2", "", 1),  # the corporate customer, no contact that day: still a customer
    ("AAA-BR", "mvc", 1),  # Wang; Qian is closed
    ("AAA-BR2", "ordinary", 1),  # Li
}


def test_rollup_counts_each_channel_branch_and_tier(bank_a):
    make_contacts(bank_a)

    run = roll_up(bank_a)

    assert channel_rows(bank_a) == EXPECTED_CHANNEL_ROWS
    assert outlet_rows(bank_a) == EXPECTED_OUTLET_ROWS
    assert population_rows(bank_a) == EXPECTED_POPULATION
    assert run.status == JobRun.Status.SUCCEEDED
    assert run.period == "2026-03-10"
    assert run.rows_touched == len(EXPECTED_CHANNEL_ROWS) + 2 + len(EXPECTED_POPULATION)
    # The contacts a second before and at the next midnight are in their own days.
    assert channel_rows(bank_a, DAY - timedelta(days=1)) == set()
    roll_up(bank_a, DAY + timedelta(days=1))
    assert channel_rows(bank_a, DAY + timedelta(days=1)) == {
        ("MOBILE", "AAA-SUB", "", 1, 1, Decimal("2.00"), 1)
    }


def test_the_day_is_the_banks_day(bank_a):
    make_contacts(bank_a)
    with platform_wide():
        bank_a.tenant.time_zone = "UTC"
        bank_a.tenant.save(update_fields=["time_zone"])

    roll_up(bank_a)

    # In UTC the day starts at 08:00 in Shanghai: Wang's 00:00 transaction (and the one
    # a second before) belong to the day before, the next midnight's to this day.
    rows = channel_rows(bank_a)
    assert ("MOBILE", "AAA-BR", "mvc", 1, 1, Decimal("99.50"), 1) not in rows
    assert ("MOBILE", "AAA-SUB", "", 4, 3, Decimal("212.50"), 2) in rows


def test_running_twice_gives_the_same_rows_and_one_recorded_run(bank_a):
    make_contacts(bank_a)
    first = roll_up(bank_a)
    rows = all_rows(bank_a)

    second = roll_up(bank_a)

    assert second is None  # the day was done: skipped
    assert all_rows(bank_a) == rows
    [run] = runs(bank_a)
    assert (run.pk, run.status, run.attempts) == (first.pk, JobRun.Status.SUCCEEDED, 1)


def test_the_statements_themselves_are_idempotent(bank_a):
    make_contacts(bank_a)
    with bank_a.scope():
        written = rollup.rollup_day(day=DAY)
        rows = all_rows(bank_a)
        again = rollup.rollup_day(day=DAY)

    assert written == len(rows)
    assert again == 0  # nothing changed, nothing rewritten
    assert all_rows(bank_a) == rows


def test_late_interactions_are_counted_after_a_forced_recompute(bank_a):
    contacts = make_contacts(bank_a)
    first = roll_up(bank_a)
    # A partner's late batch, a contact that turned out never to have happened, and a
    # customer who moved up a tier.
    contacts.log(contacts.zhao, "WECHAT", ENQUIRY, at(16))
    contacts.log(contacts.li, "ATM", TRANSACTION, at(17), "1000.00", outlet=contacts.atm)
    with bank_a.scope():
        Interaction.objects.filter(customer=contacts.li, kind=ENQUIRY).delete()
        Customer.objects.filter(pk=contacts.wang.pk).update(tier=Customer.Tier.MGC)

    assert roll_up(bank_a) is None
    assert channel_rows(bank_a) == EXPECTED_CHANNEL_ROWS  # not recomputed without force

    again = roll_up(bank_a, force=True)

    assert channel_rows(bank_a) == {
        ("COUNTER", "AAA-BR", "", 1, 1, Decimal("12345.67"), 1),
        ("MOBILE", "AAA-SUB", "", 3, 2, Decimal("210.50"), 2),
        ("WECHAT", "AAA-SUB", "", 1, 0, Decimal("0.00"), 1),
        ("MOBILE", "AAA-BR", "mgc", 1, 1, Decimal("99.50"), 1),
        ("ATM", "AAA-BR2", "mgc", 1, 1, Decimal("500.00"), 1),
        ("ATM", "AAA-BR2", "ordinary", 2, 2, Decimal("1300.00"), 1),
        ("COUNTER", "AAA-BR", "mgc", 1, 1, Decimal("50.00"), 1),
    }
    assert outlet_rows(bank_a) == {
        ("AAA-CTR", 2, 2, Decimal("12395.67")),
        ("AAA-ATM", 3, 3, Decimal("1800.00")),
    }
    assert ("AAA-BR", "mgc", 1) in population_rows(bank_a)
    [run] = runs(bank_a)
    assert run.pk == first.pk == again.pk
    assert (run.status, run.attempts, run.error) == (JobRun.Status.SUCCEEDED, 2, "")


def test_each_bank_rolls_up_only_its_own_interactions(bank_a, bank_b):
    make_contacts(bank_a)
    contacts_b = make_contacts(bank_b)
    contacts_b.log(contacts_b.wang, "POS", TRANSACTION, at(18), "88.00")

    roll_up(bank_a)

    with platform_wide():
        assert not DailyChannelRollup.objects.filter(tenant=bank_b.tenant).exists()
        assert not DailyTierPopulation.objects.filter(tenant=bank_b.tenant).exists()
    roll_up(bank_b)
    assert channel_rows(bank_a) == EXPECTED_CHANNEL_ROWS
    rows_b = channel_rows(bank_b)
    assert ("POS", "ZZZ-BR", "mvc", 1, 1, Decimal("88.00"), 1) in rows_b
    assert all(branch.startswith("ZZZ") for _c, branch, *_ in rows_b)
    with bank_a.scope():
        assert set(DailyChannelRollup.objects.values_list("tenant_id", flat=True).distinct()) == {
            bank_a.tenant.pk
        }
    assert [r.tenant_id for r in runs(bank_a)] == [bank_a.tenant.pk]
    assert [r.tenant_id for r in runs(bank_b)] == [bank_b.tenant.pk]


def test_the_tenant_task_rolls_up_the_day_it_is_given(bank_a):
    make_contacts(bank_a)

    rollup_tenant_day(tenant_id=bank_a.tenant.pk, day=DAY.isoformat())
    rollup_tenant_day(tenant_id=bank_a.tenant.pk, day=DAY.isoformat())

    assert channel_rows(bank_a) == EXPECTED_CHANNEL_ROWS
    assert [(r.period, r.attempts) for r in runs(bank_a)] == [("2026-03-10", 1)]


def test_the_command_backfills_a_range_once_per_day_and_recomputes_with_force(bank_a, bank_b):
    make_contacts(bank_a)
    make_contacts(bank_b)

    call_command("rollup_channels", tenant="aaa", first=date(2026, 3, 9), last=date(2026, 3, 11))
    call_command("rollup_channels", "--tenant", "aaa", "--from", "2026-03-09", "--to", "2026-03-11")

    assert [(r.period, r.attempts) for r in runs(bank_a)] == [
        ("2026-03-09", 1),
        ("2026-03-10", 1),
        ("2026-03-11", 1),
    ]
    assert channel_rows(bank_a) == EXPECTED_CHANNEL_ROWS
    assert runs(bank_b) == []

    call_command("rollup_channels", "--tenant", "aaa", "--from", "2026-03-10", "--force")
    call_command("rollup_channels", "--all-tenants", "--from", "2026-03-10")

    assert [(r.period, r.attempts) for r in runs(bank_a)] == [
        ("2026-03-09", 1),
        ("2026-03-10", 2),
        ("2026-03-11", 1),
    ]
    assert [(r.period, r.attempts) for r in runs(bank_b)] == [("2026-03-10", 1)]
    assert len(channel_rows(bank_b)) == len(EXPECTED_CHANNEL_ROWS)


def test_the_command_refuses_an_unknown_bank_and_a_reversed_range(bank_a):
    with pytest.raises(CommandError, match="No bank"):
        call_command("rollup_channels", "--tenant", "nope")
    with pytest.raises(CommandError, match="after"):
        call_command(
            "rollup_channels", "--tenant", "aaa", "--from", "2026-03-11", "--to", "2026-03-10"
        )


def test_a_date_in_another_format_is_refused_with_a_message_not_a_traceback(bank_a):
    with pytest.raises(CommandError, match="not a date \\(YYYY-MM-DD\\): 30/11/2026"):
        call_command("rollup_channels", "--tenant", "aaa", "--from", "30/11/2026")
    finished = subprocess.run(
        [sys.executable, "manage.py", "rollup_channels", "--tenant", "aaa", "--from", "x"],
        cwd=settings.BASE_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert finished.returncode == 2
    assert "argument --from: not a date (YYYY-MM-DD): x" in finished.stderr
    assert "Traceback" not in finished.stderr


def test_the_nightly_schedule_names_the_fan_out_task(bank_a):
    migration = importlib.import_module("channels.migrations.0004_rollup_schedule")
    with platform_wide():  # the schedule is platform-only (crm/jobs/beat.py)
        migration.schedule(apps, None)  # what migrate did (a flushed database lost it)
        task = PeriodicTask.objects.select_related("crontab").get(task=migration.TASK)
    assert task.enabled
    assert (task.crontab.hour, task.crontab.minute) == ("1", "15")
    assert migration.TASK in app.tasks  # a registered task, not a typo
    assert rollup_yesterday.name == migration.TASK
