"""Time-aware answers: dates read from questions in several languages, the date filter
(Chroma's metadata and the keyword index alike), "latest"/"first", relative dates against
an as-of date, and what dated questions say about undated articles.

The articles are our own invention, written by the tests: one mayor on one bridge at
several dates, in English, German and Spanish, and one undated report.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel

from assistant.errors import BadQuestion
from assistant.index import store as store_module
from assistant.ingest.dates import DateRange, date_span
from assistant.models.embeddings import PassageEmbeddings
from assistant.question.checks import check_dates
from assistant.question.dates import EARLIEST, LATEST, period_mentions, read_time
from assistant.surfaces.api import Assistant

ARTICLES = {
    "en_march.txt": (
        "2024-03-05",
        "Havenport bridge plan approved",
        "The city council of Havenport approved the harbour bridge on Monday. Mayor Lena "
        'Brandt said: "The harbour bridge will cost forty million euros and it is worth '
        'every cent." Construction is to start in the summer.',
    ),
    "es_april.txt": (
        "2024-04-10",
        "Havenport aprueba la financiación del puente",
        "La alcaldesa de Havenport, Lena Brandt, defendió el puente del puerto ante los "
        'vecinos. "El puente del puerto unirá los dos barrios por primera vez", dijo Brandt. '
        "Las obras comenzarán en verano.",
    ),
    "en_june.txt": (
        "2024-06-18",
        "Havenport bridge construction begins",
        "Work on the harbour bridge in Havenport began this week. Mayor Lena Brandt said: "
        '"The harbour bridge will open to traffic in the spring of 2026." Residents watched '
        "the first pillars go up.",
    ),
    "de_june.txt": (
        "2024-06-20",
        "Havenport baut die Hafenbrücke",
        "In Havenport haben die Bauarbeiten an der Hafenbrücke begonnen. Bürgermeisterin Lena "
        'Brandt sagte: "Die Hafenbrücke wird im Frühjahr 2026 für den Verkehr geöffnet." '
        "Anwohner verfolgten den Baubeginn.",
    ),
    "en_september.txt": (
        "2024-09",
        "Havenport bridge opening delayed",
        "The opening of the harbour bridge in Havenport has been delayed. Mayor Lena Brandt "
        'said: "The harbour bridge will now open in 2027, because the steel arrived late." '
        "The council asked for a new schedule.",
    ),
    "en_undated.txt": (
        None,
        "Havenport bridge colour chosen",
        "Havenport has chosen a colour for its harbour bridge. Mayor Lena Brandt said: "
        '"The harbour bridge will be painted deep red, like the old lighthouse." The paint '
        "will be applied last.",
    ),
}
QUESTION = "What did Lena Brandt say about the harbour bridge?"


def write_dated_articles(folder: Path) -> None:
    """The bridge articles, each a file of `folder` (created)."""
    folder.mkdir()
    for name, (date, title, body) in ARTICLES.items():
        header = f"date {date} {title}" if date else title
        (folder / name).write_text(f"{header}\n\n{body}\n", encoding="utf-8")


@pytest.fixture
def dated(tmp_path: Path, embedders: list[PassageEmbeddings]) -> Assistant:
    """An assistant over the dated bridge articles, indexed."""
    seeds = tmp_path / "dated"
    write_dated_articles(seeds)
    assistant = Assistant(seeds=seeds, index=tmp_path / "index", embedders=embedders)
    assistant.sync()
    return assistant


def _dates(answer) -> set[str | None]:
    return {citation.date for citation in answer.citations}


# --- reading dates from questions -----------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "language", "since", "until"),
    [
        ("What did the mayor say in June 2024?", "en", "2024-06-01", "2024-07-07"),
        ("Was sagte die Bürgermeisterin am 12. März 2024?", "de", "2024-03-12", "2024-03-14"),
        ("¿Qué dijo la alcaldesa en septiembre de 2024?", "es", "2024-09-01", "2024-10-07"),
        ("Qu'a dit la maire en avril 2024 ?", "fr", "2024-04-01", "2024-05-07"),
        ("Cosa ha detto la sindaca nel maggio 2024?", "it", "2024-05-01", "2024-06-07"),
        # A month joined to a noun; dates in numbers, in the language's order.
        ("Was sagte sie nach der Dezember-Sitzung 2024?", "de", "2024-12-01", "2025-01-07"),
        ("Was sagte die Bürgermeisterin am 12.03.2024?", "de", "2024-03-12", "2024-03-14"),
        ("¿Qué dijo la alcaldesa el 4/9/2024?", "es", "2024-09-04", "2024-09-06"),
        ("What did the mayor say on 2024-03-12?", "en", "2024-03-12", "2024-03-14"),
        ("Qu'a dit la maire en 2024-04 ?", "fr", "2024-04-01", "2024-05-07"),
        # A span of days starts at its first day.
        (
            "A ministra falou no fim de semana de 3 e 4 de maio de 2024?",
            "pt",
            "2024-05-03",
            "2024-05-06",
        ),
        (
            "¿Qué dijo la alcaldesa entre el 3 y el 5 de mayo de 2024?",
            "es",
            "2024-05-03",
            "2024-05-07",
        ),
        ("Qu'a dit la maire du 3 au 5 mai 2024 ?", "fr", "2024-05-03", "2024-05-07"),
        # A percentage before a month is a rate, not a day of it.
        (
            "O que disse a ministra da taxa de 14,25% em março de 2025?",
            "pt",
            "2025-03-01",
            "2025-04-07",
        ),
        ("¿Qué dijo la alcaldesa del 25% en noviembre de 2024?", "es", "2024-11-01", "2024-12-07"),
        # Other compounds stay whole: "fim de semana de 3 e 4" would read as the 4th alone.
        (
            "A ministra falou no fim-de-semana de 3 e 4 de maio de 2024?",
            "pt",
            "2024-05-01",
            "2024-06-07",
        ),
    ],
)
def test_a_named_month_or_day_is_that_period_and_the_days_reports_lag(
    question: str, language: str, since: str, until: str
) -> None:
    named = read_time(question, language, dt.date(2025, 1, 1)).named
    assert named == DateRange(dt.date.fromisoformat(since), dt.date.fromisoformat(until))


@pytest.mark.parametrize(
    ("question", "language", "since", "until"),
    [
        # Wednesday 12 June 2024: last week ran from 3 to 9 June, reported until the 11th.
        ("What did the mayor say last week?", "en", "2024-06-03", "2024-06-11"),
        ("O que a prefeita disse ontem?", "pt", "2024-06-11", "2024-06-12"),
        ("Was sagte die Bürgermeisterin vor zwei Monaten?", "de", "2024-04-01", "2024-05-07"),
        ("¿Qué dijo la alcaldesa hace dos meses?", "es", "2024-04-01", "2024-05-07"),
        ("Qu'a dit la maire il y a trois jours ?", "fr", "2024-06-09", "2024-06-11"),
        # Phrases of dateparser's locale data its search misses inside a sentence.
        ("¿Qué dijo la alcaldesa la semana pasada?", "es", "2024-06-03", "2024-06-11"),
        ("Qu'a dit la maire la semaine dernière ?", "fr", "2024-06-03", "2024-06-11"),
        ("¿Qué dijo la alcaldesa el mes pasado sobre el puente?", "es", "2024-05-01", "2024-06-07"),
    ],
)
def test_relative_dates_are_read_against_the_as_of_date(
    question: str, language: str, since: str, until: str
) -> None:
    named = read_time(question, language, dt.date(2024, 6, 12)).named
    assert named == DateRange(dt.date.fromisoformat(since), dt.date.fromisoformat(until))


@pytest.mark.parametrize(
    ("question", "language", "order"),
    [
        ("What is the latest thing the mayor said about the bridge?", "en", LATEST),
        ("What did the mayor say most recently?", "en", LATEST),
        ("Was hat die Bürgermeisterin zuletzt gesagt?", "de", LATEST),
        ("¿Qué dijo la alcaldesa en la primera reunión?", "es", EARLIEST),
        ("Cosa ha detto la sindaca nell'ultima seduta?", "it", LATEST),
        ("What did the mayor say about the bridge?", "en", None),
        # "last" of "last week" is a date, not an order.
        ("What did the mayor say last week?", "en", None),
        ("Qu'a dit la maire la semaine dernière ?", "fr", None),
    ],
)
def test_latest_and_first_are_read_in_each_language(
    question: str, language: str, order: str | None
) -> None:
    assert read_time(question, language, dt.date(2024, 6, 12)).order == order


@pytest.mark.parametrize(
    ("question", "language"),
    [
        ("Was sagte die Ministerin über die Reform?", "de"),  # "die" is no Tuesday
        ("Why did the rate rise to 14,75%?", "en"),  # a percentage is no date
        ("What did she say about the 2024 election?", "en"),  # a year alone is a topic
        ("What is he doing now?", "en"),
        ("Wie lief die Saison 2024/25?", "de"),  # a season, no month 25
        # "Since" tells when a state began, not when it was reported.
        ("Wie viel kostet das Ticket seit Mai 2024?", "de"),
        ("¿Cuánto cuesta el billete desde mayo de 2024?", "es"),
        ("Combien coûte le billet depuis mai 2024 ?", "fr"),
        ("Was sagte Jean-Pierre über die Reform?", "de"),
    ],
)
def test_words_that_only_look_like_dates_name_no_days(question: str, language: str) -> None:
    assert read_time(question, language, dt.date(2024, 6, 12)).named is None


def test_a_year_frames_an_order_and_a_month_without_year_takes_the_named_year() -> None:
    first = read_time("What did the council decide at its first meeting of 2024?", "en")
    assert (first.order, first.named.since, first.named.until) == (
        EARLIEST,
        dt.date(2024, 1, 1),
        dt.date(2025, 1, 7),
    )
    both = read_time("Wie stand sie im Mai 2024 zu einer Senkung im Juni?", "de")
    assert both.named == DateRange(dt.date(2024, 5, 1), dt.date(2024, 7, 7))


def test_filter_dates_take_days_months_and_years_and_refuse_the_rest() -> None:
    assert check_dates("2024-06", "2024-06") == DateRange(dt.date(2024, 6, 1), dt.date(2024, 6, 30))
    assert check_dates("2024", None) == DateRange(dt.date(2024, 1, 1), None)
    assert check_dates(None, None) is None
    with pytest.raises(BadQuestion, match="2024-06-12"):
        check_dates("June", None)
    with pytest.raises(BadQuestion, match="after"):
        check_dates("2024-07-01", "2024-06-01")


def test_a_month_dated_article_spans_its_month() -> None:
    assert date_span("2024-09") == (dt.date(2024, 9, 1), dt.date(2024, 9, 30))
    assert DateRange(dt.date(2024, 9, 20), None).holds(date_span("2024-09"))
    assert not DateRange(None, dt.date(2024, 8, 31)).holds(date_span("2024-09"))
    assert not DateRange(None, None).holds(date_span(None))


# --- retrieval and answers over a real index ---------------------------------------------------


@pytest.mark.parametrize(
    ("overfetch", "exact"),
    [(2000, 0), (0, 20_000), (0, 0)],
    ids=["nearest-then-kept", "vector-files", "chroma-where"],
)
def test_chroma_filters_every_models_search_by_the_stored_dates(
    dated: Assistant, overfetch: int, exact: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A range's search keeps the range's passages among the nearest of any date, or (with
    no over-fetch allowed) scores the range's passages from the vector files, or has Chroma
    filter by the stored date numbers: the same passages."""
    monkeypatch.setattr(store_module, "_MAX_OVERFETCH", overfetch)
    monkeypatch.setattr(store_module, "_EXACT_PASSAGES", exact)
    store = dated.retriever().store
    vectors = [e.embed_questions([QUESTION])[0] for e in dated.embedders]
    june = DateRange(dt.date(2024, 6, 1), dt.date(2024, 6, 30))
    for model, vector in enumerate(vectors):
        found = store.query(model, vector, 50, june)
        articles = {pid.rpartition("#")[0] for pid in found}
        assert articles == {"en_june.txt", "de_june.txt"}
    # A month-dated article is held by any range overlapping its month.
    late = store.query(0, vectors[0], 50, DateRange(dt.date(2024, 9, 30), None))
    assert {pid.rpartition("#")[0] for pid in late} == {"en_september.txt"}


