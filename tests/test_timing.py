"""The stage timer: nothing recorded without a profile; each stage's own time with one."""

from __future__ import annotations

import time

import pytest

from assistant.surfaces.api import Assistant
from assistant.timing import Profile, profiling, stage


def test_without_a_profile_a_stage_is_the_shared_no_op():
    assert stage("fusion") is stage("encode")
    with stage("fusion"):
        pass


def _slept(seconds: float) -> float:
    """Sleep; the time it took in ms (a loaded machine oversleeps)."""
    started = time.perf_counter()
    time.sleep(seconds)
    return (time.perf_counter() - started) * 1000


def test_a_stage_counts_its_own_time_and_the_question_adds_up():
    profile = Profile()
    with profiling(profile), profile.question():
        with stage("outer"):
            outer = _slept(0.02)
            with stage("inner"):
                inner = _slept(0.03)
        with stage("inner"):  # a second visit adds to the first
            inner += _slept(0.01)
    times = profile.questions[0]
    assert times["outer"] == pytest.approx(outer, abs=2)
    assert times["inner"] == pytest.approx(inner, abs=2)
    assert sum(t for name, t in times.items() if name != "total") == pytest.approx(times["total"])
    p50, p95 = profile.percentiles()["inner"]
    assert p50 == p95 == times["inner"]


def test_outside_a_question_nothing_is_recorded():
    profile = Profile()
    with profiling(profile), stage("fusion"):
        pass
    assert profile.questions == []
    assert stage("fusion") is stage("encode")  # uninstalled again


def test_a_question_through_the_assistant_records_each_stage(built: Assistant):
    profile = Profile()
    with profiling(profile), profile.question():
        built.ask("Wie lange soll die Waffenruhe dauern?")
    stages = profile.questions[0]
    expected = {"route", "encode", "dense 0", "dense others", "keywords", "candidate scores"}
    expected |= {"fusion", "passage texts", "sentence vectors", "quote ranking"}
    expected |= {"statements", "answerability", "support"}
    assert expected <= set(stages)
    assert all(t >= 0 for name, t in stages.items() if name != "other")
    assert stages["encode"] > 0.5  # two models embed the question: not free
