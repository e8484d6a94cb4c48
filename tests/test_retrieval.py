"""Hybrid retrieval as a LangChain retriever; keywords count only within one language."""

from __future__ import annotations

from assistant.api import Assistant


def test_retriever_returns_documents_with_article_metadata(built: Assistant):
    documents = built.retriever().invoke("Waffenruhe 30 Tage")
    assert len(documents) == built.settings.top_k
    assert documents[0].metadata["title"].startswith("Vorschlag für Waffenruhe")
    assert "Waffenruhe" in documents[0].page_content
    scores = [d.metadata["score"] for d in documents]
    assert scores == sorted(scores, reverse=True)


def test_keywords_score_same_language_passages_only(built: Assistant):
    german = built.retrieve("Was sagte Rubio über Russland?")
    english = built.retrieve("What did Rubio say about Russia?")
    assert any(h.lexical for h in german)
    assert all(h.lexical is None for h in english)


def test_cross_lingual_question_finds_the_german_passage(built: Assistant):
    hits = built.retrieve("How much were the raw materials Trump demanded worth?")
    assert "500 Milliarden" in hits[0].passage.text
