"""Channels' options of ``generate_bank`` and ``benchmark`` (light: read at start-up)."""

from devtools.registry import Argument

GENERATION_ARGUMENTS = (
    Argument(
        "--interactions-per-customer",
        type=int,
        default=0,
        minimum=0,
        metavar="N",
        help=(
            "Contacts per customer across channels over the last twelve months, e.g. 20 "
            "(default %(default)s: no channel data)."
        ),
    ),
)

INGEST_ARGUMENTS = (
    Argument(
        "--ingest-batches",
        type=int,
        default=20,
        minimum=0,
        help="Batches of 1,000 interactions posted to the partner API (0: skip).",
    ),
)
