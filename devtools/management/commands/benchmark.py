from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from crm.tenancy.context import platform_wide, tenant_context
from crm.tenancy.models import Tenant
from customers.models import Customer
from devtools.benchmark import BenchmarkError, database_figures
from devtools.registry import benchmark_sections


class Command(BaseCommand):
    help = (
        "Time the pages of a bank as staff use them, section by section as the apps register "
        "them: the customer list (unfiltered, name prefix search, phone search, branch subtree "
        "+ tier) and the customer page as a head-office member and as a branch's relationship "
        "manager (p50/p95 server time and queries per request, against the targets: list p95 "
        "<= 60 ms and <= 10 queries; page p95 <= 80 ms and <= 20 queries), the partner API's "
        "interaction ingest and the timeline of a busy customer. --explain prints each "
        "customer page's plans on customer tables, as the application role with the tenant set."
    )

    def add_arguments(self, parser):
        parser.add_argument("--code", default="bigbank", help="Tenant (default %(default)s).")
        parser.add_argument("--runs", type=int, default=50, help="Requests per page measured.")
        parser.add_argument("--warmup", type=int, default=5, help="Requests per page first.")
        parser.add_argument("--seed", type=int, default=1)
        for section in benchmark_sections():
            for argument in section.arguments:
                argument.add_to(parser)

    def handle(self, *args, **options):
        if options["runs"] < 1 or options["warmup"] < 0:
            raise CommandError("--runs must be at least 1 and --warmup at least 0.")
        sections = benchmark_sections()
        for section in sections:
            for argument in section.arguments:
                refusal = argument.refusal(options.get(argument.dest))
                if refusal:
                    raise CommandError(refusal)
        with platform_wide():
            tenant = Tenant.objects.filter(code=options["code"]).first()
        if tenant is None:
            raise CommandError(f"No tenant with code {options['code']!r}.")
        with tenant_context(tenant):
            customers = Customer.objects.count()
        self.stdout.write(
            f"{tenant.name} ({tenant.code}): {customers:,} customers; "
            f"{options['runs']} requests per page after {options['warmup']} to warm up"
        )
        tables = [table for section in sections for table in section.tables]
        for name, value in database_figures(tables):
            self.stdout.write(f"  {name}: {value}")
        if settings.DEBUG:
            self.stdout.write("  (DEBUG is on in the settings; measured with it off)")
        missed = 0
        for section in sections:
            self.stdout.write("")
            if section.title:
                self.stdout.write(section.title)
            try:
                missed += section.load()(tenant, stdout=self.stdout, options=options)
            except BenchmarkError as error:
                raise CommandError(str(error)) from None
        self.stdout.write("")
        if missed:
            self.stdout.write(self.style.WARNING(f"{missed} figures missed their target"))
        else:
            self.stdout.write(self.style.SUCCESS("every figure met its target"))