def test_the_vector_files_rank_a_filters_passages_as_chroma_does(
    dated: Assistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Scored from the vector files (float16 copies), a filter's passages come in Chroma's
    order with its cosines to within 0.002."""
    monkeypatch.setattr(store_module, "_MAX_OVERFETCH", 0)
    store = dated.retriever().store
    june = DateRange(dt.date(2024, 6, 1), dt.date(2024, 6, 30))
    for model, embedder in enumerate(dated.embedders):
        vector = embedder.embed_questions([QUESTION])[0]
        exact = store.query(model, vector, 3, june)
        monkeypatch.setattr(store_module, "_EXACT_PASSAGES", 0)
        chroma = store.query(model, vector, 3, june)
        monkeypatch.setattr(store_module, "_EXACT_PASSAGES", 20_000)
        assert list(exact) == list(chroma) and len(exact) >= 2
        assert all(abs(exact[pid] - chroma[pid]) < 0.002 for pid in exact)


def test_a_filters_search_never_returns_an_edited_articles_old_passage(
    dated: Assistant, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The vector files keep a replaced passage's row until they are compacted: a filter
    over that article's dates is then left to Chroma, which holds only live passages."""
    monkeypatch.setattr(store_module, "_MAX_OVERFETCH", 0)
    june = DateRange(dt.date(2024, 6, 1), dt.date(2024, 6, 30))
    edited = dated.settings.seeds / "en_june.txt"
    edited.write_text(edited.read_text(encoding="utf-8") + "Traffic was diverted.\n")
    dated.sync()
    store = dated.retriever().store
    for model, embedder in enumerate(dated.embedders):
        found = store.query(model, embedder.embed_questions([QUESTION])[0], 50, june)
        assert set(found) <= store.ids()
        assert {pid.rpartition("#")[0] for pid in found} == {"en_june.txt", "de_june.txt"}


def test_a_date_range_restricts_the_answer_and_says_undated_articles_were_left_out(
    dated: Assistant,
) -> None:
    answer = dated.ask(QUESTION, since="2024-06-01", until="2024-06-30")
    assert answer.citations
    assert _dates(answer) <= {"2024-06-18", "2024-06-20"}
    assert all(hit.article.date in ("2024-06-18", "2024-06-20") for hit in answer.retrieved)
    assert "Undated articles left out: 1." in answer.text
    for citation in answer.citations:  # every citation's date stated in the answer
        assert f"[{citation.n}] {citation.date}" in answer.text


def test_without_dates_the_undated_article_still_answers(dated: Assistant) -> None:
    answer = dated.ask("What colour will the harbour bridge be painted?")
    assert "en_undated.txt" in {c.article_id for c in answer.citations}
    assert "Undated" not in answer.text and "Dates:" not in answer.text


def test_latest_answers_from_the_newest_article_on_the_topic(dated: Assistant) -> None:
    answer = dated.ask("What is the latest thing Lena Brandt said about the harbour bridge?")
    assert _dates(answer) == {"2024-09"}
    assert "2027" in " ".join(c.quote for c in answer.citations)
    assert "Undated articles left out: 1." in answer.text


def test_latest_asked_in_german_and_first_in_english(dated: Assistant) -> None:
    german = dated.ask("Was hat Lena Brandt zuletzt über die Hafenbrücke gesagt?")
    assert _dates(german) == {"2024-09"}
    first = dated.ask("What did Lena Brandt first say about the harbour bridge?")
    assert _dates(first) == {"2024-03-05"}


def test_a_relative_date_is_read_against_the_as_of_date(dated: Assistant) -> None:
    # As of Wednesday 26 June 2024, last week ran from 17 to 23 June.
    answer = dated.ask("What did Lena Brandt say last week about the bridge?", as_of="2024-06-26")
    assert answer.citations and _dates(answer) <= {"2024-06-18", "2024-06-20"}
    # As of October, "last week" holds none of the articles: all dates are used, and said so.
    later = dated.ask("What did Lena Brandt say last week about the bridge?", as_of="2024-10-30")
    assert "No article on this is dated 2024-10-21 to 2024-10-29" in later.text
    assert later.citations


def test_a_named_month_in_spanish_answers_from_that_month(dated: Assistant) -> None:
    answer = dated.ask("¿Qué dijo Lena Brandt sobre el puente en abril de 2024?")
    assert _dates(answer) == {"2024-04-10"}
    assert "Undated articles left out: 1." in answer.text


def test_the_chain_and_the_filter_agree(dated: Assistant) -> None:
    request = {"question": QUESTION, "since": "2024-09-01", "as_of": "2024-12-01"}
    answer = dated.chain().invoke(request)
    assert _dates(answer) == {"2024-09"}
    with pytest.raises(BadQuestion, match="since"):
        dated.ask(QUESTION, since="last summer")
    nothing = dated.ask(QUESTION, since="2030-01-01")
    assert nothing.abstained and "No article is dated since 2030-01-01." in nothing.text


@pytest.mark.parametrize(
    ("question", "language"),
    [
        ("Was hat Lena Brandt zur Hafenbrücke gesagt?", "de"),
        ("¿Qué dijo Lena Brandt sobre el puente del puerto?", "es"),
    ],
)
def test_a_range_asked_in_any_language_restricts_the_answer(
    dated: Assistant, question: str, language: str
) -> None:
    answer = dated.ask(question, since="2024-06-01", until="2024-06-30")
    assert answer.citations and _dates(answer) <= {"2024-06-18", "2024-06-20"}
    assert "Undated articles left out: 1." in answer.text


@pytest.mark.parametrize(
    "question",
    [
        "¿Qué es lo último que dijo Lena Brandt sobre el puente del puerto?",
        "Qu'a dit Lena Brandt le plus récemment sur le pont du port ?",
    ],
)
def test_latest_asked_in_spanish_and_french(dated: Assistant, question: str) -> None:
    answer = dated.ask(question)
    assert _dates(answer) == {"2024-09"}
    assert "Undated articles left out: 1." in answer.text


@pytest.mark.parametrize(
    "question",
    [
        "Was hat Lena Brandt letzte Woche über die Brücke gesagt?",
        "¿Qué dijo Lena Brandt la semana pasada sobre el puente?",
        "Qu'a dit Lena Brandt la semaine dernière sur le pont ?",
    ],
)
def test_a_relative_date_in_german_spanish_and_french_is_read_against_the_as_of_date(
    dated: Assistant, question: str
) -> None:
    # As of Wednesday 26 June 2024, last week ran from 17 to 23 June.
    answer = dated.ask(question, as_of="2024-06-26")
    assert answer.citations and _dates(answer) <= {"2024-06-18", "2024-06-20"}


def test_named_days_choose_a_report_in_another_language(dated: Assistant) -> None:
    """April's only report is Spanish; the English ones of other months share the
    question's words. A report in another language on the topic is still the answer of
    the days named (its keywords cannot match; its meaning, weighed across languages,
    does)."""
    answer = dated.ask("How will the harbour bridge change the neighbourhoods, in April 2024?")
    assert _dates(answer) == {"2024-04-10"}
    assert "No article on this is dated" not in answer.text


def test_a_date_in_numbers_asked_in_german_chooses_the_spanish_report(dated: Assistant) -> None:
    answer = dated.ask("Was sagte Lena Brandt am 10.04.2024 über die Hafenbrücke?")
    assert _dates(answer) == {"2024-04-10"}


@pytest.mark.parametrize(
    "question",
    [
        "How much is the harbour bridge to cost since April 2024?",
        "¿Cuánto costará el puente del puerto desde abril de 2024?",
    ],
)
def test_since_a_month_keeps_the_earlier_report(dated: Assistant, question: str) -> None:
    """The cost was reported in March; "since April" does not leave March out."""
    answer = dated.ask(question)
    assert "en_march.txt" in {c.article_id for c in answer.citations}


@pytest.mark.parametrize(
    "question",
    [
        "What did Lena Brandt say about the harbour bridge in January 2023?",
        "What did the Havenport council decide about the harbour bridge in November 2025?",
        "Was sagte Lena Brandt im Januar 2023 über die Hafenbrücke?",
    ],
)
def test_days_of_a_named_year_no_article_on_the_topic_is_dated_in_are_refused(
    dated: Assistant, question: str
) -> None:
    """The articles report the bridge in 2024 only: what they say is not what was said or
    decided then. The refusal offers what they say nearest, and names the days."""
    answer = dated.ask(question)
    assert answer.abstained and not answer.citations
    assert answer.nearest and answer.confidence is not None and answer.confidence <= 0.2
    assert "No article on this is dated" in answer.text


def test_an_llm_is_not_asked_about_days_of_a_named_year_no_article_is_dated_in(
    dated: Assistant,
) -> None:
    """The refusal is decided before the LLM writes a streamed answer: nothing is streamed
    and then taken back (the fake model holds no reply, so asking it would fail)."""
    model = GenericFakeChatModel(messages=iter([]))
    assistant = Assistant(dated.settings, embedders=dated.embedders, chat_model=model)
    streamed: list[str] = []
    dated_only = ["en_march.txt", "en_june.txt", "de_june.txt", "en_september.txt"]
    answer = assistant.ask(
        "What did the Havenport council decide about the harbour bridge in November 2025?",
        on_token=streamed.append,
        articles=dated_only,
    )
    assert answer.abstained and not answer.citations and not streamed
    assert answer.confidence is not None and answer.confidence <= 0.2
    assert "No article on this is dated" in answer.text


def test_days_named_without_a_year_no_article_is_dated_in_still_answer(
    dated: Assistant,
) -> None:
    """A month without its year is a guess of which year was meant: the articles of other
    days answer, and the answer says the days were not matched."""
    answer = dated.ask("What did Lena Brandt say about the harbour bridge in January?",
                       as_of="2025-03-01")  # fmt: skip
    assert not answer.abstained and answer.citations
    assert "No article on this is dated" in answer.text


def test_a_year_given_is_read_from_the_question() -> None:
    assert read_time("What did the mayor say in July 2024?", "en").year_given
    assert read_time("¿Qué dijo la alcaldesa el 4/9/2024?", "es").year_given
    assert not read_time("What did the mayor say in July?", "en").year_given
    assert not read_time("Was sagte sie letzte Woche?", "de").year_given


def test_an_undated_report_still_answers_days_of_a_named_year(dated: Assistant) -> None:
    """The colour was chosen on a day no article gives: the undated report may be of the
    days asked about, so it answers them."""
    answer = dated.ask("What colour did Havenport choose for the harbour bridge in May 2023?")
    assert not answer.abstained
    assert "en_undated.txt" in {c.article_id for c in answer.citations}


# A report of another story dated in November, when no bridge article is.
FERRY_RULING = (
    "2024-11-12",
    "Havenport court lowers ferry fares",
    "The district court of Havenport ruled on Tuesday that the ferry company must lower its "
    'fares by a fifth. Judge Marta Okafor said: "A ferry that families cannot afford does '
    'not serve the harbour." The company said it would appeal the ruling.',
)


def _bridge_articles_and(
    tmp_path: Path, embedders: list[PassageEmbeddings], name: str, article: tuple[str, str, str]
) -> Assistant:
    """An assistant over the bridge articles and one more (`name`: date, title, body),
    indexed."""
    seeds = tmp_path / "dated"
    write_dated_articles(seeds)
    date, title, body = article
    (seeds / name).write_text(f"date {date} {title}\n\n{body}\n", encoding="utf-8")
    assistant = Assistant(seeds=seeds, index=tmp_path / "index", embedders=embedders)
    assistant.sync()
    return assistant


@pytest.fixture
def with_ferry_ruling(tmp_path: Path, embedders: list[PassageEmbeddings]) -> Assistant:
    """An assistant over the bridge articles and the November ferry ruling, indexed."""
    return _bridge_articles_and(tmp_path, embedders, "en_november.txt", FERRY_RULING)


@pytest.mark.parametrize(
    "question",
    [
        "What did Lena Brandt say about the court ruling in November 2024?",
        "What ruling did the court make on the Brandt bridge in November 2024?",
        "Was sagte Lena Brandt im November 2024 über das Urteil des Gerichts?",
    ],
)
def test_days_whose_reports_tell_another_story_are_not_the_answer(
    with_ferry_ruling: Assistant, question: str
) -> None:
    """November's only report is of the ferry ruling, which never names Lena Brandt, whom
    the bridge reports of other months quote: it does not say what she said or what was
    ruled on her bridge then, so the refusal offers the bridge reports, not the ferry's,
    and says no article on this is dated in November."""
    answer = with_ferry_ruling.ask(question)
    assert answer.abstained
    assert answer.nearest
    assert "en_november.txt" not in {c.article_id for c in answer.nearest}
    assert "No article on this is dated" in answer.text


def test_days_whose_reports_name_the_story_answer_from_them(
    with_ferry_ruling: Assistant,
) -> None:
    answer = with_ferry_ruling.ask("What did judge Marta Okafor say in November 2024?")
    assert not answer.abstained
    assert {c.article_id for c in answer.citations} == {"en_november.txt"}


@pytest.mark.parametrize(
    "question",
    [
        "What did Marta Okafor say about the harbour bridge?",
        "When did Marta Okafor say the harbour bridge will open to traffic?",
    ],
)
def test_days_whose_reports_never_name_the_person_do_not_answer_for_them(
    with_ferry_ruling: Assistant, question: str
) -> None:
    """Judge Okafor is quoted in November only; June's reports quote the mayor and never
    name her, so they do not say what she said then: the answer is a refusal naming her,
    not the mayor's words as hers."""
    answer = with_ferry_ruling.ask(question, since="2024-06-01", until="2024-06-30")
    assert answer.abstained and not answer.citations
    assert "Marta Okafor" in answer.text and "but not in the articles or on the days" in answer.text


# --- reports dated after the days they tell of -----------------------------------------------

# Monthly figures come out weeks after their month: a report of 15 January naming November.
STEEL_AUDIT = (
    "2025-01-15",
    "Havenport auditor reports on bridge costs",
    "The city auditor of Havenport published her quarterly report on Wednesday. Steel for "
    "the harbour bridge cost 12 percent more in November than in October, the report found, "
    "after the supplier raised its prices.",
)


@pytest.fixture
def with_later_report(tmp_path: Path, embedders: list[PassageEmbeddings]) -> Assistant:
    """An assistant over the bridge articles and the auditor's January report, indexed."""
    return _bridge_articles_and(tmp_path, embedders, "en_january.txt", STEEL_AUDIT)


def test_a_later_report_naming_the_month_asked_answers_for_it(
    with_later_report: Assistant,
) -> None:
    """No article is dated in November; the January audit names November's steel prices, so
    it answers for November although dated beyond the reporting lag."""
    answer = with_later_report.ask(
        "How much more did steel for the harbour bridge cost in November 2024?"
    )
    assert not answer.abstained
    assert "en_january.txt" in {c.article_id for c in answer.citations}
    assert "12 percent" in answer.text


def test_a_later_report_naming_another_month_does_not_answer_for_the_month_asked(
    with_later_report: Assistant,
) -> None:
    """The audit names November, not December: December 2024 stays a month no article on
    the bridge's steel tells of."""
    answer = with_later_report.ask(
        "How much more did steel for the harbour bridge cost in December 2024?"
    )
    assert answer.abstained
    assert "No article on this is dated" in answer.text


@pytest.mark.parametrize(
    ("text", "language", "dated", "named"),
    [
        ("Steel cost 12 percent more in September.", "en", "2024-10-21", True),
        ("Im September stiegen die Stahlpreise um 12 Prozent.", "de", "2024-10-21", True),
        ("El 12 de septiembre de 2024 subió el acero.", "es", "2025-03-02", True),
        # Read against the report's own date, "September" is the September before it.
        ("Steel cost 12 percent more in September.", "en", "2025-10-21", False),
        ("Steel cost 12 percent more in August.", "en", "2024-10-21", False),
    ],
)
def test_a_text_names_days_of_a_period_read_against_its_own_date(
    text: str, language: str, dated: str, named: bool
) -> None:
    september = DateRange(dt.date(2024, 9, 1), dt.date(2024, 10, 7))
    assert bool(period_mentions(text, language, dt.date.fromisoformat(dated), september)) is named


def test_dates_are_read_when_the_detector_picks_a_language_without_words() -> None:
    """Short questions full of names are sometimes detected as a language dateparser does
    not read (this one as Nigerian Pidgin): the dates are read in the likeliest language
    there are words for."""
    time = read_time("How low did euro area HICP inflation fall in September 2024?", "pcm")
    assert time.named == DateRange(dt.date(2024, 9, 1), dt.date(2024, 10, 7))
