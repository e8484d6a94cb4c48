"""The refusal fitting of benchmarks/ (fitting.py, fitting_rows.py, leave_one_out.py): its
replay of the refusal rule, its leave-one-set-out splits and the files it writes."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import numpy as np
import pytest

from assistant.answering.answerability import FEATURES
from assistant.fitted import (
    Answerability,
    AnswerTypes,
    ConfidenceFloor,
    Floors,
    fitted,
    read_fitted,
)
from assistant.surfaces.api import Assistant

# The fitting lives with the benchmarks that feed it (they import each other by name).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

import topic_names
from fitting import (
    MAX_EXTRA_WRONG,
    RefusalValues,
    Row,
    figures,
    fit,
    leave_one_out,
    refused,
)

ANSWER_ANYWAY = 0.1


def _row(label: int, rng: np.random.Generator, set_name: str, **changes) -> Row:
    # The first feature separates answerable rows from the others, with noise.
    features = rng.normal(0.0, 1.0, len(FEATURES))
    features[0] += 1.5 if label else -1.5
    row = Row(
        set=set_name,
        question=f"question {rng.integers(1_000_000)}",
        kind="fact" if label else "offcorpus",
        label=label,
        variant="asked",
        features=tuple(features.tolist()),
        evidence=True,
        typed=False,
        fixed=None,
        holds=bool(label),
        retrieved_holds=bool(label),
    )
    return dataclasses.replace(row, **changes)


def _sets(seed: int = 0) -> dict[str, list[Row]]:
    rng = np.random.default_rng(seed)
    return {name: [_row(i % 2, rng, name) for i in range(80)] for name in ("one", "two", "three")}


def test_refusal_replays_the_extractive_rule():
    rng = np.random.default_rng(1)
    sure = _row(1, rng, "s", features=(10.0,) * len(FEATURES))
    unsure = _row(1, rng, "s", features=(-10.0,) * len(FEATURES))
    values = RefusalValues((1.0,) * len(FEATURES), 0.0, 0.5)
    rows = [
        sure,
        dataclasses.replace(sure, evidence=False),
        unsure,
        dataclasses.replace(unsure, fixed=False),
        dataclasses.replace(sure, evidence=False, typed=True),
        dataclasses.replace(sure, fixed=True),
    ]
    assert refused(rows, values, ANSWER_ANYWAY).tolist() == [
        False,  # a passage clears its floor and the confidence the floor
        True,  # no passage clears its floor
        True,  # the confidence is below the floor
        False,  # a person question: answered on its own path
        False,  # the kind of answer asked for, confidently
        True,  # nothing quotable
    ]


def test_moved_similarity_floors_move_the_margin_and_keep_their_gap():
    rng = np.random.default_rng(3)
    # The best passage clears its floor by 0.01 (the first feature is that margin).
    close = _row(1, rng, "s", features=(0.01,) + (0.0,) * (len(FEATURES) - 1))
    values = RefusalValues((0.0,) * len(FEATURES), 0.0, 0.0)
    assert refused([close], values, ANSWER_ANYWAY).tolist() == [False]
    raised = dataclasses.replace(values, floor_shift=0.02)
    assert refused([close], raised, ANSWER_ANYWAY).tolist() == [True]
    shipped, moved = fitted(Floors), raised.floors()
    assert moved.same_language == pytest.approx(shipped.same_language + 0.02)
    assert moved.cross_lingual == pytest.approx(shipped.cross_lingual + 0.02)
    assert moved.cross_lingual_offset == shipped.cross_lingual_offset


def test_figures_count_each_kind_of_question():
    rng = np.random.default_rng(2)
    rows = [
        _row(1, rng, "s", features=(10.0,) * len(FEATURES)),
        _row(1, rng, "s", features=(10.0,) * len(FEATURES), holds=False),
        _row(1, rng, "s", features=(-10.0,) * len(FEATURES)),
        _row(0, rng, "s", features=(-10.0,) * len(FEATURES)),
        _row(0, rng, "s", features=(10.0,) * len(FEATURES), variant="removed", kind="fact"),
    ]
    values = RefusalValues((1.0,) * len(FEATURES), 0.0, 0.5)
    assert figures(rows, values, ANSWER_ANYWAY) == {
        "quotes_hold": 0.333,
        "wrongly_refused": 0.333,
        "offcorpus_refused": 1.0,
        "removed_refused": 0.0,
        "answerable": 3,
        "offcorpus": 1,
        "removed": 1,
    }


def test_fit_learns_the_separating_feature_within_the_wrong_refusal_budget():
    sets = _sets()
    values = fit(sets, ANSWER_ANYWAY)
    assert values.weights[0] == max(values.weights)
    for rows in sets.values():
        measured = figures(rows, values, ANSWER_ANYWAY)
        without_floor = figures(
            rows, dataclasses.replace(values, min_confidence=0.0), ANSWER_ANYWAY
        )
        extra = measured["wrongly_refused"] - without_floor["wrongly_refused"]
        assert extra <= MAX_EXTRA_WRONG
        assert measured["offcorpus_refused"] > 0.5


def test_leave_one_out_never_fits_on_the_set_it_measures():
    sets = _sets()
    held_out = leave_one_out(sets, ANSWER_ANYWAY)
    assert held_out["one"] == fit({"two": sets["two"], "three": sets["three"]}, ANSWER_ANYWAY)
    # Turning the left-out set's labels around changes nothing fitted without it.
    flipped = {**sets, "one": [dataclasses.replace(r, label=1 - r.label) for r in sets["one"]]}
    again = leave_one_out(flipped, ANSWER_ANYWAY)
    assert again["one"] == held_out["one"]
    assert again["two"] != held_out["two"]


def test_fitted_values_are_written_as_valid_fitted_files(tmp_path: Path):
    from leave_one_out import write_refusal_values

    values = fit(_sets(), ANSWER_ANYWAY)
    results = {"one": {"in-set": {"quotes_hold": 0.9}, "left out": {"quotes_hold": 0.88}}}
    write_refusal_values(values, results, tmp_path)
    model = read_fitted(Answerability, tmp_path / Answerability.FILE)
    assert model == values.answerability()
    assert [model.weights[name] for name in FEATURES] == list(values.weights)
    floor = read_fitted(ConfidenceFloor, tmp_path / ConfidenceFloor.FILE)
    assert floor == ConfidenceFloor(min_confidence=values.min_confidence)
    assert read_fitted(Floors, tmp_path / Floors.FILE) == values.floors()


def test_shipped_values_replay_the_pipeline_on_the_seed(built: Assistant):
    from fitting_rows import _Asker

    asker = _Asker(built)
    pipeline = built._pipeline(use_llm=False)
    questions = (
        "Wie lange soll die Waffenruhe dauern?",
        "What did Palissa write on Facebook?",
        "What is the recipe for a good lasagne?",
        "Who won the Super Bowl?",
        "Who took the photo?",
    )
    rows = [
        asker.row("seed", q, [], frozenset(), ("",), None, kind="fact", label=1, variant="asked")
        for q in questions
    ]
    replayed = refused(rows, RefusalValues.shipped(), fitted(AnswerTypes).answer_anyway)
    assert replayed.tolist() == [pipeline.run(q, [], 5).abstained for q in questions]
    assert True in replayed.tolist() and False in replayed.tolist()


def test_naive_chunks_keep_every_word_within_the_size():
    from naive_e5 import chunks

    text = "Die Waffenruhe soll dreißig Tage dauern. " * 40 + "Unzertrennlichkeitserklärung " * 3
    pieces = chunks(text, 100)
    assert all(len(piece) <= 100 for piece in pieces)
    assert " ".join(pieces).split() == text.split()
    assert chunks("ein " + "x" * 120, 100) == ["ein", "x" * 120]


def _person_row(label: int, closeness: float, verdict: str = "on_topic") -> dict:
    return {
        "kind": "speaker" if label else "offcorpus",
        "variant": "asked",
        "label": label,
        "verdict": verdict,
        "name_closeness": closeness,
        "refused": verdict == "off_topic",
        "holds": bool(label),
    }


def test_topic_name_cutoff_is_the_lowest_refusing_the_unheld_names_and_no_answerable_one():
    rows = [_person_row(0, c) for c in (0.40, 0.45, 0.50)]
    rows += [_person_row(1, c) for c in (0.58, 0.70, 1.0, 1.0)]
    rows += [_person_row(0, 0.30, verdict="off_topic"), _person_row(1, None, verdict=None)]
    cutoff = topic_names.fit({"one": rows})
    assert cutoff == 0.51
    found = topic_names.figures(rows, cutoff)
    assert (found["offcorpus_refused"], found["wrongly_refused"]) == (1.0, 0.0)
    # A set whose answerable questions name what nothing near holds keeps the rule lower.
    other = [_person_row(1, 0.42), *(_person_row(0, 1.0) for _ in range(3))]
    assert topic_names.fit({"one": rows, "two": other}) == 0.41
