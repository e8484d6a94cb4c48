"""Refusal fitting from cached rows: the answerability model and the confidence floor,
fitted on any group of question sets and measured on any other.

One `Row` is one question asked one way (as written, or with its answering articles left
out of retrieval), with what the fitted values need to decide it again without retrieving:
the answerability features, whether a passage clears the similarity floors, whether the
best sentence holds the kind of answer asked for, and whether the quotes would hold the
answer. A person question's refusal is decided by its own path (never by the confidence),
and a question with nothing quotable is refused whatever the values: both are `fixed`.

`fitting_rows.py` computes and caches the rows; `leave_one_out.py` fits and measures.
Nothing here retrieves, so a refit takes a second.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression

from assistant.answering.answerability import FEATURES
from assistant.fitted import Answerability, ConfidenceFloor, Floors, fitted, ordered

# Moves of both similarity floors (cosine) and confidence floors tried; the pair chosen
# refuses the most unanswerable questions of the sets fitted on while adding at most
# `MAX_EXTRA_WRONG` wrongly refused answerable ones to any of them (over the refusals of the
# rows' own similarity floors alone).
FLOOR_SHIFTS = (-0.02, -0.01, 0.0, 0.01, 0.02)
THRESHOLDS = tuple(round(t, 2) for t in np.arange(0.02, 0.61, 0.01))
_MARGIN = FEATURES.index("dense_margin")
MAX_EXTRA_WRONG = 0.02


@dataclass(frozen=True)
class Row:
    """One question asked one way, as the refusal rules see it.

    `label`: 1 when the articles indexed answer it (asked as written, not off-corpus), else
    0; `variant`: "asked" or "removed" (its answering articles left out of retrieval);
    `features`: `answerability.FEATURES` of its evidence (None when nothing is quotable);
    `evidence`: some passage clears its similarity floor; `typed`: the best sentence holds
    the kind of answer asked for; `fixed`: True/False when refused/answered whatever the
    fitted values (a person question, nothing quotable), None when they decide; `holds`:
    the quotes, when it is answered, hold a gold answer; `retrieved_holds`: one of the top
    passages does.
    """

    set: str
    question: str
    kind: str
    label: int
    variant: str
    features: tuple[float, ...] | None
    evidence: bool
    typed: bool
    fixed: bool | None
    holds: bool
    retrieved_holds: bool

    @classmethod
    def of(cls, record: Mapping) -> Row:
        features = record["features"]
        return cls(**{**record, "features": None if features is None else tuple(features)})

    def as_record(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class RefusalValues:
    """What the fitting sets: the answerability model, the confidence floor, and how far
    both similarity floors move from those the rows were read under (the gap between them
    kept: the person path compares across languages with it)."""

    weights: tuple[float, ...]
    bias: float
    min_confidence: float
    floor_shift: float = 0.0

    @classmethod
    def shipped(cls) -> RefusalValues:
        return cls(
            weights=tuple(ordered(Answerability, "weights", FEATURES)),
            bias=fitted(Answerability).bias,
            min_confidence=fitted(ConfidenceFloor).min_confidence,
        )

    def answerability(self) -> Answerability:
        return Answerability(weights=dict(zip(FEATURES, self.weights, strict=True)), bias=self.bias)

    def confidence_floor(self) -> ConfidenceFloor:
        return ConfidenceFloor(min_confidence=self.min_confidence)

    def floors(self) -> Floors:
        """The similarity floors, moved from the shipped ones by `floor_shift`."""
        shipped = fitted(Floors)
        return dataclasses.replace(
            shipped,
            same_language=round(shipped.same_language + self.floor_shift, 3),
            cross_lingual=round(shipped.cross_lingual + self.floor_shift, 3),
        )


def _shifted(row: Row, shift: float) -> tuple[float, ...] | None:
    """The row's features with the similarity floors moved by `shift`: the best passage's
    margin over its floor moves by as much, whichever language it is in."""
    if row.features is None or not shift:
        return row.features
    features = list(row.features)
    features[_MARGIN] -= shift
    return tuple(features)


def confidences(rows: Sequence[Row], values: RefusalValues) -> np.ndarray:
    """Each row's answerability chance under `values` (0 where it has no features)."""
    weights = np.array(values.weights)
    chances = []
    for row in rows:
        features = _shifted(row, values.floor_shift)
        logit = 0.0 if features is None else np.array(features) @ weights + values.bias
        chances.append(0.0 if features is None else 1.0 / (1.0 + np.exp(-logit)))
    return np.array(chances)


def refused(rows: Sequence[Row], values: RefusalValues, answer_anyway: float) -> np.ndarray:
    """Whether each row is refused, as `quoting.ExtractiveAnswerer` decides: answered when
    a passage clears its floor and the confidence reaches the floor, or when the best
    sentence holds the kind of answer asked for at a confidence of `answer_anyway`."""
    chance = confidences(rows, values)
    out = []
    for row, confidence in zip(rows, chance, strict=True):
        if row.fixed is not None:
            out.append(row.fixed)
            continue
        evidence = row.evidence
        if values.floor_shift:
            evidence = row.features[_MARGIN] >= values.floor_shift
        answers = evidence and confidence >= values.min_confidence
        out.append(not (answers or (row.typed and confidence >= answer_anyway)))
    return np.array(out, dtype=bool)


