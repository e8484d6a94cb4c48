"""Hybrid retrieval as a LangChain retriever; keywords count only within one language."""

from __future__ import annotations

from assistant.ingest.passages import article_of
from assistant.surfaces.api import Assistant

from .conftest import SEED


def test_retriever_returns_documents_with_article_metadata(built: Assistant):
    documents = built.retriever().invoke("Waffenruhe 30 Tage")
    assert len(documents) == built.settings.top_k
    assert documents[0].metadata["title"].startswith("Vorschlag für Waffenruhe")
    assert "Waffenruhe" in documents[0].page_content
    scores = [d.metadata["score"] for d in documents]
    assert scores == sorted(scores, reverse=True)


def test_the_embedder_serves_a_langchain_vector_store(built: Assistant):
    from langchain_core.vectorstores import InMemoryVectorStore

    embeddings = built.embeddings()
    store = InMemoryVectorStore(embeddings)
    store.add_texts(["Die Waffenruhe soll dreißig Tage dauern.", "The harbour grew again."])
    found = store.similarity_search("How long is the ceasefire?", k=1)
    assert [d.page_content for d in found] == ["Die Waffenruhe soll dreißig Tage dauern."]
    question = built.embedders[0].embed_questions(["How long is the ceasefire?"])[0]
    assert embeddings.embed_query("How long is the ceasefire?") == question.tolist()


def test_keywords_score_same_language_passages_only(built: Assistant):
    german = built.retrieve("Was sagte Rubio über Russland?")
    english = built.retrieve("What did Rubio say about Russia?")
    assert any(h.lexical for h in german)
    assert all(h.lexical is None for h in english)


def test_cross_lingual_question_finds_the_german_passage(built: Assistant):
    hits = built.retrieve("How much were the raw materials Trump demanded worth?")
    assert "500 Milliarden" in hits[0].passage.text


def test_configured_reranker_orders_the_hits(built: Assistant):
    import torch
    from sentence_transformers import CrossEncoder

    from assistant.models import default_model

    # No cross-encoder ships offline; one built on the local e5 folder (untrained head)
    # is still a real model whose scores must decide the order.
    torch.manual_seed(0)
    folder = default_model.ensure_default_model(built.settings.model_cache)
    reranker = CrossEncoder(str(folder), num_labels=1, device="cpu")
    retriever = built.retriever().model_copy(update={"reranker": reranker})
    question = "What did Rubio say about Russia?"
    hits = retriever.retrieve(question)
    expected = reranker.predict([(question, h.passage.text) for h in hits])
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert [round(h.score, 4) for h in hits] == [round(float(s), 4) for s in expected]


def test_evidence_leaves_out_the_articles_it_is_told_to(built: Assistant, seeds):
    """How unanswerable questions are made for measuring: the answering article left out."""
    (seeds / "hafen.txt").write_text(
        "Hafen\n\nDer Hamburger Hafen meldete einen Rekordumschlag von Containern.",
        encoding="utf-8",
    )
    built.sync()
    retriever = built.retriever()
    question = retriever.encode("What did Rubio say about Russia?")
    assert {h.article.id for h in retriever.evidence(question, 5).hits} >= {SEED.name}
    without = retriever.evidence(question, 5, frozenset({SEED.name}))
    assert without.hits and {h.article.id for h in without.hits} == {"hafen.txt"}
    assert len(without.sentences[0].sentences) == sum(
        len(h.passage.sentences) for h in without.hits
    )


def test_keyword_candidates_are_the_positive_rows_a_full_sort_puts_first():
    import numpy as np

    from assistant.retrieval.hybrid import _top_positive

    rng = np.random.default_rng(0)
    for trial in range(300):
        # Few distinct values: ties across the cut, as passages of equal length holding
        # the same question words score alike.
        scores = rng.choice([0.0, 0.0, 0.5, 1.25, 2.0, 3.5], size=int(rng.integers(1, 400)))
        scores = scores.astype(np.float32) * (trial % 3 != 0 or rng.random(scores.size) < 0.5)
        top = int(rng.integers(1, 60))
        expected = {int(row) for row in np.argsort(-scores)[:top] if scores[row] > 0}
        assert set(_top_positive(scores, top).tolist()) == expected


def test_questions_asked_at_once_find_what_they_find_one_at_a_time(built: Assistant):
    from concurrent.futures import ThreadPoolExecutor

    questions = [
        "Wie lange soll die Waffenruhe dauern?",
        "How long is the proposed ceasefire?",
        "What did Rubio say about Russia?",
        "Was sagte Mike Waltz?",
    ] * 3
    alone = [built.retrieve(q) for q in questions]
    with ThreadPoolExecutor(4) as pool:
        together = list(pool.map(built.retrieve, questions))
    assert together == alone


def test_keyword_scores_computed_while_encoding_are_the_searchs_own(built: Assistant, monkeypatch):
    from assistant.question.routing import route_question
    from assistant.retrieval.hybrid import HybridRetriever

    retriever = built.retriever()
    route = route_question("Wie lange soll die Waffenruhe dauern?", [], retriever.statements)
    ahead = retriever.find(route, 5).hits
    assert not retriever._lexical  # the search took what was computed ahead
    monkeypatch.setattr(HybridRetriever, "_prefetch_keywords", lambda self, key: None)
    assert retriever.find(route, 5).hits == ahead  # each search computing its own
    assert any(hit.lexical for hit in ahead)


def test_passages_of_more_articles_than_sqlite_binds_at_once_are_read(built: Assistant):
    """A speaker quoted in tens of thousands of articles: their passages are read in parts
    (SQLite binds at most 32,766 values in one query)."""
    store = built._hybrid().store
    known = sorted({article_of(pid) for pid in store.ids()})
    unknown = [f"no-such-article-{n}" for n in range(40_000)]
    spans = store.passage_spans(known + unknown)
    assert {aid for aid, _, _ in spans.values()} == set(known)
    assert set(spans) == set(store.ids())
