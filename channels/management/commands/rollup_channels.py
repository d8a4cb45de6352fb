"""Fill the channel analytics' daily roll-up for a range of days (backfill or catch-up).

    python manage.py rollup_channels --tenant dongfang --from 2026-01-01 --to 2026-01-31
    python manage.py rollup_channels --all-tenants              # yesterday of every bank
    python manage.py rollup_channels --tenant dongfang --from 2026-01-05 --force

Each day is one run in the job-run table, like the nightly job's: a day already rolled up is
skipped. Interactions that arrive after their day was rolled up (a late partner batch) are
counted only after ``--force``, which recomputes the days even though they ran; the
statements rewrite a day's figures idempotently, so forcing is always safe.
"""

import argparse
from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError

from channels import rollup
from crm.tenancy.context import platform_wide, tenant_context
from crm.tenancy.models import Tenant

MAX_DAYS = 3660


def iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        # argparse turns this into "argument --from: not a date…" and exit status 2.
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text}") from exc


class Command(BaseCommand):
    help = "Roll up the interactions of a range of days for the channel analytics."

    def add_arguments(self, parser):
        banks = parser.add_mutually_exclusive_group(required=True)
        banks.add_argument("--tenant", metavar="CODE", help="The bank's code.")
        banks.add_argument("--all-tenants", action="store_true", help="Every active bank.")
        parser.add_argument(
            "--from", dest="first", type=iso_date, help="First day (default: yesterday)."
        )
        parser.add_argument(
            "--to", dest="last", type=iso_date, help="Last day (default: the first day)."
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Recompute days that were already rolled up (after late interactions).",
        )

    def handle(
        self, *args, tenant=None, all_tenants=False, first=None, last=None, force=False, **options
    ):
        with platform_wide():
            if all_tenants:
                tenants = list(Tenant.objects.active().order_by("code"))
            else:
                try:
                    tenants = [Tenant.objects.get(code=tenant)]
                except Tenant.DoesNotExist as exc:
                    raise CommandError(f"No bank with the code {tenant!r}.") from exc
        if first and last and first > last:
            raise CommandError("--from is after --to.")
        for bank in tenants:
            start = first or rollup.yesterday(bank)
            end = last or start
            if (end - start).days >= MAX_DAYS:
                raise CommandError(f"At most {MAX_DAYS} days at a time.")
            done = skipped = 0
            with tenant_context(bank):
                day = start
                while day <= end:
                    run = rollup.rollup_day_once(day=day, force=force)
                    if run is None:
                        skipped += 1
                        self.stdout.write(
                            f"{bank.code} {day}: skipped, already rolled up or running "
                            "(--force recomputes a finished day)"
                        )
                    else:
                        done += 1
                        self.stdout.write(f"{bank.code} {day}: {run.rows_touched} rows written")
                    day += timedelta(days=1)
            self.stdout.write(
                self.style.SUCCESS(f"{bank.code}: {done} days rolled up, {skipped} skipped.")
            )
