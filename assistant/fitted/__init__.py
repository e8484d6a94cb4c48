"""Numbers fitted or tuned on data, read from the JSON files beside this module.

Each file holds one group of values with where they came from::

    {"values": {...}, "fitted_on": "the data", "script": "benchmarks/tune.py",
     "date": "YYYY-MM-DD", "score": {...}, "notes": "optional"}

`script` is the script that produced the values, or null when they were set by hand
against the data `fitted_on` describes. The fitting scripts write these files
(`--write`, through `write_fitted`); the code reads each file once through `fitted`:

    >>> fitted(QuoteModel).bias
    -3.42

A file must hold exactly the values its dataclass declares, so a refit that renames or
drops a value fails when the file is first read, naming it, instead of changing answers
quietly.
Settings an operator may change (floors, weights) take their defaults from here and stay
overridable through ``ASSISTANT_*`` variables.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import MappingProxyType
from typing import Any, ClassVar, TypeVar, get_type_hints

from assistant.errors import FittedValuesError

FOLDER = Path(__file__).resolve().parent
_REQUIRED = ("values", "fitted_on", "script", "date", "score")
_OPTIONAL = ("notes",)


@dataclasses.dataclass(frozen=True)
class QuoteModel:
    """The logistic model that gives each candidate sentence its chance of holding the
    answer (answering/quoting.py): a weight per dense model's z-scored similarity (by model
    name), one for the share of the question's words the sentence holds, a bias; and how
    close to the best sentence's chance another must come to be quoted too."""

    FILE: ClassVar[str] = "quote_model.json"
    similarity_weights: Mapping[str, float]
    word_share_weight: float
    bias: float
    quote_share: float


@dataclasses.dataclass(frozen=True)
class Answerability:
    """The logistic model of the answer's confidence (answering/answerability.py): a weight
    per feature, by the feature's name, and a bias."""

    FILE: ClassVar[str] = "answerability.json"
    weights: Mapping[str, float]
    bias: float


@dataclasses.dataclass(frozen=True)
class Floors:
    """The primary model's similarity floors below which a passage is no evidence (cosine,
    in the question's language and across languages), and the gap between them that
    comparisons across languages add back."""

    FILE: ClassVar[str] = "floors.json"
    same_language: float
    cross_lingual: float
    cross_lingual_offset: float


@dataclasses.dataclass(frozen=True)
class ConfidenceFloor:
    """The confidence below which the answerer refuses whatever the similarities say."""

    FILE: ClassVar[str] = "confidence_floor.json"
    min_confidence: float


@dataclasses.dataclass(frozen=True)
class Retrieval:
    """The fused ranking's weights: each default dense model's (by model name) and BM25's."""

    FILE: ClassVar[str] = "retrieval.json"
    dense_weights: Mapping[str, float]
    lexical_weight: float


@dataclasses.dataclass(frozen=True)
class Support:
    """The cosine at which a cited sentence supports an answer sentence (answering/support.py)."""

    FILE: ClassVar[str] = "support.json"
    threshold: float


@dataclasses.dataclass(frozen=True)
class WordMatching:
    """The cosine of two words' vectors at which they count as the same word
    (models/word_matching.py)."""

    FILE: ClassVar[str] = "word_matching.json"
    word_match: float


@dataclasses.dataclass(frozen=True)
class AnswerTypes:
    """What holding the kind of answer asked for ("how long" -> a duration) is worth: added
    to a sentence's quote logit (a credit line's for "who took the photo"), to a passage's
    fused score, and the confidence at which such a sentence answers below the floors."""

    FILE: ClassVar[str] = "answer_types.json"
    quote_bonus: float
    credit_quote_bonus: float
    passage_bonus: float
    answer_anyway: float


@dataclasses.dataclass(frozen=True)
class People:
    """Person questions: how much closer to the topic the articles must come elsewhere for
    the person's statements not to answer it (e5 cosine), what a quotation adds to a
    statement's quote logit over a summary, and the word-model similarity tying a
    no-comment sentence to a person the articles never name."""

    FILE: ClassVar[str] = "people.json"
    speaker_topic_gap: float
    direct_quote_bonus: float
    no_comment_tie: float


