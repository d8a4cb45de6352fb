"""Tasks that code under test sends after commit, run the way a worker would run them.

Tests on the ``db`` fixture never commit, so ``delay_on_commit`` never reaches a broker:
``worker_runs_sent_tasks`` captures what was sent and runs each task's body in this thread,
once the block has ended, as a worker picks it up after the sender's commit.
"""

import functools
from collections.abc import Iterator
from contextlib import contextmanager

from django.test import TestCase


def _sent_task(callback):
    """The task and arguments of a ``delay_on_commit`` callback, or None for another."""
    if isinstance(callback, functools.partial) and callback.func.__name__ == "delay":
        return callback.func.__self__, callback.args, callback.keywords
    return None


@contextmanager
def worker_runs_sent_tasks() -> Iterator[list]:
    with TestCase.captureOnCommitCallbacks() as callbacks:
        yield callbacks
    for callback in callbacks:
        sent = _sent_task(callback)
        if sent is not None:
            task, args, kwargs = sent
            task(*args, **kwargs)
