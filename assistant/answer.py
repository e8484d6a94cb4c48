"""Answers with numbered citations. The default needs no LLM: it quotes the best sentences."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from assistant.prompts import load_prompt
from assistant.store import Hit

# A sentence's score is its own similarity to the question plus this share of its passage's;
# the passage's context keeps a generic sentence of an off-topic passage from winning.
# Share, margin and quote count were tuned on half of XQuAD (benchmarks/tune.py).
_PASSAGE_SHARE = 0.5
# Further sentences are quoted when they score within this many standard deviations (of the
# candidate sentences' similarities) of the best one.
_QUOTE_MARGIN_SPREADS = 2.0
_MAX_QUOTES = 3
# Headings and photo credits ("US-Unterhändler loben Ukrainer", "(Quelle: Saul Loeb)") give
# passages context but answer nothing, so fragments this short are never quoted.
_MIN_QUOTE_WORDS = 4


@dataclass(frozen=True)
class Citation:
    """One quoted sentence (or run of sentences). Offsets index the article's text."""

    n: int
    article_id: str
    title: str
    date: str | None
    source: str
    passage_id: str
    passage: str
    quote: str
    start: int
    end: int
    score: float  # the quote's similarity to the question; higher = closer


@dataclass(frozen=True)
class Answer:
    question: str
    text: str
    citations: tuple[Citation, ...]
    abstained: bool
    retrieved: tuple[Hit, ...]  # rank order, best first

    def as_json(self) -> dict:
        """The documented JSON shape shared by the CLI and the web API."""
        return {
            "question": self.question,
            "answer": self.text,
            "abstained": self.abstained,
            "citations": [
                {
                    "n": c.n,
                    "article_id": c.article_id,
                    "title": c.title,
                    "date": c.date,
                    "source": c.source,
                    "passage": c.passage,
                    "quote": c.quote,
                    "start": c.start,
                    "end": c.end,
                    "score": round(c.score, 4),
                }
                for c in self.citations
            ],
            "retrieved": [
                {
                    "article_id": h.article.id,
                    "title": h.article.title,
                    "source": h.article.source,
                    "passage": h.passage.text,
                    "score": round(h.score, 4),
                }
                for h in self.retrieved
            ],
        }


@dataclass(frozen=True)
class _Sentence:
    hit: Hit
    start: int
    end: int
    text: str
    vector: np.ndarray


def abstention(question: str, retrieved: list[Hit]) -> Answer:
    """The fixed "the articles don't say" answer, with no citations."""
    text = load_prompt("abstain").format(question=question.strip())
    return Answer(question, text, (), abstained=True, retrieved=tuple(retrieved))


@dataclass(frozen=True)
class AbstainPolicy:
    """Dense-similarity floors below which a passage does not count as evidence.

    Cosine similarities of e5 run higher within a language than across languages, so
    each case has its own floor.
    """

    question_language: str
    same_language: float
    cross_lingual: float

    def is_evidence(self, hit: Hit) -> bool:
        same = hit.language == self.question_language
        return hit.dense >= (self.same_language if same else self.cross_lingual)


def answer_extractively(
    question: str,
    question_vector: np.ndarray,
    hits: list[Hit],
    sentence_vectors: Mapping[tuple[str, int], np.ndarray],
    policy: AbstainPolicy,
) -> Answer:
    """Quote the sentences of `hits` that best answer the question, each cited as [n].

    Args:
        sentence_vectors: (passage id, sentence ordinal) -> unit vector, from the index.

    Abstains (no citations) when no hit is evidence under `policy`.
    """
    sentences = _unique_sentences(hits, sentence_vectors)
    if not sentences or not any(policy.is_evidence(h) for h in hits):
        return abstention(question, hits)
    similarity = np.stack([s.vector for s in sentences]) @ question_vector
    scores = similarity + _PASSAGE_SHARE * np.array([s.hit.dense for s in sentences])
    order = np.argsort(-scores, kind="stable")
    floor = scores[order[0]] - _QUOTE_MARGIN_SPREADS * float(similarity.std())
    chosen = [i for i in order[:_MAX_QUOTES] if scores[i] >= floor]
    citations = tuple(
        _citation(n, sentences[i], float(similarity[i])) for n, i in enumerate(chosen, start=1)
    )
    text = " ".join(f"{c.quote} [{c.n}]" for c in citations)
    return Answer(question, text, citations, abstained=False, retrieved=tuple(hits))


def _unique_sentences(
    hits: list[Hit], vectors: Mapping[tuple[str, int], np.ndarray]
) -> list[_Sentence]:
    """Each sentence once, attributed to the best-ranked passage holding it (passages overlap)."""
    seen: set[tuple[str, int]] = set()
    sentences = []
    for hit in hits:
        passage = hit.passage
        for ordinal, (start, end) in enumerate(passage.sentences):
            key = (passage.article_id, start)
            vector = vectors.get((passage.id, ordinal))
            text = passage.text[start - passage.start : end - passage.start]
            if key in seen or vector is None or len(text.split()) < _MIN_QUOTE_WORDS:
                continue
            seen.add(key)
            sentences.append(_Sentence(hit, start, end, text, vector))
    return sentences


def _citation(n: int, sentence: _Sentence, score: float) -> Citation:
    hit = sentence.hit
    return Citation(
        n=n,
        article_id=hit.article.id,
        title=hit.article.title,
        date=hit.article.date,
        source=hit.article.source,
        passage_id=hit.passage.id,
        passage=hit.passage.text,
        quote=sentence.text,
        start=sentence.start,
        end=sentence.end,
        score=score,
    )
