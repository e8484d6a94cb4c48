"""Which of a question's words a sentence holds, across languages and inflections.

"Who published the joint statement?" shares no word with "Veröffentlicht wurde die
Erklärung von der Ukraine", yet each of its words has a translation there. Words are
compared by their vectors under a multilingual sentence model that places single words
well (the Universal Sentence Encoder: published / veröffentlicht 0.70, statement /
Erklärung 0.77, ceasefire / Waffenruhe 0.46; e5-small gives every pair of words ~0.82).

Embedding a word costs ~0.3 ms, and a question's candidate sentences hold ~60 words not
seen before: most of a new question's time. The index therefore keeps its passages' words'
vectors (`KnownWords`, written by the sync), and a question embeds only the words it has
that no passage has.
"""

from __future__ import annotations

import bisect
import json
import os
import threading
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager, nullcontext
from functools import lru_cache
from pathlib import Path

import numpy as np

from assistant.fitted import WordMatching, fitted
from assistant.models.embeddings import PassageEmbeddings
from assistant.models.word_frequencies import listed_language, zipf_frequency
from assistant.prepared import Rows
from assistant.settings import DenseModel
from assistant.timing import stage

# A word's rarity is how far its Zipf frequency falls below _COMMONEST, about that of the
# commonest words ("the" 7.7, "der" 7.4), which say nothing of a text's topic; at least
# _MIN_RARITY, so that a common word the question asks about still counts a little. A scale,
# not a fit; the answerability model is fitted on closeness weighted by it, so changing
# either means refitting that (benchmarks/answerability.py).
_COMMONEST = 7.0
_MIN_RARITY = 0.5
_CAPACITY = 50_000  # word vectors kept (512 floats each: ~100 MB at most)


class KnownWords:
    """Words' vectors computed ahead of the questions, kept in a folder: the words sorted
    (`words.txt`, one a line), their rows in that order (`vectors.npy`, float32, read row
    by row as a question needs them: `prepared.Rows`, so only those rows are resident) and
    the model's signature (a different model's vectors are never used)."""

    def __init__(self, signature: str, words: list[str], vectors: np.ndarray | Rows) -> None:
        self.signature = signature
        self.words = words  # sorted
        self.vectors = vectors

    @classmethod
    def read(cls, folder: Path, signature: str) -> KnownWords | None:
        """The words kept in `folder` under `signature`, or None (none kept, or by another
        model)."""
        try:
            kept = json.loads((folder / "model.json").read_text(encoding="utf-8"))
            if kept.get("signature") != signature:
                return None
            text = (folder / "words.txt").read_text(encoding="utf-8")
            vectors = Rows(folder / "vectors.npy")
        except (OSError, ValueError):
            return None
        words = text.split("\n") if text else []
        return cls(signature, words, vectors) if len(words) == len(vectors) else None

    def write(self, folder: Path) -> None:
        """Save into `folder`; the signature is written last, so a cut-off write is never
        read."""
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "model.json").unlink(missing_ok=True)
        # New files renamed into place: the rows being replaced may be memory-mapped.
        with open(folder / ".vectors.npy", "wb") as out:
            np.save(out, np.asarray(self.vectors, dtype=np.float32))
        (folder / ".words.txt").write_text("\n".join(self.words), encoding="utf-8")
        (folder / ".model.json").write_text(json.dumps({"signature": self.signature}), "utf-8")
        for name in ("vectors.npy", "words.txt", "model.json"):
            os.replace(folder / f".{name}", folder / name)

    @classmethod
    def empty(cls, signature: str) -> KnownWords:
        return cls(signature, [], np.zeros((0, 0), dtype=np.float32))

    def merged(self, words: list[str], vectors: np.ndarray) -> KnownWords:
        """These words and `words` (none kept yet), whose rows are `vectors`."""
        if not self.words:
            every, rows = list(words), vectors
        else:
            kept = self.vectors[np.arange(len(self.words))]
            every, rows = [*self.words, *words], np.concatenate([kept, vectors])
        order = sorted(range(len(every)), key=every.__getitem__)
        return KnownWords(self.signature, [every[n] for n in order], rows[order])

    def rows(self, words: Iterable[str]) -> dict[str, int]:
        """The row number of each of `words` that is kept."""
        found = {}
        for word in words:
            n = bisect.bisect_left(self.words, word)
            if n < len(self.words) and self.words[n] == word:
                found[word] = n
        return found


def word_vector_embedder(
    models: Sequence[DenseModel], embedders: Sequence[PassageEmbeddings]
) -> PassageEmbeddings | None:
    """The embedder of the first dense model configured to match words (`word_vectors`)."""
    for model, embedder in zip(models, embedders, strict=True):
        if model.word_vectors:
            return embedder
    return None


