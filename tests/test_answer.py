"""Answers: the right sentences cited with exact offsets, or an honest abstention."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from assistant.answering.answer import AbstainPolicy
from assistant.answering.quoting import ExtractiveAnswerer
from assistant.errors import BadQuestion
from assistant.index.store import ArticleRecord, Hit
from assistant.ingest.articles import read_article
from assistant.ingest.passages import Passage
from assistant.question.answer_types import answer_type
from assistant.retrieval.hybrid import EncodedQuestion, Evidence, SentenceVectors
from assistant.surfaces.api import Assistant

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
    assert set(quotes) >= RUBIO_ON_RUSSIA
    # Only his own words: every quote is a statement of his, and says so.
    assert {c.speaker for c in answer.citations} == {"Marco Rubio"}
    assert all("Russland" in quote or "Russlands" in quote for quote in quotes)


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


def test_each_answer_states_a_confidence_that_tells_covered_from_uncovered(built: Assistant):
    covered = built.ask("What did Rubio say about Russia?")
    uncovered = built.ask("Who won the Super Bowl?")
    assert 0.0 <= uncovered.confidence < 0.2 and 0.8 < covered.confidence <= 1.0
    assert covered.as_json()["confidence"] == round(covered.confidence, 3)


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
        "question", "answer", "abstained", "confidence", "citations", "nearest", "sentences",
        "retrieved",
    }  # fmt: skip
    assert set(payload["citations"][0]) == {
        "n", "article_id", "title", "date", "source", "passage", "quote", "start", "end", "score",
        "speaker",
    }  # fmt: skip
    assert payload["citations"][0]["speaker"] == "Marco Rubio"
    assert payload["nearest"] == []
    assert set(payload["retrieved"][0]) == {"article_id", "title", "source", "passage", "score"}
    scores = [r["score"] for r in payload["retrieved"]]
    assert scores == sorted(scores, reverse=True)


def test_extractive_sentences_are_checked_and_supported(built: Assistant):
    answer = built.ask("Who will talk to the G7?")
    assert [s.citations for s in answer.sentences] == [(c.n,) for c in answer.citations]
    assert all(s.supported for s in answer.sentences)


def test_settings_given_as_plain_values_are_validated(seeds: Path, tmp_path: Path, embedders):

    assistant = Assistant(seeds=str(seeds), index=str(tmp_path / "index"), embedders=embedders)
    assert isinstance(assistant.settings.index, Path)
    assistant.sync()
    assert assistant.ask("What did Rubio say about Russia?").citations
    with pytest.raises(ValueError, match="top_kk"):
        Assistant(top_kk=3)


_ANSWERER = ExtractiveAnswerer(
    AbstainPolicy(same_language=0.81, cross_lingual=0.76),
    quote_weights=[1.18, 0.76],
    confidence=lambda evidence, ranking: 0.5,
)
_QUESTION = np.array([1.0, 0.0])


def _quote(question: str, hit: Hit, e5: SentenceVectors, use: SentenceVectors | None = None):
    # Without USE's view, its sentence similarities are all zero (as for a missing vector).
    use = use or SentenceVectors(_QUESTION, {})
    encoded = EncodedQuestion(question, "en", (_QUESTION, _QUESTION), answer_type(question, "en"))
    return _ANSWERER.answer(question, Evidence(encoded, [hit], [e5, use]))


def _two_sentence_hit(second_sentence: str) -> tuple[Hit, SentenceVectors]:
    """A German passage whose two sentences e5 finds equally close to the question."""
    text = f"Der Hafen war lange gesperrt und ist nun offen. {second_sentence}"
    second = text.index(second_sentence)
    passage = Passage("p1", "a.txt", 0, len(text), text, ((0, second - 1), (second, len(text))))
    article = ArticleRecord("a.txt", "Hafen", "seeds/a.txt", "h", "de", None, None, None, 1)
    same = np.array([0.9, np.sqrt(1 - 0.81)])
    e5 = SentenceVectors(_QUESTION, {("p1", 0): same, ("p1", 1): same})
    return Hit(passage, article, "de", score=1.0, dense=0.85), e5


def test_sentence_sharing_the_questions_names_and_numbers_is_quoted_first():
    # Of two sentences equally close by their vectors, the one that names what the
    # question names must come first.
    hit, e5 = _two_sentence_hit("Die Fähre Frisia IV fährt seit 1998.")
    answer = _quote("Since when does the Frisia IV run?", hit, e5)
    assert answer.citations[0].quote.startswith("Die Fähre Frisia IV")


def test_second_model_decides_between_sentences_e5_finds_equally_close():
    hit, e5 = _two_sentence_hit("Die Fähre fährt wieder jeden Tag.")
    for closer, opening in ((0, "Der Hafen"), (1, "Die Fähre")):
        rows = {("p1", i): np.array([0.8 if i == closer else 0.2, 0.0]) for i in (0, 1)}
        use = SentenceVectors(_QUESTION, rows)
        answer = _quote("Is the ferry running?", hit, e5, use)
        assert answer.citations[0].quote.startswith(opening)


def _regatta_hit(first: str, second: str) -> Hit:
    """An English passage of two invented sentences about a regatta."""
    text = f"{first} {second}"
    start = len(first) + 1
    passage = Passage("r1", "r.txt", 0, len(text), text, ((0, start - 1), (start, len(text))))
    article = ArticleRecord("r.txt", "Regatta", "seeds/r.txt", "h", "en", None, None, None, 1)
    return Hit(passage, article, "en", score=1.0, dense=0.9)


def _follow_up(hit: Hit, rows: dict, own: np.ndarray) -> str:
    """The first quote answering "And who came second?" after "Who won the sailing race at
    Kiel?", made standalone by appending the previous question; `rows`: each sentence's
    vector under both models, `own`: the follow-up's own words' vector."""
    standalone = "And who came second? Who won the sailing race at Kiel?"
    encoded = EncodedQuestion(
        standalone, "en", (_QUESTION, _QUESTION), None, "And who came second?", (own, own)
    )
    vectors = [SentenceVectors(_QUESTION, rows), SentenceVectors(_QUESTION, rows)]
    answer = _ANSWERER.answer("And who came second?", Evidence(encoded, [hit], vectors))
    return answer.citations[0].quote


def test_a_follow_ups_own_words_outweigh_the_words_it_carries_over():
    # The first sentence holds three words of the previous question (sailing, race,
    # Kiel), the second two of the follow-up's own (came, second); the vectors tie. Counted
    # alike, the previous question's words would quote the winner.
    hit = _regatta_hit(
        "The sailing race at Kiel went to the Möwe crew.",
        "The Albatros crew came second, two minutes behind.",
    )
    same = np.array([0.9, np.sqrt(1 - 0.81)])
    rows = {("r1", 0): same, ("r1", 1): same}
    assert _follow_up(hit, rows, _QUESTION).startswith("The Albatros crew came second")


def test_a_follow_ups_own_question_outweighs_the_standalone_texts_similarity():
    # No question word in either sentence: the standalone text is closer to the first
    # sentence (the winner), the follow-up's own words to the second.
    hit = _regatta_hit("The Möwe crew took the cup home.", "The Albatros crew finished next.")
    rows = {("r1", 0): np.array([1.0, 0.0]), ("r1", 1): np.array([0.6, 0.8])}
    own = np.array([0.0, 1.0])
    assert _follow_up(hit, rows, own).startswith("The Albatros crew finished next")


def _indexed(tmp_path: Path, embedders, articles: dict[str, str]) -> Assistant:
    """An assistant over `articles` (file name -> text), indexed."""
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for name, text in articles.items():
        (seeds / name).write_text(text, encoding="utf-8")
    assistant = Assistant(seeds=seeds, index=tmp_path / "index", embedders=embedders)
    assistant.sync()
    return assistant


def _skipper_quote(question: str) -> str:
    """The first quote answering `question` from a summary and a quotation of the skipper
    that tie under both models and hold the same of the question's words."""
    hit = _regatta_hit(
        "The skipper Jana Olsen spoke about the race at Kiel after the finish.",
        '"We sailed the race at Kiel of our lives," the skipper Jana Olsen said.',
    )
    same = np.array([0.9, np.sqrt(1 - 0.81)])
    rows = {("r1", 0): same, ("r1", 1): same}
    vectors = SentenceVectors(_QUESTION, rows)
    return _quote(question, hit, vectors, vectors).citations[0].quote


