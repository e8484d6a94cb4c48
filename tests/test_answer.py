"""Answers: the right sentences cited with exact offsets, or an honest abstention."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.api import Assistant
from assistant.articles import read_article
from assistant.errors import BadQuestion

from .conftest import SEED

RUBIO_ON_RUSSIA = {
    "Rubio zufolge ist nun Russland am Zug.",
    "Die beste Geste des guten Willens vonseiten Russlands wäre nun, wenn sie Ja sagen "
    "würden, sagte Rubio weiter.",
}


def test_rubio_on_russia_cites_where_rubio_speaks_about_russia(built: Assistant):
    answer = built.ask("What did Rubio say about Russia?")
    assert not answer.abstained
    quotes = [c.quote for c in answer.citations]
    assert quotes[0] in RUBIO_ON_RUSSIA
    assert set(quotes) >= RUBIO_ON_RUSSIA


def test_every_citation_points_at_its_exact_place(built: Assistant):
    article = read_article(SEED, SEED.name)
    answer = built.ask("Who will talk to the G7?")
    assert answer.citations
    for number, citation in enumerate(answer.citations, start=1):
        assert citation.n == number
        assert f"[{number}]" in answer.text
        assert article.text[citation.start : citation.end] == citation.quote
        assert citation.quote in citation.passage
        assert (citation.title, citation.date) == (article.title, "2025-03")
    assert "G7" in answer.citations[0].quote


def test_question_the_articles_do_not_cover_abstains(built: Assistant):
    answer = built.ask("What is the recipe for a good lasagne?")
    assert answer.abstained and answer.citations == ()
    assert answer.text.startswith("The articles don't say")


def test_follow_up_uses_the_previous_question(built: Assistant):
    history = [
        {"role": "user", "content": "What will Rubio do next?"},
        {"role": "assistant", "content": "..."},
    ]
    answer = built.ask("And Waltz?", history=history)
    assert any("Waltz" in c.quote for c in answer.citations)


@pytest.mark.parametrize("question", ["", "   ", "?!…", "x" * 2001])
def test_bad_questions_get_a_helpful_message(built: Assistant, question: str):
    with pytest.raises(BadQuestion, match="question"):
        built.ask(question)


def test_json_shape(built: Assistant):
    payload = built.ask("What did Rubio say about Russia?").as_json()
    assert set(payload) == {
        "question", "answer", "abstained", "citations", "sentences", "retrieved",
    }  # fmt: skip
    assert set(payload["citations"][0]) == {
        "n", "article_id", "title", "date", "source", "passage", "quote", "start", "end", "score",
    }  # fmt: skip
    assert set(payload["retrieved"][0]) == {"article_id", "title", "source", "passage", "score"}
    scores = [r["score"] for r in payload["retrieved"]]
    assert scores == sorted(scores, reverse=True)


def test_extractive_sentences_are_checked_and_supported(built: Assistant):
    answer = built.ask("Who will talk to the G7?")
    assert [s.citations for s in answer.sentences] == [(c.n,) for c in answer.citations]
    assert all(s.supported for s in answer.sentences)


def test_settings_given_as_plain_values_are_validated(seeds: Path, tmp_path: Path, embedder):

    assistant = Assistant(seeds=str(seeds), index=str(tmp_path / "index"), embedder=embedder)
    assert isinstance(assistant.settings.index, Path)
    assistant.sync()
    assert assistant.ask("What did Rubio say about Russia?").citations
    with pytest.raises(ValueError, match="top_kk"):
        Assistant(top_kk=3)
