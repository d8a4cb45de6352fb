from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_slug

from customers.bankgen import BankExists, BankSpec, generate_bank


class Command(BaseCommand):
    help = (
        "Generate a bank of realistic size for benchmarks: a new tenant with branches, staff, "
        "products and --customers customers with holdings, relationship-manager history, "
        "consents, relationships and --months of balance snapshots, loaded by COPY in one "
        "transaction. It runs as the tables' owner and, while it loads, disables the history "
        "triggers (ALTER TABLE ... DISABLE TRIGGER USER) and drops and rebuilds the indexes "
        "and foreign keys of the customer tables, which stay locked until it finishes: use a "
        "database nobody else is using. Staff log in with the demo password. With "
        "--interactions-per-customer, the channels app adds its catalog, outlets, that many "
        "contacts per customer over the last twelve months, a few hundred service requests, "
        "and the daily channel roll-up of those months."
    )

    def add_arguments(self, parser):
        defaults = BankSpec()
        parser.add_argument("--customers", type=int, default=defaults.customers)
        parser.add_argument(
            "--code", default=defaults.code, help="Code of the new tenant (default %(default)s)."
        )
        parser.add_argument("--name", default=defaults.name)
        parser.add_argument("--short-name", default=defaults.short_name)
        parser.add_argument(
            "--months",
            type=int,
            default=defaults.months,
            help="Months of balance snapshots per customer (default %(default)s).",
        )
        parser.add_argument(
            "--no-snapshots", action="store_true", help="Make no balance snapshots."
        )
        parser.add_argument("--branches", type=int, default=defaults.branches)
        parser.add_argument(
            "--sub-branches",
            type=int,
            default=defaults.sub_branches,
            help="Sub-branches per branch (default %(default)s).",
        )
        parser.add_argument(
            "--managers-per-sub-branch", type=int, default=defaults.managers_per_sub_branch
        )
        parser.add_argument(
            "--interactions-per-customer",
            type=int,
            default=defaults.interactions_per_customer,
            metavar="N",
            help=(
                "Contacts per customer across channels over the last twelve months, e.g. 20 "
                "(default %(default)s: no channel data)."
            ),
        )
        parser.add_argument("--seed", type=int, default=defaults.seed)
        parser.add_argument(
            "--workers",
            type=int,
            default=None,
            help="Processes making rows (default: one per core but one; 0: none).",
        )
        parser.add_argument("--chunk-size", type=int, default=defaults.chunk_size)
        parser.add_argument(
            "--replace",
            action="store_true",
            help=(
                "If the tenant exists, delete all its rows first (its audit trail included) "
                "and generate it again."
            ),
        )

    def handle(self, *args, **options):
        try:
            validate_slug(options["code"])
        except ValidationError as error:
            raise CommandError(f"--code: {error.messages[0]}") from None
        for name in ("customers", "branches", "chunk_size"):
            if options[name] < 1:
                raise CommandError(f"--{name.replace('_', '-')} must be at least 1.")
        for name in (
            "months",
            "sub_branches",
            "managers_per_sub_branch",
            "interactions_per_customer",
        ):
            if options[name] < 0:
                raise CommandError(f"--{name.replace('_', '-')} cannot be negative.")
        spec = BankSpec(
            code=options["code"],
            name=options["name"],
            short_name=options["short_name"],
            customers=options["customers"],
            months=0 if options["no_snapshots"] else options["months"],
            branches=options["branches"],
            sub_branches=options["sub_branches"],
            managers_per_sub_branch=options["managers_per_sub_branch"],
            seed=options["seed"],
            replace=options["replace"],
            workers=options["workers"],
            chunk_size=options["chunk_size"],
            interactions_per_customer=options["interactions_per_customer"],
        )
        try:
            bank = generate_bank(spec, progress=self.stdout.write)
        except BankExists:
            raise CommandError(
                f"A tenant with code {spec.code!r} exists already; use --replace to "
                "delete its data and generate it again, or choose another --code."
            ) from None
        self.stdout.write(self.style.SUCCESS(f"{bank.tenant.name} ({bank.tenant.code}) ready"))
        for what, count in bank.rows.items():
            self.stdout.write(f"  {what}: {count:,}")
        for what, seconds in bank.seconds.items():
            self.stdout.write(f"  {what}: {seconds:.1f} s")
