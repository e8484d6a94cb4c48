"""Hybrid retrieval: dense (Chroma) + keyword (BM25), fused only where the keywords can help.

BM25 compares words, so it only helps when question and passage share a language; across
languages its hits are noise (equal-weight fusion of e5 and BM25 drops English-to-German
recall@5 from 0.975 to 0.708, ../shared/README.md). So the keyword score of a passage
counts only when the passage is in the question's language.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from assistant.articles import detect_language
from assistant.embeddings import PassageEmbeddings
from assistant.passages import Passage
from assistant.store import Hit, PassageStore

logger = logging.getLogger(__name__)

_WORD = re.compile(r"\w+", re.UNICODE)
_STEMMERS = {
    "ar": "arabic", "ca": "catalan", "cs": "czech", "da": "danish", "de": "german",
    "el": "greek", "en": "english", "es": "spanish", "fi": "finnish", "fr": "french",
    "hu": "hungarian", "it": "italian", "nl": "dutch", "no": "norwegian", "pl": "polish",
    "pt": "portuguese", "ro": "romanian", "ru": "russian", "sv": "swedish", "tr": "turkish",
}  # fmt: skip
_STOPWORDS = {
    "da": "STOPWORDS_DANISH", "de": "STOPWORDS_GERMAN", "en": "STOPWORDS_EN",
    "es": "STOPWORDS_SPANISH", "fr": "STOPWORDS_FRENCH", "it": "STOPWORDS_ITALIAN",
    "nl": "STOPWORDS_DUTCH", "no": "STOPWORDS_NORWEGIAN", "pt": "STOPWORDS_PORTUGUESE",
    "ru": "STOPWORDS_RUSSIAN", "sv": "STOPWORDS_SWEDISH", "tr": "STOPWORDS_TURKISH",
}  # fmt: skip


def tokenize(text: str, language: str) -> list[str]:
    """Lower-cased, stop words removed, stemmed with the language's Snowball stemmer."""
    common = stopwords(language)
    words = [w for w in _WORD.findall(text.lower()) if w not in common]
    stemmer = _stemmer(language)
    return stemmer.stemWords(words) if stemmer else words


@lru_cache(maxsize=32)
def _stemmer(language: str):
    import Stemmer

    name = _STEMMERS.get(language)
    return Stemmer.Stemmer(name) if name else None


@lru_cache(maxsize=32)
def stopwords(language: str) -> frozenset[str]:
    import bm25s.stopwords

    name = _STOPWORDS.get(language)
    return frozenset(getattr(bm25s.stopwords, name)) if name else frozenset()


class KeywordIndex:
    """BM25 over every passage of a store, each tokenized in its own language."""

    def __init__(self, store: PassageStore) -> None:
        import bm25s

        # bm25s sets its logger to DEBUG on import; keep it at the application's level.
        logging.getLogger("bm25s").setLevel(logging.NOTSET)

        entries = list(store.all_passages())
        self.ids = [p.id for p, _ in entries]
        self.position = {pid: i for i, pid in enumerate(self.ids)}
        self.languages = np.array([lang for _, lang in entries])
        self._bm25 = bm25s.BM25()
        if entries:
            tokens = [tokenize(p.text, lang) or [""] for p, lang in entries]
            self._bm25.index(tokens, show_progress=False)
        self._vocabulary = set(self._bm25.vocab_dict) if entries else set()

    def scores(self, question: str, language: str) -> np.ndarray:
        """BM25 score of every passage (0 for passages in other languages)."""
        same_language = (self.languages == language).astype(np.float32)
        tokens = [t for t in tokenize(question, language) if t in self._vocabulary]
        if not tokens or not same_language.any():
            return np.zeros(len(self.ids), dtype=np.float32)
        return self._bm25.get_scores(tokens, weight_mask=same_language)


@dataclass(frozen=True)
class _Candidate:
    """A passage proposed by some retriever, with every retriever's score (text not loaded:
    only the final hits are fetched)."""

    passage_id: str
    language: str
    dense: float
    second: float
    lexical: float


