"""Pure-Python work goes to worker processes when there is enough of it: many items, or
few items holding much text."""

from __future__ import annotations

import os

import pytest

from assistant import parallel


def _worker_pid(item: int) -> tuple[int, int]:
    return item * 2, os.getpid()


needs_two_cores = pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one core")


@needs_two_cores
def test_few_items_with_much_text_run_in_worker_processes():
    found = parallel.map_in_processes(_worker_pid, [1, 2, 3], chars=parallel._MIN_CHARS)
    assert [doubled for doubled, _ in found] == [2, 4, 6]  # in order
    assert os.getpid() not in {pid for _, pid in found}


def test_few_items_with_little_text_run_here():
    found = parallel.map_in_processes(_worker_pid, [1, 2, 3], chars=parallel._MIN_CHARS - 1)
    assert found == [(2, os.getpid()), (4, os.getpid()), (6, os.getpid())]


@needs_two_cores
def test_many_items_run_in_worker_processes_whatever_their_size():
    items = list(range(parallel._MIN_ITEMS))
    found = parallel.map_in_processes(_worker_pid, items)
    assert [doubled for doubled, _ in found] == [2 * i for i in items]
    assert os.getpid() not in {pid for _, pid in found}