class WordMatcher:
    """Matches words by their vectors under `embedder`, each word embedded once (or read
    from `known`, the index's words); two words match at a cosine of `threshold` or more
    (by default the fitted cut-off, assistant/fitted/word_matching.json)."""

    def __init__(self, embedder: PassageEmbeddings, threshold: float | None = None) -> None:
        self.embedder = embedder
        self.threshold = fitted(WordMatching).word_match if threshold is None else threshold
        self.known: KnownWords | None = None
        # The vectors kept, one row each: a question's words are gathered from it in one
        # step (stacking ~800 separate rows cost a millisecond a question).
        self._row_of: dict[str, int] = {}
        self._matrix = np.zeros((0, 0), dtype=np.float32)
        self._lock = threading.Lock()  # the web app answers on several threads

    def know(self, folder: Path) -> None:
        """Read word vectors from `folder` (an index generation's, see `KnownWords`) when
        they are this matcher's model's; else embed every word as it comes."""
        known = KnownWords.read(folder, self.embedder.signature)
        with self._lock:
            self.known = known

    def vectors(self, words: Sequence[str]) -> np.ndarray:
        """Unit vectors of the words (or short texts), in order."""
        with self._lock, stage("word matching"):
            new = sorted({w for w in words if w not in self._row_of})
            if new:
                if len(self._row_of) + len(new) > _CAPACITY:
                    self._row_of.clear()  # a new corpus or a long run: start over
                new = self._read_known(new)
            if new:
                self._keep(new, self.embedder.embed_questions(new))
            if not words:
                return np.zeros((0, 1))
            rows = np.fromiter((self._row_of[w] for w in words), dtype=np.intp, count=len(words))
            return self._matrix[rows]

    def _read_known(self, words: list[str]) -> list[str]:
        """Keep the known words' vectors; returns the words not known."""
        if self.known is None:
            return words
        found = self.known.rows(words)
        known = [word for word in words if word in found]
        if known:
            self._keep(known, self.known.vectors[np.array([found[word] for word in known])])
        return [word for word in words if word not in found]

    def _keep(self, words: list[str], vectors: np.ndarray) -> None:
        """Keep `vectors` (one row per word, none kept yet) in the next rows of the matrix,
        made larger (twice, at least) when it is full."""
        vectors = np.asarray(vectors)
        count, needed = len(self._row_of), len(self._row_of) + len(words)
        dtype = np.result_type(self._matrix.dtype, vectors.dtype) if count else vectors.dtype
        matrix, width = self._matrix, vectors.shape[1]
        if needed > len(matrix) or dtype != matrix.dtype or width != matrix.shape[1]:
            matrix = np.empty((max(needed, 2 * len(matrix), 1024), width), dtype=dtype)
            if count:
                matrix[:count] = self._matrix[:count]
            self._matrix = matrix
        matrix[count:needed] = vectors
        self._row_of.update(zip(words, range(count, needed), strict=True))

    def closeness(self, asked: Sequence[str], sentences: Sequence[set[str]]) -> np.ndarray:
        """For each sentence (row) and asked word (column), the cosine of the sentence's
        closest word to it (1 for the word itself)."""
        with stage("word matching"):
            return self._closeness(asked, sentences)

    def _closeness(self, asked: Sequence[str], sentences: Sequence[set[str]]) -> np.ndarray:
        every = sorted(set().union(*sentences)) if sentences else []
        if not asked or not every:
            return np.zeros((len(sentences), len(asked)))
        every_vector, asked_vectors = self.vectors(every), self.vectors(list(asked))
        with _one_blas_thread():
            similar = every_vector @ asked_vectors.T
        column = {word: n for n, word in enumerate(every)}
        held = [[column[w] for w in words] for words in sentences]
        counts = np.array([len(rows) for rows in held])
        filled = counts > 0
        # Each sentence's rows of `similar` reduced to their maximum at once; a sentence
        # without words is 0 (in float64, as a row of np.zeros would make the whole array).
        starts = np.cumsum(counts[filled]) - counts[filled]
        every_row = np.fromiter((n for rows in held for n in rows), dtype=np.intp)
        dtype = similar.dtype if filled.all() else np.result_type(similar.dtype, np.float64)
        best = np.zeros((len(sentences), len(asked)), dtype=dtype)
        best[filled] = np.maximum.reduceat(similar[every_row], starts, axis=0)
        holds = np.array([[q in words for q in asked] for words in sentences], dtype=bool)
        return np.where(holds, 1.0, best)

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


def _one_blas_thread() -> AbstractContextManager:
    """BLAS on one thread for a small product (~800 x 512 by a few columns): a second
    thread woken for it costs more than it saves, most on a busy machine (1.3 ms against
    0.2). Its results are the same: BLAS splits a product's rows and columns between
    threads, never the sums."""
    limit = _blas_limit()
    return limit(limits=1, user_api="blas") if limit is not None else nullcontext()


@lru_cache(maxsize=1)
def _blas_limit() -> Callable[..., AbstractContextManager] | None:
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # BLAS keeps its own threads
        return None
    return ThreadpoolController().limit


def word_rarity(words: Sequence[str], language: str) -> np.ndarray:
    """How rare each word is in general use (wordfreq's Zipf scale, 8 for "the" down to 0
    for unseen words, turned around), at least 0.5: what a word says about a topic."""
    known = listed_language(language)
    return np.array([max(_MIN_RARITY, _COMMONEST - zipf_frequency(w, known)) for w in words])
