"""Background jobs of the customers app."""

from crm.jobs.tenant_task import tenant_task
from customers.intake.jobs import import_job_read, import_job_run


# Not atomic as a whole: the file is parsed in a child process for up to minutes, with no
# transaction held open meanwhile; the outcome is written in one short transaction. A
# redelivered task finds the job no longer reading and does nothing.
@tenant_task(atomic=False)
def import_read(*, tenant, job_id: int, language: str) -> None:
    """Read an uploaded import file into the rows its check shows, in a bounded process."""
    import_job_read(job_id=job_id, language=language)


# Not atomic as a whole: the import writes in one transaction of its own, while its progress
# and final status are committed apart so that the page can show them and a failure is kept.
# No automatic retries: the job is claimed once, and a failed import is uploaded again.
@tenant_task(atomic=False, autoretry_for=())
def import_apply(*, tenant, job_id: int) -> None:
    """Apply a checked import file of customers or holdings, all or nothing."""
    import_job_run(job_id=job_id)