def figures(rows: Sequence[Row], values: RefusalValues, answer_anyway: float) -> dict:
    """One set's figures under `values`: over answerable questions as asked, the share whose
    quotes hold a gold answer and the share refused; over off-corpus questions and over
    questions asked without their answering articles, the share refused (None where a set
    has none)."""
    no = refused(rows, values, answer_anyway)

    def share(mask: np.ndarray, hits: np.ndarray) -> float | None:
        return round(float(hits[mask].mean()), 3) if mask.any() else None

    asked = np.array([r.variant == "asked" for r in rows])
    answerable = asked & np.array([r.label == 1 for r in rows])
    offcorpus = asked & np.array([r.kind == "offcorpus" for r in rows])
    removed = np.array([r.variant == "removed" for r in rows])
    holds = np.array([r.holds for r in rows]) & ~no
    return {
        "quotes_hold": share(answerable, holds),
        "wrongly_refused": share(answerable, no),
        "offcorpus_refused": share(offcorpus, no),
        "removed_refused": share(removed, no),
        "answerable": int(answerable.sum()),
        "offcorpus": int(offcorpus.sum()),
        "removed": int(removed.sum()),
    }


def fit(rows_by_set: Mapping[str, Sequence[Row]], answer_anyway: float) -> RefusalValues:
    """The refusal values fitted on the sets given.

    For each shift of the similarity floors (`FLOOR_SHIFTS`): a logistic regression of
    every row with features on its label, each set weighing the same whatever its size,
    and the confidence floor of `THRESHOLDS`. Chosen: the shift and floor refusing the
    largest share of unanswerable rows (mean over the sets) while no set's answerable
    questions are refused `MAX_EXTRA_WRONG` more often than under the rows' own similarity
    floors with no confidence rule; at equal shares, the floors nearest the rows' own.
    """
    reference = RefusalValues((0.0,) * len(FEATURES), 0.0, 0.0)
    base = [_wrong_right(rows, reference, answer_anyway)[0] for rows in rows_by_set.values()]
    best, best_score = None, -1.0
    for shift in sorted(FLOOR_SHIFTS, key=abs):
        weights, bias = _model(rows_by_set, shift)
        for threshold in THRESHOLDS:
            values = RefusalValues(weights, bias, threshold, shift)
            per_set = [_wrong_right(rows, values, answer_anyway) for rows in rows_by_set.values()]
            if any(w - b > MAX_EXTRA_WRONG for (w, _), b in zip(per_set, base, strict=True)):
                continue
            score = float(np.mean([right for _, right in per_set]))
            if score > best_score:
                best, best_score = values, score
    if best is None:
        weights, bias = _model(rows_by_set, 0.0)
        return RefusalValues(weights, bias, 0.0)
    return best


def _model(rows_by_set: Mapping[str, Sequence[Row]], shift: float) -> tuple[tuple, float]:
    """The answerability model's weights and bias, fitted with the floors moved by `shift`."""
    chosen = {
        name: [_shifted(r, shift) for r in rows if r.features is not None]
        for name, rows in rows_by_set.items()
    }
    labels_of = {
        name: [r.label for r in rows if r.features is not None]
        for name, rows in rows_by_set.items()
    }
    names = [name for name, rows in chosen.items() if rows]
    if not names:
        raise ValueError("no rows with features to fit on")
    features = np.array([f for name in names for f in chosen[name]])
    labels = np.array([label for name in names for label in labels_of[name]])
    weights = np.concatenate([np.full(len(chosen[n]), 1.0 / len(chosen[n])) for n in names])
    model = LogisticRegression(max_iter=5000).fit(
        features, labels, sample_weight=weights * len(weights) / len(names)
    )
    return tuple(round(float(w), 4) for w in model.coef_[0]), round(float(model.intercept_[0]), 4)


def _wrong_right(
    rows: Sequence[Row], values: RefusalValues, answer_anyway: float
) -> tuple[float, float]:
    """The share of answerable rows refused, and of the others."""
    no = refused(rows, values, answer_anyway)
    answerable = np.array([r.label == 1 for r in rows])
    wrong = float(no[answerable].mean()) if answerable.any() else 0.0
    right = float(no[~answerable].mean()) if (~answerable).any() else 0.0
    return wrong, right


def leave_one_out(
    rows_by_set: Mapping[str, Sequence[Row]], answer_anyway: float
) -> dict[str, RefusalValues]:
    """For each set, the values fitted on all the other sets (never on it)."""
    return {
        left_out: fit(
            {name: rows for name, rows in rows_by_set.items() if name != left_out},
            answer_anyway,
        )
        for left_out in rows_by_set
    }
