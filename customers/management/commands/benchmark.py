import random

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.test.utils import override_settings

from crm.tenancy.context import platform_wide, tenant_context
from crm.tenancy.models import Tenant
from customers.bankgen import benchmark
from customers.models import Customer


class Command(BaseCommand):
    help = (
        "Time the customer list (unfiltered, name prefix search, phone search, branch subtree "
        "+ tier) and the customer page of a bank, as a head-office member and as a branch's "
        "relationship manager: p50/p95 server time and queries per request, against the "
        "targets (list p95 <= 60 ms and <= 10 queries; page p95 <= 80 ms and <= 20 queries). "
        "--explain prints each page's plans on customer tables, as the application role with "
        "the tenant set."
    )

    def add_arguments(self, parser):
        parser.add_argument("--code", default="bigbank", help="Tenant (default %(default)s).")
        parser.add_argument("--runs", type=int, default=50, help="Requests per page measured.")
        parser.add_argument("--warmup", type=int, default=5, help="Requests per page first.")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--explain", action="store_true", help="Print the query plans.")
        parser.add_argument(
            "--ingest-batches",
            type=int,
            default=20,
            help="Batches of 1,000 interactions posted to the partner API (0: skip).",
        )

    def handle(self, *args, **options):
        if options["runs"] < 1 or options["warmup"] < 0:
            raise CommandError("--runs must be at least 1 and --warmup at least 0.")
        with platform_wide():
            tenant = Tenant.objects.filter(code=options["code"]).first()
        if tenant is None:
            raise CommandError(f"No tenant with code {options['code']!r}.")
        rng = random.Random(options["seed"])
        with tenant_context(tenant):
            customers = Customer.objects.count()
        self.stdout.write(
            f"{tenant.name} ({tenant.code}): {customers:,} customers; "
            f"{options['runs']} requests per page after {options['warmup']} to warm up"
        )
        for name, value in benchmark.database_figures():
            self.stdout.write(f"  {name}: {value}")
        if settings.DEBUG:
            self.stdout.write("  (DEBUG is on in the settings; measured with it off)")
        try:
            personas = benchmark.personas(tenant)
            for persona in personas:
                benchmark.prepare(tenant, persona, rng)
            # As in production: no query log, no debug templates.
            with override_settings(DEBUG=False):
                results = [
                    benchmark.measure(
                        persona, runs=options["runs"], warmup=options["warmup"], rng=rng
                    )
                    for persona in personas
                ]
        except benchmark.BenchmarkError as error:
            raise CommandError(str(error)) from None
        missed = 0
        self.stdout.write("")
        self.stdout.write(
            "server time per request; queries: the most SQL statements of any request "
            "(with BEGIN/COMMIT/savepoints, which Django also logs, in brackets)"
        )
        for persona, measurements in zip(personas, results, strict=True):
            self.stdout.write("")
            self.stdout.write(f"as {persona.label}")
            missed += benchmark.report(measurements, self.stdout)
        if options["explain"]:
            self._explain(tenant, results)
        for name, section in benchmark.extra_sections():
            self.stdout.write("")
            self.stdout.write(name)
            try:
                missed += section(tenant, stdout=self.stdout, options=options)
            except benchmark.BenchmarkError as error:
                raise CommandError(str(error)) from None
        self.stdout.write("")
        if missed:
            self.stdout.write(self.style.WARNING(f"{missed} figures missed their target"))
        else:
            self.stdout.write(self.style.SUCCESS("every figure met its target"))

    def _explain(self, tenant, results) -> None:
        for measurements in results:
            for measurement in measurements:
                self.stdout.write("")
                self.stdout.write(f"=== {measurement.case.label}, as {measurement.persona.label}")
                for who, sql, plan in benchmark.explain(tenant, measurement):
                    self.stdout.write(f"--- {who}")
                    self.stdout.write(sql)
                    for line in plan:
                        self.stdout.write(f"    {line}")
