"""Prepared .npy files are read safely from several threads at once.

numpy reads an .npy header with `ast.literal_eval`; on CPython 3.11 two threads building
syntax trees at once can raise SystemError "AST constructor recursion depth mismatch"
(python/cpython#106905). An answer reads headers on two threads (one per dense model).
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from assistant import prepared


class _Cycle:
    """Garbage in a reference cycle whose finalizer runs Python code: the collector may run
    it, and switch threads, in the middle of building a header's syntax tree."""

    def __del__(self) -> None:
        [i for i in range(8)]


def _read_headers(path: Path, depth: int, failures: list[Exception]) -> None:
    # Threads at different stack depths: a switch shows as a depth mismatch.
    if depth:
        return _read_headers(path, depth - 1, failures)
    try:
        for _ in range(3000):
            with open(path, "rb") as handle:
                assert prepared.read_npy_header(handle)[0] == (3, 4)
            first, second = _Cycle(), _Cycle()
            first.other, second.other = second, first
    except SystemError as err:
        failures.append(err)
    return None


def _read_on_threads(path: Path) -> list[Exception]:
    failures: list[Exception] = []
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as the interpreter can
    try:
        threads = [
            threading.Thread(target=_read_headers, args=(path, depth, failures))
            for depth in (0, 40, 80, 120)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    return failures


@pytest.fixture
def npy_file(tmp_path: Path) -> Path:
    path = tmp_path / "rows.npy"
    np.save(path, np.zeros((3, 4), dtype=np.float32))
    return path


def test_headers_read_on_four_threads_at_once_never_fail(npy_file: Path) -> None:
    """Without `prepared`'s lock around the header reads, this fails on CPython 3.11."""
    assert _read_on_threads(npy_file) == []
