"""Background jobs of marketing: the monthly scoring of customer value, per bank.

Scoring is a link of the bank's nightly chain, not a schedule of its own: the channel
roll-up of each day (which writes the month's cost to serve) calls
``score_after_rollup``, which scores the month before once its cut-off day for late feeds
has been rolled up, before the next day's roll-up reads the new tiers.
"""

from __future__ import annotations

from datetime import date

from crm.jobs.tenant_task import tenant_task
from marketing import services


def score_after_rollup(day: date) -> None:
    """The roll-up's hook: after the cut-off day's roll-up, score the month before, once."""
    month = services.month_due(day)
    if month is not None:
        services.scoring_run_once(month=month)


# Not atomic as a whole: run_once commits the run row apart from the work, so that a
# failed scoring is recorded with its error (and the month's previous tiers stay).
@tenant_task(atomic=False)
def score_tenant_month(*, tenant, month: str) -> None:
    """Score one month (``YYYY-MM-01``) of one bank, once."""
    services.scoring_run_once(month=date.fromisoformat(month))


# Not atomic: the service commits the run's "running" apart from its scores (see
# scoring_run_perform). acks_late and reject_on_worker_lost (the project's settings) give
# the message back to the broker when the worker dies mid-run; the delivery that follows
# takes the run over.
@tenant_task(atomic=False)
def rerun_scoring(*, tenant, run_id: int) -> None:
    """Score one queued re-run of a month (``ScoringRun`` ``run_id``) of one bank."""
    services.scoring_run_perform(run_id=run_id)
