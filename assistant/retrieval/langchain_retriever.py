"""The hybrid retriever as a LangChain `BaseRetriever` (`Assistant.retriever()`).

A module of its own because LangChain's runnable machinery takes half a second to import
(its tracers load LangSmith), which answering a question does not need.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, Field, PrivateAttr

from assistant.fitted import Retrieval, fitted
from assistant.index.keywords import KeywordIndex
from assistant.index.store import PassageStore
from assistant.models.embeddings import PassageEmbeddings
from assistant.models.word_matching import WordMatcher
from assistant.retrieval.hybrid import HybridRetriever, new_helper
from assistant.settings import DenseModel
from assistant.speech.statement_index import StatementIndex


class LangChainRetriever(BaseRetriever, HybridRetriever):
    """A `HybridRetriever` that is also a LangChain retriever: `invoke` returns `Document`s
    whose metadata carry the article and the scores; `retrieve` and the rest work as on
    `HybridRetriever`. Fields as `HybridRetriever`'s arguments."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    store: PassageStore
    keywords: KeywordIndex
    statements: StatementIndex = Field(default_factory=lambda: StatementIndex({}))
    embedders: list[PassageEmbeddings]
    models: list[DenseModel]
    k: int = 5
    candidates_per_retriever: int = 40
    lexical_weight: float = Field(default_factory=lambda: fitted(Retrieval).lexical_weight)
    reranker: object | None = None  # a sentence_transformers.CrossEncoder
    word_matcher: WordMatcher | None = None
    question_dates: str = "filter"
    date_margin: float = 1.0
    # Per-index caches of the keyword rows' date spans and articles (`HybridRetriever`).
    _keyword_spans: tuple[np.ndarray, np.ndarray] | None = PrivateAttr(default=None)
    _keyword_articles: np.ndarray | None = PrivateAttr(default=None)
    _helper: ThreadPoolExecutor = PrivateAttr(default_factory=new_helper)
    _lexical: dict[tuple, Future] = PrivateAttr(default_factory=dict)

    @classmethod
    def of(cls, retriever: HybridRetriever) -> LangChainRetriever:
        """The same retriever (its store, models and settings shared) as a LangChain one."""
        return cls(**vars(retriever))

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
