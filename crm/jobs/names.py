"""What each background job is called on the pages: each app names the jobs it runs.

Job runs store a stable code (``channels.rollup``); administrators read its name in their
language. A code nobody named is shown as it is.
"""

from django_stubs_ext import StrOrPromise

_names: dict[str, StrOrPromise] = {}


def register_job_name(job: str, name: StrOrPromise) -> None:
    """Name the job recorded under the code ``job`` (call from an AppConfig.ready())."""
    _names[job] = name


def job_name(job: str) -> StrOrPromise:
    """Return the name of the job recorded under ``job``, or the code itself if unnamed."""
    return _names.get(job, job)


def job_choices(jobs: list[str]) -> list[tuple[str, StrOrPromise]]:
    """Return (code, name) pairs for ``jobs``, for filters."""
    return [(job, job_name(job)) for job in jobs]
