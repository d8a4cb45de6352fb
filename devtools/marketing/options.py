"""Marketing's options of ``generate_bank`` (light: read at start-up)."""

from devtools.registry import Argument

GENERATION_ARGUMENTS = (
    Argument(
        "--contribution-months",
        type=int,
        default=24,
        minimum=0,
        metavar="N",
        help=(
            "Latest months of the balances that also get the finance system's contribution "
            "figures, for about 70 %% of customers (default %(default)s; 0: none, every "
            "month is estimated). At 1,000,000 customers 24 months make about 17 M rows."
        ),
    ),
    Argument(
        "--scored-months",
        type=int,
        default=3,
        minimum=0,
        metavar="N",
        help=(
            "Latest due months scored by the real scoring job once the bank is committed "
            "and rolled up, oldest first, so that the tier rules' streaks have their "
            "history (default %(default)s; 0: no tiers)."
        ),
    ),
)