class HybridRetriever(BaseRetriever):
    """Dense + keyword retrieval fused by z-scores; a LangChain retriever.

    `retrieve` returns typed `Hit`s (used by the answerer); `invoke` returns `Document`s
    whose metadata carry the article and the scores.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    store: PassageStore
    keywords: KeywordIndex
    embedder: PassageEmbeddings
    second_embedder: PassageEmbeddings | None = None
    k: int = 5
    candidates: int = 40
    second_weight: float = 0.3
    lexical_weight: float = 0.3
    reranker: object | None = None  # a sentence_transformers.CrossEncoder

    def retrieve(self, question: str, k: int | None = None) -> list[Hit]:
        """The `k` most relevant passages, best first (higher `score` = more relevant)."""
        vector = self.embedder.embed_questions([question])[0]
        return self.retrieve_by_vector(question, vector, k or self.k)

    def retrieve_by_vector(
        self, question: str, vector: np.ndarray, k: int, language: str | None = None
    ) -> list[Hit]:
        """As `retrieve`, for a question already embedded (and its language, if known)."""
        candidates = self._candidates(question, vector, language or detect_language(question))
        if not candidates:
            return []
        scores = _fuse(candidates, self.second_weight, self.lexical_weight)
        order = np.argsort(-scores, kind="stable")
        if self.reranker is not None:
            order, scores = self._rerank(question, candidates, order)
        best = [candidates[i] for i in order[:k]]
        passages = self.store.get([c.passage_id for c in best])
        return [
            self._hit(c, passages[c.passage_id][0], float(scores[i]))
            for c, i in zip(best, order[:k], strict=True)
        ]

    def _candidates(self, question: str, vector: np.ndarray, language: str) -> list[_Candidate]:
        """The union of each retriever's top passages, each with all of its scores."""
        # Both models run before Chroma: its worker threads stay busy for a moment after a
        # query and slowed the numpy-based USE that followed it by 4x.
        second, second_vector = {}, None
        if self.second_embedder is not None:
            second_vector = self.second_embedder.embed_questions([question])[0]
        dense = self.store.query(vector, self.candidates)
        if second_vector is not None:
            second = self.store.query_second(second_vector, self.candidates)
        lexical_scores = self.keywords.scores(question, language)
        top_lexical = np.argsort(-lexical_scores)[: self.candidates]
        lexical = {self.keywords.ids[i] for i in top_lexical if lexical_scores[i] > 0}
        missing = sorted((set(second) | lexical) - set(dense))
        for pid, stored in self.store.vectors(missing).items():
            dense[pid] = float(stored @ vector)
        if second_vector is not None:
            unscored = [pid for pid in dense if pid not in second]
            for pid, stored in self.store.second_vectors(unscored).items():
                second[pid] = float(stored @ second_vector)
        position = self.keywords.position
        return [
            _Candidate(
                pid,
                str(self.keywords.languages[position[pid]]),
                sim,
                second.get(pid, 0.0),
                float(lexical_scores[position[pid]]),
            )
            for pid, sim in dense.items()
        ]

    def _rerank(
        self, question: str, candidates: list[_Candidate], order: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Reorder the fused head by the cross-encoder; its scores become the hits' scores."""
        head = order[: self.candidates]
        texts = self.store.get([candidates[i].passage_id for i in head])
        pairs = [(question, texts[candidates[i].passage_id][0].text) for i in head]
        scores = np.zeros(len(candidates))
        scores[head] = np.asarray(self.reranker.predict(pairs), dtype=float)
        return head[np.argsort(-scores[head], kind="stable")], scores

    def _hit(self, candidate: _Candidate, passage: Passage, score: float) -> Hit:
        return Hit(
            passage=passage,
            article=self.store.articles[passage.article_id],
            language=candidate.language,
            score=score,
            dense=candidate.dense,
            lexical=candidate.lexical or None,
        )

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        return [
            Document(
                id=hit.passage.id,
                page_content=hit.passage.text,
                metadata={
                    "article_id": hit.article.id,
                    "title": hit.article.title,
                    "date": hit.article.date,
                    "source": hit.article.source,
                    "start": hit.passage.start,
                    "end": hit.passage.end,
                    "score": hit.score,
                    "dense": hit.dense,
                },
            )
            for hit in self.retrieve(query)
        ]


def _fuse(candidates: list[_Candidate], second_weight: float, lexical_weight: float) -> np.ndarray:
    """z-scored sum: dense + second_weight x second dense + lexical_weight x BM25."""
    fused = _zscore(np.array([c.dense for c in candidates]))
    for weight, values in (
        (second_weight, np.array([c.second for c in candidates])),
        (lexical_weight, np.array([c.lexical for c in candidates])),
    ):
        if weight and values.any():
            fused = fused + weight * _zscore(values)
    return fused


def _zscore(values: np.ndarray) -> np.ndarray:
    spread = values.std()
    return (values - values.mean()) / spread if spread > 0 else np.zeros_like(values)
