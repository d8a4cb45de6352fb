from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.core.validators import validate_slug

from devtools.generation import BankExists, BankSpec, generate_bank
from devtools.registry import arguments_of, generation_steps


class Command(BaseCommand):
    help = (
        "Generate a bank of realistic size for benchmarks: a new tenant with branches, staff, "
        "products and --customers customers with holdings, relationship-manager history, "
        "consents, relationships and --months of balance snapshots, loaded by COPY in one "
        "transaction. It runs as the tables' owner and, while it loads, disables the history "
        "triggers (ALTER TABLE ... DISABLE TRIGGER USER) and drops and rebuilds the indexes "
        "and foreign keys of the tables it fills, which stay locked until it finishes: use a "
        "database nobody else is using. Staff log in with the demo password. With "
        "--interactions-per-customer, the channels app adds its catalog, outlets, that many "
        "contacts per customer over the last twelve months, a few hundred service requests, "
        "and the daily channel roll-up of those months."
    )

    def add_arguments(self, parser):
        defaults = BankSpec()
        parser.add_argument(
            "--code", default=defaults.code, help="Code of the new tenant (default %(default)s)."
        )
        parser.add_argument("--name", default=defaults.name)
        parser.add_argument("--short-name", default=defaults.short_name)
        # Each app's own options (customers: --customers, --months...; channels:
        # --interactions-per-customer), as its generation step declares them.
        for argument in arguments_of(generation_steps()):
            argument.add_to(parser)
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
        if options["chunk_size"] < 1:
            raise CommandError("--chunk-size must be at least 1.")
        arguments = arguments_of(generation_steps())
        for argument in arguments:
            refusal = argument.refusal(options.get(argument.dest))
            if refusal:
                raise CommandError(refusal)
        spec = BankSpec(
            code=options["code"],
            name=options["name"],
            short_name=options["short_name"],
            seed=options["seed"],
            replace=options["replace"],
            workers=options["workers"],
            chunk_size=options["chunk_size"],
            options={
                argument.dest: options[argument.dest]
                for argument in arguments
                if argument.dest in options
            },
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
