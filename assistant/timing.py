"""Where a question's time goes: named stages, timed only while a `Profile` is installed.

    with stage("fusion"):          # costs one global read when no profile is installed
        ...

    profile = Profile()
    with profiling(profile):
        for question in questions:
            with profile.question():
                assistant.ask(question)
    profile.percentiles()          # {"fusion": (p50 ms, p95 ms), ..., "total": ...}

A stage's time is its own: the stages timed inside it are subtracted (so a question's
stages add up to its total, with "other" for what no stage covers), and a stage entered
several times in one question counts the sum. Meant for one thread at a time (benchmarks):
the stack of open stages is the profile's, not the thread's.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext

import numpy as np

_NOT_TIMED = nullcontext()
_installed: Profile | None = None


class Profile:
    """Each question's time per stage, in milliseconds."""

    def __init__(self) -> None:
        self.questions: list[dict[str, float]] = []
        self._current: dict[str, float] | None = None
        self._open: list[float] = []  # per open stage: time spent in the stages inside it

    @contextmanager
    def question(self) -> Iterator[None]:
        """Time one question: every stage entered meanwhile counts towards it."""
        self._current, self._open = {}, []
        started = time.perf_counter()
        try:
            yield
        finally:
            current, self._current = self._current, None
            total = (time.perf_counter() - started) * 1000
            current["other"] = total - sum(current.values())
            current["total"] = total
            self.questions.append(current)

    def percentiles(self) -> dict[str, tuple[float, float]]:
        """Each stage's (p50, p95) in ms over the questions (0 where a question skipped it)."""
        names = sorted({name for times in self.questions for name in times})
        return {
            name: tuple(
                float(np.percentile([t.get(name, 0.0) for t in self.questions], p))
                for p in (50, 95)
            )
            for name in names
        }

    def _record(self, name: str, own_ms: float) -> None:
        if self._current is not None:
            self._current[name] = self._current.get(name, 0.0) + own_ms


class _Stage:
    __slots__ = ("_name", "_profile", "_started")

    def __init__(self, profile: Profile, name: str) -> None:
        self._profile, self._name = profile, name

    def __enter__(self) -> None:
        self._profile._open.append(0.0)
        self._started = time.perf_counter()

    def __exit__(self, *exc: object) -> None:
        elapsed = (time.perf_counter() - self._started) * 1000
        opened = self._profile._open
        inner = opened.pop() if opened else 0.0
        if opened:
            opened[-1] += elapsed
        self._profile._record(self._name, elapsed - inner)


def stage(name: str) -> AbstractContextManager[None]:
    """A context timing stage `name` into the installed profile (a shared no-op without)."""
    return _NOT_TIMED if _installed is None else _Stage(_installed, name)


@contextmanager
def profiling(profile: Profile) -> Iterator[Profile]:
    """Install `profile` while the block runs."""
    global _installed
    previous, _installed = _installed, profile
    try:
        yield profile
    finally:
        _installed = previous
