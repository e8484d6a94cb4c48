"""Measuring the assistant on a question set, in one of two formats.

- Answer-text items (`QAItem`, e.g. XQuAD): recall@k, MRR, cited-sentence hit rate, latency.
- News items (`NewsItem`, the news-dev format: gold strings, answering articles, a kind,
  follow-up history, off-corpus questions): per kind, whether the cited quotes hold a gold
  string, whether the first citation is from an answering article, whether one is among
  the retrieved passages, abstentions, quoted characters.
"""

from __future__ import annotations

import json
import time
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.errors import AssistantError
from assistant.ingest.passages import Passage
from assistant.surfaces.api import Assistant


@dataclass(frozen=True)
class QAItem:
    """A question with its expected answer text and, optionally, where the answer lies.

    `article_id` names the article that answers it: a passage of another article does not
    count even if it happens to contain the answer text (a year, say). `start`/`end` are
    character offsets into that article's text (e.g. the paragraph holding the answer), for
    the separate, looser span-overlap rate.
    """

    question: str
    answer: str
    article_id: str | None = None
    start: int | None = None
    end: int | None = None


@dataclass(frozen=True)
class NewsItem:
    """A question of the news format: `answers` are gold strings (any one in the cited quotes
    is a hit), `articles` the files that answer it (none for an off-corpus question, which
    is a hit when the assistant abstains)."""

    question: str
    answers: tuple[str, ...]
    articles: frozenset[str]
    kind: str  # speaker, fact, crosslingual, offcorpus, followup, time, liked (page feedback)
    language: str = ""
    history: tuple[dict, ...] = ()
    as_of: str | None = None  # the day the question is asked ("last week" is read against)

    @classmethod
    def of(cls, entry: dict) -> NewsItem:
        articles = [entry.get("article"), *entry.get("alt_articles", [])]
        return cls(
            question=entry["q"],
            answers=tuple(entry["answers"]),
            articles=frozenset(a for a in articles if a),
            kind=entry["kind"],
            language=entry.get("lang", ""),
            history=tuple(entry.get("history", [])),
            as_of=entry.get("as_of"),
        )