def test_a_quotation_answers_a_question_asking_for_no_kind_of_answer_first():
    # The words in quotation marks are what the skipper said; the summary only reports
    # that she spoke.
    first = _skipper_quote("What did Jana Olsen think of the race at Kiel?")
    assert first.startswith('"We sailed the race')


def test_a_quotation_gains_nothing_when_the_question_asks_for_a_kind_of_answer():
    # "How many" asks for a number, which neither sentence holds: the tie stays in
    # passage order.
    first = _skipper_quote("How many races did Jana Olsen sail at Kiel?")
    assert first.startswith("The skipper Jana Olsen spoke")


_REGATTA = """date 2026-06-20 Möwe wins the Kiel sailing race

The crew of the Möwe won the Kiel sailing race on Saturday, skippered by Jana Olsen.
Olsen had steered the boat through two sudden turns of the wind.
Second place went to the Albatros from Eckernförde, four minutes behind.
About forty boats started this year, fewer than last summer.
"""


def test_a_follow_up_is_answered_with_what_it_asks_now(tmp_path: Path, embedders):
    # "And who came second?" is searched for with the previous question appended; the
    # sentences naming the winner share more of that text, the answer is the one after.
    assistant = _indexed(tmp_path, embedders, {"regatta.txt": _REGATTA})
    history = [
        {"role": "user", "content": "Who won the sailing race at Kiel?"},
        {"role": "assistant", "content": "The crew of the Möwe [1]."},
    ]
    answer = assistant.ask("And who came second?", history)
    assert answer.citations[0].quote.startswith("Second place went to the Albatros")


