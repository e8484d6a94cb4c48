"""Which of a question's words a sentence holds, across languages and inflections.

"Who published the joint statement?" shares no word with "Veröffentlicht wurde die
Erklärung von der Ukraine", yet each of its words has a translation there. Words are
compared by their vectors under a multilingual sentence model that places single words
well (the Universal Sentence Encoder: published / veröffentlicht 0.70, statement /
Erklärung 0.77, ceasefire / Waffenruhe 0.46; e5-small gives every pair of words ~0.82).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence

import numpy as np

from assistant.fitted import WordMatching, fitted
from assistant.models.embeddings import PassageEmbeddings
from assistant.models.word_frequencies import listed_language, zipf_frequency
from assistant.timing import stage

# A word's rarity is how far its Zipf frequency falls below _COMMONEST, about that of the
# commonest words ("the" 7.7, "der" 7.4), which say nothing of a text's topic; at least
# _MIN_RARITY, so that a common word the question asks about still counts a little. A scale,
# not a fit; the answerability model is fitted on closeness weighted by it, so changing
# either means refitting that (benchmarks/answerability.py).
_COMMONEST = 7.0
_MIN_RARITY = 0.5
_CAPACITY = 50_000  # word vectors kept (512 floats each: ~100 MB at most)


class WordMatcher:
    """Matches words by their vectors under `embedder`, each word embedded once; two words
    match at a cosine of `threshold` or more (by default the fitted cut-off,
    assistant/fitted/word_matching.json)."""

    def __init__(self, embedder: PassageEmbeddings, threshold: float | None = None) -> None:
        self.embedder = embedder
        self.threshold = fitted(WordMatching).word_match if threshold is None else threshold
        self._vectors: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()  # the web app answers on several threads

    def vectors(self, words: Sequence[str]) -> np.ndarray:
        """Unit vectors of the words (or short texts), in order."""
        with self._lock, stage("word matching"):
            new = sorted({w for w in words if w not in self._vectors})
            if new:
                if len(self._vectors) + len(new) > _CAPACITY:
                    self._vectors.clear()  # a new corpus or a long run: start over
                self._vectors.update(zip(new, self.embedder.embed_questions(new), strict=True))
            return np.stack([self._vectors[w] for w in words]) if words else np.zeros((0, 1))

    def closeness(self, asked: Sequence[str], sentences: Sequence[set[str]]) -> np.ndarray:
        """For each sentence (row) and asked word (column), the cosine of the sentence's
        closest word to it (1 for the word itself)."""
        with stage("word matching"):
            return self._closeness(asked, sentences)

    def _closeness(self, asked: Sequence[str], sentences: Sequence[set[str]]) -> np.ndarray:
        every = sorted(set().union(*sentences)) if sentences else []
        if not asked or not every:
            return np.zeros((len(sentences), len(asked)))
        similar = self.vectors(every) @ self.vectors(list(asked)).T
        column = {word: n for n, word in enumerate(every)}
        rows = []
        for words in sentences:
            held = [column[w] for w in words]
            best = similar[held].max(axis=0) if held else np.zeros(len(asked))
            rows.append(np.where([q in words for q in asked], 1.0, best))
        return np.array(rows)

    def shared(self, asked: set[str], sentences: Iterable[set[str]]) -> list[int]:
        """For each sentence's words, how many of the `asked` words it holds (the same
        word, or one whose vector is within `threshold`)."""
        sentences = list(sentences)
        close = self.closeness(sorted(asked), sentences)
        return [int(n) for n in (close >= self.threshold).sum(axis=1)]

    def similarity(self, first: str, second: str) -> float:
        """Cosine of two short texts ("Vladimir Putin", a sentence)."""
        a, b = self.vectors([first, second])
        return float(a @ b)


def word_rarity(words: Sequence[str], language: str) -> np.ndarray:
    """How rare each word is in general use (wordfreq's Zipf scale, 8 for "the" down to 0
    for unseen words, turned around), at least 0.5: what a word says about a topic."""
    known = listed_language(language)
    return np.array([max(_MIN_RARITY, _COMMONEST - zipf_frequency(w, known)) for w in words])
