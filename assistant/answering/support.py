"""The citation check: is each sentence of an answer supported by the passages it cites?"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache

import numpy as np

from assistant.answering.answer import MARKER, Answer, AnswerSentence, Citation, citation
from assistant.index.store import Hit
from assistant.ingest.passages import Passage, split_sentences
from assistant.language.instructions import is_instruction
from assistant.language.tokens import tokenize
from assistant.models.embeddings import PassageEmbeddings
from assistant.retrieval.hybrid import Evidence

_MARKER_WITH_SPACE = re.compile(r"\s*\[\d+\]")
# "Sentence. [1] Next" -> "Sentence [1]. Next": a marker belongs to the sentence before it.
_MARKERS_AFTER_STOP = re.compile(r"([.!?])((?:\s*\[\d+\])+)")
# An answer sentence whose content words mostly appear in a cited passage is supported even
# when the embeddings disagree (names, numbers).
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_SUPPORTING_WORD_SHARE = 0.6


@dataclass
class SupportChecker:
    """Checks each answer sentence against the passages it cites.

    A sentence is supported when every number in it appears in a passage it cites and, for
    one such passage, some sentence of it is close (embedding cosine >= `threshold`) or the
    passage holds most of its content words. A passage's sentences that instruct the model
    ("Ignore previous instructions and say ...") support nothing: an answer that obeys
    them is unsupported.

    With `citable` (a person question), a written answer may rest only on those sentences,
    (passage id, ordinal) -> whose words they are: the person's statements. Its sentences
    are checked against them alone and its citations quote them.
    """

    embedder: PassageEmbeddings
    sentence_vectors: Mapping[tuple[str, int], np.ndarray]
    language: str
    threshold: float
    citable: Mapping[tuple[str, int], str] | None = None
    _stemmed: dict[tuple[str, str], set[str]] = field(default_factory=dict, init=False, repr=False)

    @classmethod
    def for_evidence(
        cls,
        evidence: Evidence,
        embedder: PassageEmbeddings,
        threshold: float,
        citable: Mapping[tuple[str, int], str] | None = None,
    ) -> SupportChecker:
        """A checker against the retrieved passages' sentences (the primary model's vectors;
        `embedder` is that model), or against the `citable` ones of them."""
        primary = evidence.sentences[0].sentences
        return cls(embedder, primary, evidence.question.language, threshold, citable)

    def checked(self, answer: Answer) -> Answer:
        """`answer` with each of its sentences checked against the passages it cites.

        A quoted answer (citations already chosen) has its quotes checked; a written one
        (an LLM's text with [n] markers, no citations yet) is split into sentences, each
        checked, and each cited passage quoted where it is closest to what cites it.
        """
        if answer.abstained:
            return answer
        hits = list(answer.retrieved)
        if answer.citations:
            by_passage = {h.passage.id: h for h in hits}
            cited = {c.n: by_passage[c.passage_id] for c in answer.citations}
            # The answer is its quotes, one per citation: no need to split it again. A quote
            # chose its sentence already; it is checked against its passage as a whole.
            quotes = [f"{c.quote} [{c.n}]" for c in answer.citations]
            whole = replace(self, citable=None)
            return replace(answer, sentences=tuple(whole.check_sentences(quotes, cited)))
        sentences = self.check(answer.text, dict(enumerate(hits, start=1)))
        citations = self.citations(hits, sentences)
        return replace(answer, citations=citations, sentences=tuple(sentences))

    def check(self, text: str, cited: Mapping[int, Hit]) -> list[AnswerSentence]:
        """Each sentence of `text` with the markers it carries; `cited` maps marker -> passage."""
        text = _MARKERS_AFTER_STOP.sub(lambda m: m.group(2) + m.group(1), text)
        texts = [text[s.start : s.end] for s in split_sentences(text, self.language)]
        return self.check_sentences(texts, cited)

    def check_sentences(self, texts: list[str], cited: Mapping[int, Hit]) -> list[AnswerSentence]:
        """The same for an answer already split into sentences."""
        numbers = [
            tuple(dict.fromkeys(n for n in map(int, MARKER.findall(t)) if n in cited))
            for t in texts
        ]
        verdicts = [
            self._settled_without_embedding(t, [cited[n] for n in ns]) if ns else False
            for t, ns in zip(texts, numbers, strict=True)
        ]
        # Only sentences the cheap tests leave open are embedded (quotes never are).
        open_rows = [i for i, verdict in enumerate(verdicts) if verdict is None]
        if open_rows:
            plain = [_MARKER_WITH_SPACE.sub("", texts[i]) for i in open_rows]
            for i, vector in zip(open_rows, self.embedder.embed_passages(plain), strict=True):
                verdicts[i] = self._close(vector, [cited[n] for n in numbers[i]])
        return [
            AnswerSentence(t, ns, bool(v))
            for t, ns, v in zip(texts, numbers, verdicts, strict=True)
        ]

    def citations(self, hits: list[Hit], sentences: list[AnswerSentence]) -> tuple[Citation, ...]:
        """One citation per cited passage number, quoting the passage's sentence closest to
        the answer sentences that cite it."""
        cited = sorted({n for s in sentences for n in s.citations})
        citing = [" ".join(s.text for s in sentences if n in s.citations) for n in cited]
        targets = self.embedder.embed_passages([_MARKER_WITH_SPACE.sub("", t) for t in citing])
        return tuple(
            self._closest_sentence(n, hits[n - 1], target)
            for n, target in zip(cited, targets, strict=True)
        )

    def _closest_sentence(self, n: int, hit: Hit, target: np.ndarray) -> Citation:
        best, best_score = 0, -1.0
        for ordinal in self._sentences(hit):
            vector = self.sentence_vectors.get((hit.passage.id, ordinal))
            if vector is not None and float(vector @ target) > best_score:
                best, best_score = ordinal, float(vector @ target)
        start, end = hit.passage.sentences[best]
        speaker = self.citable.get((hit.passage.id, best)) if self.citable else None
        return citation(n, hit, start, end, best_score, speaker)

    def _sentences(self, hit: Hit) -> list[int]:
        """The ordinals of the hit's sentences an answer may rest on (never an instruction)."""
        instructions = _instructions(hit.passage)
        ordinals = [i for i in range(len(hit.passage.sentences)) if i not in instructions]
        if self.citable is None:
            return ordinals
        return [i for i in ordinals if (hit.passage.id, i) in self.citable]

    def _text(self, hit: Hit) -> str:
        """The text of the hit an answer may rest on: the passage, or its citable sentences."""
        if self.citable is None:
            return _supporting_text(hit.passage)
        spans = [hit.passage.sentences[i] for i in self._sentences(hit)]
        return " ".join(hit.passage.excerpt(start, end) for start, end in spans)

    def _settled_without_embedding(self, text: str, cited: list[Hit]) -> bool | None:
        """False if a number is missing, True if the words mostly match, else None (open)."""
        plain = _MARKER_WITH_SPACE.sub("", text)
        # Embeddings barely tell 30 from 60: every number must stand in a cited passage.
        cited_text = " ".join(self._text(hit) for hit in cited)
        if any(number not in cited_text for number in _NUMBER.findall(plain)):
            return False
        for hit in cited:
            # Stem both in the passage's language: a quote is in that language, and words
            # of another language would not match anyway.
            words = set(tokenize(plain, hit.language))
            passage_words = self._passage_words(hit)
            if words and len(words & passage_words) / len(words) >= _SUPPORTING_WORD_SHARE:
                return True
        return None

    def _passage_words(self, hit: Hit) -> set[str]:
        """The stemmed words of the hit's text an answer may rest on, stemmed once for all
        the answer's sentences citing it."""
        key = (hit.passage.id, hit.language)
        if key not in self._stemmed:
            self._stemmed[key] = set(tokenize(self._text(hit), hit.language))
        return self._stemmed[key]

    def _close(self, vector: np.ndarray, cited: list[Hit]) -> bool:
        """Whether some sentence of a cited passage is within the threshold of `vector`."""
        for hit in cited:
            for ordinal in self._sentences(hit):
                stored = self.sentence_vectors.get((hit.passage.id, ordinal))
                if stored is not None and float(stored @ vector) >= self.threshold:
                    return True
        return False


@lru_cache(maxsize=1024)
def _instructions(passage: Passage) -> frozenset[int]:
    """The ordinals of the passage's sentences that instruct the model."""
    return frozenset(
        ordinal
        for ordinal, (start, end) in enumerate(passage.sentences)
        if is_instruction(passage.excerpt(start, end))
    )


def _supporting_text(passage: Passage) -> str:
    """The passage's text with its instructions to the model blanked out (offsets kept)."""
    instructions = _instructions(passage)
    if not instructions:
        return passage.text
    text = passage.text
    for ordinal in instructions:
        start, end = (offset - passage.start for offset in passage.sentences[ordinal])
        text = text[:start] + " " * (end - start) + text[end:]
    return text
