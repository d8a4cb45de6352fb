"""Run a pure function in a forked child process with a memory and a time limit.

For work whose cost the input decides (parsing an uploaded file): a hostile input must
cost the child its life, never the worker that asked. A Celery worker's own memory setting
only recycles the worker after the task, and a time limit kills the task with the worker's
state in whatever shape it was; here the child gets ``RLIMIT_AS`` (its allocations fail
past the bound, as a MemoryError or a death), ``RLIMIT_CPU`` (the kernel stops it), and the
parent kills it at a wall-clock deadline.

The child is forked, not spawned: it starts at once with Django, the translations and the
parser already imported. It must not use the database connection it inherits (the
function is pure) and leaves with ``os._exit``, so that nothing of the parent's (open
connections, atexit handlers, buffered logs) is closed or flushed twice.
"""

from __future__ import annotations

import os
import pickle
import resource
import select
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn, TypeVar

_R = TypeVar("_R")

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


class BoundExceeded(Exception):
    """The child did not finish within its bounds; the subclasses say which."""


class OutOfMemory(BoundExceeded):
    pass


class OutOfTime(BoundExceeded):
    pass


class ChildDied(BoundExceeded):
    """The child ended without an answer (a crash in C code, a signal)."""


@dataclass(frozen=True)
class Bounds:
    """What the child may use: memory on top of what it starts with, CPU and wall time."""

    memory_bytes: int
    cpu_seconds: int
    wall_seconds: float


def _address_space() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * PAGE_SIZE


def _limit_child(bounds: Bounds) -> None:
    # The child starts as a copy of the parent, whose address space (thread stacks, mapped
    # libraries) may already be large: the bound is what it may add to that.
    limit = _address_space() + bounds.memory_bytes
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    # SIGXCPU at the soft limit stops the process; SIGKILL at the hard one, should it not.
    resource.setrlimit(resource.RLIMIT_CPU, (bounds.cpu_seconds, bounds.cpu_seconds + 2))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a killed parser leaves no core file


def _child(
    function: Callable[..., Any], args: tuple[Any, ...], bounds: Bounds, out: int
) -> NoReturn:
    try:
        # The parent's handlers (a Celery worker's warm shutdown on SIGTERM, for one) are not
        # the child's: a signal simply ends it, and the parent reports a dead child.
        for number in (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT, signal.SIGHUP):
            signal.signal(number, signal.SIG_DFL)
        _limit_child(bounds)
        try:
            answer: tuple[str, Any] = ("result", function(*args))
        except MemoryError:
            answer = ("memory", None)
        except Exception as error:  # the caller decides what the function's errors mean
            answer = ("error", error)
        try:
            payload = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
        except MemoryError:
            payload = pickle.dumps(("memory", None))
        except Exception as error:  # an unpicklable exception: its text is enough
            payload = pickle.dumps(("error", RuntimeError(repr(error))))
        with os.fdopen(out, "wb") as pipe:
            pipe.write(payload)
        os._exit(0)
    except BaseException:
        os._exit(1)  # nothing sent: the parent reports a dead child


def run_bounded(function: Callable[..., _R], *args: Any, bounds: Bounds) -> _R:
    """Return ``function(*args)`` computed in a child process held to ``bounds``.

    Raise ``OutOfMemory``, ``OutOfTime`` or ``ChildDied`` when the child did not finish, or
    the exception the function raised (it must be picklable to travel back; others arrive
    as a RuntimeError with their text). ``function`` and ``args`` need not be picklable:
    the child is a fork.
    """
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover (the child's coverage is not collected)
        os.close(read_end)
        _child(function, args, bounds, write_end)
    os.close(write_end)
    try:
        payload = _read_answer(read_end, deadline=time.monotonic() + bounds.wall_seconds)
    except OutOfTime:
        os.kill(pid, signal.SIGKILL)
        raise
    finally:
        os.close(read_end)
        status = _reap(pid)
    if not payload:
        if os.WIFSIGNALED(status) and os.WTERMSIG(status) in (signal.SIGXCPU, signal.SIGKILL):
            raise OutOfTime(f"child stopped by signal {os.WTERMSIG(status)}")
        # Past RLIMIT_AS, C code (the XML parser, zlib) may end the process rather than
        # raise MemoryError; a death without an answer is most likely that.
        raise ChildDied(f"child ended with status {status} and no answer")
    # The payload is our own child's: a child taken over through its input already runs as
    # this user with this process's memory and descriptors, so unpickling adds no power.
    kind, value = pickle.loads(payload)  # noqa: S301
    if kind == "memory":
        raise OutOfMemory("the child ran out of memory")
    if kind == "error":
        raise value
    result: _R = value
    return result


def _reap(pid: int) -> int:
    """The child's exit status, once it has ended; 0 if another reaper took it first."""
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:
        # A process-wide SIGCHLD handler (a process pool's) may have reaped it already;
        # the answer on the pipe is what counts.
        return 0
    return status


def _read_answer(fd: int, *, deadline: float) -> bytes:
    """Everything the child writes until it closes the pipe; OutOfTime at ``deadline``."""
    chunks: list[bytes] = []
    poller = select.poll()  # not select(): a busy worker's descriptors may pass 1024
    poller.register(fd, select.POLLIN | select.POLLHUP)
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise OutOfTime("the child passed its wall-clock deadline")
        if not poller.poll(remaining * 1000):
            continue
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