_HARBOUR = """date 2026-05-02 Nordhafen expects more container ships

Nordhafen expects more container ships this year, its director Lena Brandt said on Monday.
The new quay would have to be finished first, Brandt told the local radio.
"But everything is ready, it is up to us and our crews."
About three hundred people work at the harbour, which opened in 1962.
"""


def test_a_quoted_statement_goes_on_with_the_speakers_next_words(tmp_path: Path, embedders):
    # The quotation after Brandt's statement names no speaker and shares no word with the
    # question, but it is her answer to it: the quote runs on into it.
    assistant = _indexed(tmp_path, embedders, {"harbour.txt": _HARBOUR})
    first = assistant.ask("Was muss in Nordhafen zuerst fertig werden?").citations[0].quote
    assert first.startswith("The new quay would have to be finished first")
    assert first.endswith('"But everything is ready, it is up to us and our crews."')
    # Asked about Brandt, her statements alone are quoted, and run on the same way.
    hers = assistant.ask("What did Brandt say about the new quay?").citations[0].quote
    assert hers.startswith("The new quay would have to be finished first")
    assert hers.endswith('"But everything is ready, it is up to us and our crews."')


def test_a_statement_runs_back_to_the_speakers_quotation_before_it(tmp_path: Path, embedders):
    # The sentence after Varga's quotation shares the question's words, but only says when
    # she said it: the quote runs back to her words, whoever the question names.
    assistant = _indexed(tmp_path, embedders, {"ostby.txt": _OSTBY})
    for asked in (
        "What did Varga say after the town council meeting in Ostby?",
        "What did the mayor say after the town council meeting in Ostby?",
    ):
        first = assistant.ask(asked).citations[0].quote
        assert first.startswith('"We will have a new bridge before the winter')
        assert first.endswith("after the town council meeting in Ostby.")


def test_a_sentence_naming_the_speaker_runs_on_into_the_quotation_after_it(
    tmp_path: Path, embedders
):
    # The first sentence shares the question's words but is no one's statement; the
    # quotation after it, given to Brandt through "she", is what she found.
    assistant = _indexed(tmp_path, embedders, {"ferry.txt": _FERRY})
    asked = "What was Brandt's first balance of the lake ferry four weeks after its launch?"
    first = assistant.ask(asked).citations[0].quote
    assert first.startswith("Harbour director Lena Brandt has drawn a first positive balance")
    assert first.endswith("she said on Friday.")


