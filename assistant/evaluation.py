"""Measuring the assistant on a question set: recall@k, MRR, cited-sentence hit rate, latency."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.api import Assistant
from assistant.errors import AssistantError
from assistant.passages import Passage


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


def read_qa_file(path: Path) -> list[QAItem]:
    """Read JSON lines of {"question", "answer"[, "article_id", "start", "end"]}.

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
            items.append(QAItem(**json.loads(line)))
        except (ValueError, TypeError) as err:
            raise AssistantError(
                f'{path}, line {number}: expected {{"question": ..., "answer": ...}} ({err})'
            ) from err
    return items


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
