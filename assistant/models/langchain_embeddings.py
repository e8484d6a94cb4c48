"""An embedder as a LangChain `Embeddings` (`PassageEmbeddings.as_langchain()`).

A module of its own because LangChain's `Embeddings` base class imports its runnable
machinery, which answering a question does not need.
"""

from __future__ import annotations

from langchain_core.embeddings import Embeddings

from assistant.models.embeddings import PassageEmbeddings


class LangChainEmbeddings(Embeddings):
    """`embedder` behind LangChain's interface: documents are embedded as passages and
    queries as questions (e5 prefixes each with its own prompt), as lists of floats."""

    def __init__(self, embedder: PassageEmbeddings) -> None:
        self.embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embedder.embed_passages(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embedder.embed_questions([text])[0].tolist()
