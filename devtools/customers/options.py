"""Customers' options of ``generate_bank`` and ``benchmark`` (light: read at start-up)."""

from devtools.registry import Argument

GENERATION_ARGUMENTS = (
    Argument("--customers", type=int, default=1_000_000, minimum=1),
    Argument(
        "--months",
        type=int,
        default=24,
        minimum=0,
        help="Months of balance snapshots per customer (default %(default)s).",
    ),
    Argument("--no-snapshots", action="store_true", help="Make no balance snapshots."),
    Argument("--branches", type=int, default=30, minimum=1),
    Argument(
        "--sub-branches",
        type=int,
        default=10,
        minimum=0,
        help="Sub-branches per branch (default %(default)s).",
    ),
    Argument("--managers-per-sub-branch", type=int, default=5, minimum=0),
)

BENCHMARK_ARGUMENTS = (Argument("--explain", action="store_true", help="Print the query plans."),)
# The tables whose size ``benchmark`` reports first.
BENCHMARK_TABLES = (
    "customers_customer",
    "customers_holding",
    "customers_balancesnapshot",
    "customers_assignment",
)