def read_qa_file(path: Path) -> list[QAItem] | list[NewsItem]:
    """Read JSON lines of {"question", "answer"[, "article_id", "start", "end"]}, or of the
    news format {"q", "answers", "article", "alt_articles", "kind"[, "history", "as_of"]}.

    Raises:
        AssistantError: the file is missing or a line is not such an object.
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as err:
        raise AssistantError(f"Cannot read {path}: {err.strerror}") from err
    items = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
            if isinstance(entry, dict) and entry.get("kind") == "flagged":
                raise AssistantError(_FLAGGED.format(path=path, number=number))
            items.append(NewsItem.of(entry) if "q" in entry else QAItem(**entry))
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError) as err:
            raise AssistantError(
                f'{path}, line {number}: expected {{"question": ..., "answer": ...}} or the '
                f"news format ({err!r})"
            ) from err
    if len({type(item) for item in items}) > 1:
        raise AssistantError(f"{path} mixes the two formats; use one per file.")
    return items


# A thumbs-down from the page (`assistant feedback export`) says an answer was wrong, not
# what the right one is: scored as it stands, it would be a miss whatever the assistant says.
_FLAGGED = (
    '{path}, line {number} is a thumbs-down answer still to be reviewed (kind "flagged"). '
    'Read its "note" and "answer_given", then give it "answers" (a few words the right '
    'quote holds) and the "article" that answers, with a kind such as "fact" or '
    '"speaker"; or kind "offcorpus" when the articles do not answer it; or delete the line.'
)


def holds_answer(answer: str, article_id: str | None, passage: Passage) -> bool:
    """Whether a user could be answered from this passage: it contains the answer text and,
    when the answering article is known, belongs to it."""
    if article_id is not None and passage.article_id != article_id:
        return False
    return answer.lower() in passage.text.lower()


def overlaps_gold_span(item: QAItem, passage: Passage) -> bool:
    """The looser, older measure: the passage overlaps the gold span (whether or not the
    answer text falls inside it)."""
    return (
        item.article_id == passage.article_id
        and item.start is not None
        and item.end is not None
        and passage.start < item.end
        and item.start < passage.end
    )


def evaluate(assistant: Assistant, items: list[QAItem], k: int = 5) -> dict:
    """Ask every question; return recall@k, MRR@k, cited-sentence hit rate and latency.

    Recall and MRR count passages that hold the answer (`holds_answer`). When the items
    carry gold spans, `span_overlap@k` gives the share of questions with a retrieved passage
    overlapping the span, labelled apart because it is looser. The cited-sentence hit rate
    counts answers whose quoted sentences contain the expected text; abstentions count as
    misses.
    """
    if not items:
        raise AssistantError("The question set is empty.")
    recalled, reciprocal_ranks, cited, abstained, latencies = 0, [], 0, 0, []
    overlapped = 0
    for item in items:
        started = time.perf_counter()
        answer = assistant.ask(item.question, k=k)
        latencies.append(time.perf_counter() - started)
        passages = [hit.passage for hit in answer.retrieved]
        ranks = [
            rank
            for rank, passage in enumerate(passages, start=1)
            if holds_answer(item.answer, item.article_id, passage)
        ]
        recalled += bool(ranks)
        overlapped += any(overlaps_gold_span(item, passage) for passage in passages)
        reciprocal_ranks.append(1 / ranks[0] if ranks else 0.0)
        quotes = " ".join(c.quote for c in answer.citations).lower()
        cited += item.answer.lower() in quotes
        abstained += answer.abstained
    with_spans = all(item.start is not None for item in items)
    return {
        "questions": len(items),
        f"recall@{k}": recalled / len(items),
        f"mrr@{k}": float(np.mean(reciprocal_ranks)),
        **({f"span_overlap@{k}": overlapped / len(items)} if with_spans else {}),
        "cited_hit_rate": cited / len(items),
        "abstained": abstained / len(items),
        "latency_ms_p50": float(np.percentile(latencies, 50) * 1000),
        "latency_ms_p95": float(np.percentile(latencies, 95) * 1000),
    }


def evaluate_news(assistant: Assistant, items: list[NewsItem], k: int = 5) -> dict:
    """Ask every news question (follow-ups with their history) and score them per kind.

    Returns {"overall": measures, "by_kind": {kind: measures}}; over answerable questions:
    `quotes_hold_answer` (a gold string is in the cited quotes), `first_cite_right` (the
    first citation is from an answering article), `gold_in_top_k` (an answering article
    among the retrieved passages), `wrong_abstain`; over off-corpus questions:
    `offcorpus_abstain`; over answers given: `quoted_chars`; over all: `confidence_ece`, the
    expected calibration error of the stated confidence against being right (an answer whose
    quotes hold a gold string, a refusal of an off-corpus question; a refusal states
    1 - confidence).
    """
    if not items:
        raise AssistantError("The question set is empty.")
    rows = [
        _score_news(item, assistant.ask(item.question, list(item.history), k, as_of=item.as_of))
        for item in items
    ]
    by_kind: dict[str, list[dict]] = defaultdict(list)
    for row in rows:
        by_kind[row["kind"]].append(row)
    return {
        "overall": _news_measures(rows),
        "by_kind": {kind: _news_measures(group) for kind, group in sorted(by_kind.items())},
    }


def _normalised(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def _score_news(item: NewsItem, answer) -> dict:
    quotes = _normalised(" ".join(c.quote for c in answer.citations))
    quoted = any(_normalised(gold) in quotes for gold in item.answers)
    first = answer.citations[0].article_id if answer.citations else None
    return {
        "kind": item.kind,
        "answerable": item.kind != "offcorpus",
        "abstained": answer.abstained,
        "quoted": quoted,
        "first_right": first in item.articles,
        "gold_retrieved": any(h.article.id in item.articles for h in answer.retrieved),
        "quoted_chars": sum(len(c.quote) for c in answer.citations),
        "confidence": answer.confidence if answer.confidence is not None else 0.0,
        # Right: an answerable question answered from a gold string, or an off-corpus one
        # refused. The stated confidence should match how often this holds.
        "right": not answer.abstained and quoted if item.kind != "offcorpus" else answer.abstained,
    }


def _news_measures(rows: list[dict]) -> dict:
    answerable = [r for r in rows if r["answerable"]]
    offcorpus = [r for r in rows if not r["answerable"]]
    answered = [r for r in rows if not r["abstained"]]

    def share(group: list[dict], key: str) -> float | None:
        return sum(bool(r[key]) for r in group) / len(group) if group else None

    return {
        "questions": len(rows),
        "quotes_hold_answer": share(answerable, "quoted"),
        "first_cite_right": share(answerable, "first_right"),
        "gold_in_top_k": share(answerable, "gold_retrieved"),
        "wrong_abstain": share(answerable, "abstained"),
        "offcorpus_abstain": share(offcorpus, "abstained"),
        "quoted_chars": (
            float(np.mean([r["quoted_chars"] for r in answered])) if answered else None
        ),
        "confidence_ece": expected_calibration_error(
            [r["confidence"] if not r["abstained"] else 1 - r["confidence"] for r in rows],
            [r["right"] for r in rows],
        ),
    }


def expected_calibration_error(
    confidence: np.ndarray, correct: np.ndarray, bins: int = 10
) -> float:
    """How far stated confidence is from the rate of being right: the gap between mean
    confidence and accuracy in each of `bins` equal-width confidence bins, weighted by the
    share of answers in the bin."""
    confidence, correct = np.asarray(confidence, dtype=float), np.asarray(correct, dtype=float)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    error = 0.0
    for b in range(bins):
        inside = which == b
        if inside.any():
            error += inside.mean() * abs(confidence[inside].mean() - correct[inside].mean())
    return float(error)
