"""Background jobs of the channels app: the nightly roll-up behind the channel analytics."""

from datetime import date

from channels import rollup, services
from crm.jobs.tenant_task import fan_out_per_tenant, platform_task, tenant_task


@platform_task()
def rollup_yesterday(day: str | None = None) -> int:
    """Nightly: roll up the previous day of every active bank, one task per bank.

    ``day`` (ISO date) names the day for all banks; without it each bank's task takes
    yesterday in the bank's own time zone.
    """
    return fan_out_per_tenant(rollup_tenant_day, day=day)


# Not atomic as a whole: run_once commits the run row apart from the work, so that a
# failed roll-up is recorded with its error.
@tenant_task(atomic=False)
def rollup_tenant_day(*, tenant, day: str | None = None) -> None:
    """Roll up one day of one bank, once (the job-run table remembers the day is done), then
    run the chain's next links for that day (``services.register_after_rollup``)."""
    rolled_up = date.fromisoformat(day) if day else rollup.yesterday(tenant)
    rollup.rollup_day_once(day=rolled_up)
    for hook in services.after_rollup_hooks():
        hook(rolled_up)