_FERRY = """date 2026-06-05 Lake ferry carries more passengers than expected

Harbour director Lena Brandt has drawn a first positive balance of the new lake ferry four \
weeks after its launch.
"The boat is full every morning and half the travellers used to drive," she said on Friday.
The ferry crosses the lake eight times a day.
"""


_OSTBY = """date 2026-04-14 Ostby will rebuild its old bridge

The town of Ostby will rebuild the old bridge over the Lenne, the council decided on Tuesday.
"We will have a new bridge before the winter, and the ferry will run until then," said \
Mayor Ines Varga.
Varga said this on Tuesday evening after the town council meeting in Ostby.
The council approved the budget with eleven votes to four.
About two thousand people cross the river every day.
"""


def test_chain_answers_like_ask_with_the_real_models(built: Assistant):
    """`Assistant.chain()` is the Runnable every surface calls; same answer as `ask`."""
    answer = built.chain().invoke({"question": "What did Rubio say about Russia?"})
    assert set(c.quote for c in answer.citations) >= RUBIO_ON_RUSSIA
    assert answer.as_json() == built.ask("What did Rubio say about Russia?").as_json()


def test_evidence_above_the_floors_is_refused_when_the_confidence_is_too_low():
    # The passage clears the similarity floor (0.85 >= 0.81, same language), so only the
    # confidence decides.
    hit, e5 = _two_sentence_hit("Die Fähre fährt wieder jeden Tag.")
    encoded = EncodedQuestion("Is the ferry running?", "de", (_QUESTION, _QUESTION), None)
    evidence = Evidence(encoded, [hit], [e5, SentenceVectors(_QUESTION, {})])
    policy = AbstainPolicy(same_language=0.81, cross_lingual=0.76, min_confidence=0.08)
    for chance, refused in ((0.05, True), (0.5, False)):
        answerer = ExtractiveAnswerer(policy, [1.18, 0.76], lambda ev, rk, c=chance: c)
        answer = answerer.answer("Is the ferry running?", evidence)
        assert answer.abstained is refused
        assert (answer.citations == ()) is refused


_OSTBY_DE = """date 2026-04-14 Ostby baut die alte Brücke neu

Die Stadt Ostby wird die alte Brücke über die Lenne bis zum Winter neu bauen.
Dies sagte Bürgermeisterin Ines Varga am Dienstagabend nach der Sitzung des Stadtrats.
Der Stadtrat stimmte dem Haushalt mit elf zu vier Stimmen zu.
Etwa zweitausend Menschen überqueren den Fluss jeden Tag.
"""


def test_a_statement_pointing_back_at_its_words_runs_back_to_them(tmp_path: Path, embedders):
    # "Dies sagte Varga ..." shares the question's words but only says who spoke: the
    # sentence before it is her words, and the quote runs back to it.
    assistant = _indexed(tmp_path, embedders, {"ostby.txt": _OSTBY_DE})
    first = assistant.ask("Was sagte Varga nach der Sitzung des Stadtrats?").citations[0].quote
    assert first.startswith("Die Stadt Ostby wird die alte Brücke")
    assert first.endswith("nach der Sitzung des Stadtrats.")


_FERRY_TWO_VOICES = """date 2026-06-08 Lake ferry: harbour and union look ahead

The lake ferry started its second season on Monday.
"We are sure the ferry will be full every morning," union leader Tom Weller said.
The ferry crosses the lake eight times a day.
"I am confident the numbers will keep growing," harbour director Lena Brandt said.
"""


def test_a_question_naming_a_speaker_prefers_their_quotation_to_anothers(tmp_path: Path, embedders):
    # Weller's words share more of the question's, but the question asks about Brandt: a
    # quotation is preferred only when it is hers.
    assistant = _indexed(tmp_path, embedders, {"ferry.txt": _FERRY_TWO_VOICES})
    answer = assistant.ask("How confident is Brandt about the ferry?")
    assert answer.citations[0].quote.startswith('"I am confident the numbers')
