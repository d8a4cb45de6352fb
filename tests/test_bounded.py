"""A function run in a bounded child: whatever it does, the caller carries on."""

import os

import pytest

from crm.bounded import Bounds, ChildDied, OutOfMemory, OutOfTime, run_bounded
from crm.sheets import SheetError

SMALL = Bounds(memory_bytes=64 * 1024 * 1024, cpu_seconds=5, wall_seconds=10)


def add(a, b):
    return a + b


def refuse():
    raise SheetError("not a spreadsheet")


def allocate_without_end():
    hoard = []
    while True:
        hoard.append(bytearray(16 * 1024 * 1024))


def spin():
    while True:
        pass


def sleep_forever():
    import time

    time.sleep(3600)


def die():
    os._exit(3)


def test_the_result_comes_back_from_the_child():
    assert run_bounded(add, 2, 3, bounds=SMALL) == 5
    assert run_bounded(lambda: os.getpid(), bounds=SMALL) != os.getpid()


def test_the_functions_own_error_comes_back_as_it_was_raised():
    with pytest.raises(SheetError, match="not a spreadsheet"):
        run_bounded(refuse, bounds=SMALL)


def test_a_memory_bomb_ends_in_out_of_memory_and_the_caller_carries_on():
    with pytest.raises(OutOfMemory):
        run_bounded(allocate_without_end, bounds=SMALL)

    assert run_bounded(add, 1, 1, bounds=SMALL) == 2


def test_endless_work_is_stopped_by_the_cpu_limit():
    with pytest.raises(OutOfTime):
        run_bounded(
            spin, bounds=Bounds(memory_bytes=SMALL.memory_bytes, cpu_seconds=1, wall_seconds=30)
        )


def test_a_child_that_waits_forever_is_killed_at_the_deadline():
    with pytest.raises(OutOfTime):
        run_bounded(
            sleep_forever,
            bounds=Bounds(memory_bytes=SMALL.memory_bytes, cpu_seconds=5, wall_seconds=0.5),
        )


def test_a_child_that_dies_without_an_answer_is_reported():
    with pytest.raises(ChildDied):
        run_bounded(die, bounds=SMALL)


def test_no_child_is_left_behind():
    child = run_bounded(os.getpid, bounds=SMALL)

    with pytest.raises(ChildProcessError):  # already reaped: no zombie left
        os.waitpid(child, os.WNOHANG)


def exit_quietly():
    raise SystemExit(0)


def test_a_child_that_tries_to_exit_does_not_make_the_caller_exit():
    with pytest.raises(ChildDied):
        run_bounded(exit_quietly, bounds=SMALL)
