"""Measuring the assistant on a question set: recall@k, MRR, cited-sentence hit rate, latency."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.api import Assistant
from assistant.errors import AssistantError
from assistant.store import Hit


@dataclass(frozen=True)
class QAItem:
    """A question with its expected answer text and, optionally, the gold span it comes from.

    `start`/`end` are character offsets into the article's text (e.g. the paragraph that
    holds the answer); a retrieved passage overlapping them counts as a hit too.
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


def passage_hits(item: QAItem, hit: Hit) -> bool:
    if item.answer.lower() in hit.passage.text.lower():
        return True
    return (
        item.article_id == hit.article.id
        and item.start is not None
        and item.end is not None
        and hit.passage.start < item.end
        and item.start < hit.passage.end
    )


def evaluate(assistant: Assistant, items: list[QAItem], k: int = 5) -> dict:
    """Ask every question; return recall@k, MRR@k, cited-sentence hit rate and latency.

    The cited-sentence hit rate counts answers whose quoted sentences contain the expected
    text; abstentions count as misses.
    """
    if not items:
        raise AssistantError("The question set is empty.")
    recalled, reciprocal_ranks, cited, abstained, latencies = 0, [], 0, 0, []
    for item in items:
        started = time.perf_counter()
        answer = assistant.ask(item.question, k=k)
        latencies.append(time.perf_counter() - started)
        ranks = [i for i, hit in enumerate(answer.retrieved, start=1) if passage_hits(item, hit)]
        recalled += bool(ranks)
        reciprocal_ranks.append(1 / ranks[0] if ranks else 0.0)
        quotes = " ".join(c.quote for c in answer.citations).lower()
        cited += item.answer.lower() in quotes
        abstained += answer.abstained
    return {
        "questions": len(items),
        f"recall@{k}": recalled / len(items),
        f"mrr@{k}": float(np.mean(reciprocal_ranks)),
        "cited_hit_rate": cited / len(items),
        "abstained": abstained / len(items),
        "latency_ms_p50": float(np.percentile(latencies, 50) * 1000),
        "latency_ms_p95": float(np.percentile(latencies, 95) * 1000),
    }