@dataclasses.dataclass(frozen=True)
class TopicNames:
    """Person questions: a topic naming something no passage holds is not the person's
    topic when no word near the topic comes this close to the name (USE cosine; see
    `HybridRetriever.name_closeness`)."""

    FILE: ClassVar[str] = "topic_names.json"
    min_closeness: float


Values = TypeVar("Values")
_loaded: dict[type, Any] = {}
_lock = threading.Lock()


def fitted(kind: type[Values]) -> Values:
    """The shipped values of `kind` (one of the dataclasses above), read once.

    Raises:
        FittedValuesError: the file is missing, unreadable, or its values are not exactly
            those `kind` declares.
    """
    with _lock:
        if kind not in _loaded:
            _loaded[kind] = read_fitted(kind, FOLDER / kind.FILE)
        return _loaded[kind]


def ordered(kind: type, table: str, names: Sequence[str]) -> list[float]:
    """The fitted table `table` of `kind` (e.g. `Answerability.weights`, by feature name) in
    the order of `names`.

    Raises:
        FittedValuesError: the table's names are not exactly `names`.
    """
    values = getattr(fitted(kind), table)
    _check_keys(FOLDER / kind.FILE, f"values.{table}.", values, set(names))
    return [values[name] for name in names]


def read_fitted(kind: type[Values], path: Path) -> Values:
    """The values of `kind` from the file `path`, checked against `kind`'s fields.

    Raises:
        FittedValuesError: as for `fitted`.
    """
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise FittedValuesError(path, f"cannot be read ({err})") from err
    if not isinstance(record, dict):
        raise FittedValuesError(path, "is not a JSON object")
    _check_keys(path, "", record, set(_REQUIRED), set(_OPTIONAL))
    values = record["values"]
    if not isinstance(values, dict):
        raise FittedValuesError(path, "holds values that are not an object")
    hints = get_type_hints(kind)
    _check_keys(path, "values.", values, {f.name for f in dataclasses.fields(kind)})
    return kind(
        **{name: _number_or_table(path, name, values[name], hints[name]) for name in values}
    )


def write_fitted(
    path: Path,
    values: object,
    *,
    fitted_on: str,
    script: str,
    score: Mapping[str, Any],
    notes: str | None = None,
) -> None:
    """Write `values` (an instance of one of the dataclasses above) to `path` as its file,
    dated today, with the data it was fitted on, the script that fitted it and its score."""
    record: dict[str, Any] = {
        "values": {
            field.name: _plain(getattr(values, field.name)) for field in dataclasses.fields(values)
        },
        "fitted_on": fitted_on,
        "script": script,
        "date": datetime.date.today().isoformat(),
        "score": dict(score),
    }
    if notes:
        record["notes"] = notes
    path.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


@contextmanager
def overridden(kind: type[Values], **changes: Any) -> Iterator[Values]:
    """Within the block, `fitted(kind)` returns the shipped values with `changes`: for
    measuring a value before writing it, and for tests."""
    shipped = fitted(kind)
    with _lock:
        _loaded[kind] = dataclasses.replace(shipped, **changes)
    try:
        yield _loaded[kind]
    finally:
        with _lock:
            _loaded[kind] = shipped


def _plain(value: object) -> object:
    return dict(value) if isinstance(value, Mapping) else value


def _check_keys(
    path: Path, prefix: str, found: dict, required: set[str], optional: set[str] = frozenset()
) -> None:
    missing = sorted(required - set(found))
    unknown = sorted(set(found) - required - optional)
    problems = [f"lacks {prefix}{name}" for name in missing]
    problems += [f"has unknown {prefix}{name}" for name in unknown]
    if problems:
        raise FittedValuesError(path, ", ".join(problems))


def _number_or_table(path: Path, name: str, value: object, hint: object) -> object:
    """A float, or for a Mapping field a read-only table of names to floats."""
    if hint == Mapping[str, float]:
        if not isinstance(value, dict):
            raise FittedValuesError(path, f"holds values.{name} that is not an object of numbers")
        return MappingProxyType(
            {key: _number(path, f"{name}.{key}", v) for key, v in value.items()}
        )
    return _number(path, name, value)


def _number(path: Path, name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FittedValuesError(path, f"holds values.{name} = {value!r}, not a number")
    return float(value)
