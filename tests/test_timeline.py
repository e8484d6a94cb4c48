"""How a person's view changed, end to end with the real models and real Chroma: their
statements on a topic by article date, in any language, undated articles last, from the
API, a question, and the CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.errors import UnknownPerson
from assistant.speech.names import same_name
from assistant.surfaces.api import Assistant
from assistant.surfaces.cli import app

TIMELINE = Path(__file__).resolve().parent / "data" / "timeline"
RATES_DATES = ["2024-02-10", "2024-09-05", "2025-03-20"]  # en, de, es
# What Lindqvist says on interest rates, oldest first, then in the undated French article.
RATES_QUOTES = [
    "We will not cut interest rates",
    "Wir werden die Zinsen jetzt Schritt für Schritt senken",
    "Hemos bajado los tipos de interés tres veces",
    "Les taux d'intérêt resteront élevés",
]


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory, embedders) -> tuple[Path, Path]:
    """The timeline test articles, indexed once: (articles folder, index folder)."""
    root = tmp_path_factory.mktemp("timeline")
    seeds = root / "seeds"
    seeds.mkdir()
    for article in TIMELINE.glob("*.txt"):
        shutil.copy(article, seeds / article.name)
    Assistant(seeds=seeds, index=root / "index", embedders=embedders).sync()
    return seeds, root / "index"


@pytest.fixture
def lindqvist(indexed: tuple[Path, Path], embedders) -> Assistant:
    seeds, index = indexed
    return Assistant(seeds=seeds, index=index, embedders=embedders)


def _quotes_in_order(text: str, quotes: list[str]) -> bool:
    at = [text.find(quote) for quote in quotes]
    return -1 not in at and at == sorted(at)


def test_timeline_orders_a_persons_statements_by_date_across_languages(lindqvist: Assistant):
    timeline = lindqvist.timeline("Lindqvist", "interest rates")
    assert timeline.person == "Marta Lindqvist"
    assert [entry.date for entry in timeline.entries] == [*RATES_DATES, None]
    assert [entry.article_id for entry in timeline.entries] == [
        "en_rates_hold.txt",
        "de_zinsen_senkung.txt",
        "es_tipos_pausa.txt",
        "fr_taux_sans_date.txt",
    ]
    citations = [c for entry in timeline.entries for c in entry.citations]
    assert [c.n for c in citations] == list(range(1, len(citations) + 1))
    assert all(same_name("Lindqvist", c.speaker or "") for c in citations)
    # Another person on the same topic, and the person on another topic, are left out.
    assert not any("strangling" in c.quote or "marathon" in c.title for c in citations)
    # The answer gives each article a line with its date and title; undated ones last, said so.
    text = timeline.answer.text
    lines = text.splitlines()
    assert lines[1].startswith("2024-02-10 · Lindqvist rules out early rate cut: ")
    assert "state no date" in lines[-2] and lines[-1].startswith("undated · ")
    assert _quotes_in_order(text, RATES_QUOTES)
    assert all(f"[{c.n}]" in text for c in citations)
    assert timeline.answer.citations == tuple(citations)


def test_timeline_without_a_topic_holds_all_the_persons_statements(lindqvist: Assistant):
    timeline = lindqvist.timeline("Marta Lindqvist")
    dates = [entry.date for entry in timeline.entries]
    assert dates == ["2024-02-10", "2024-05-01", "2024-09-05", "2025-03-20", None]
    assert timeline.entries[1].title == "Central bank governor finishes the Valby marathon"


def test_timeline_of_another_topic_keeps_only_that(lindqvist: Assistant):
    timeline = lindqvist.timeline("Lindqvist", "running a marathon")
    assert [entry.article_id for entry in timeline.entries] == ["en_marathon.txt"]


@pytest.mark.parametrize(
    "question",
    [
        "How has Lindqvist's position on interest rates changed?",
        "Wie hat sich die Haltung von Lindqvist zu den Zinsen verändert?",
        "¿Cómo ha cambiado la postura de Lindqvist sobre los tipos de interés?",
    ],
)
def test_question_how_a_view_changed_is_answered_by_date(lindqvist: Assistant, question: str):
    answer = lindqvist.ask(question)
    assert not answer.abstained
    dates = [c.date for c in answer.citations]
    dated = [d for d in dates if d is not None]
    # Oldest first, the undated article last; each citation's date stated in the text.
    assert dated == sorted(dated) and dates[len(dated) :] == [None] * (len(dates) - len(dated))
    assert {"2024-02-10", "2025-03-20"} <= set(dated) or {"2024-09-05", "2025-03-20"} <= set(dated)
    assert all(same_name("Lindqvist", c.speaker or "") for c in answer.citations)
    lines = answer.text.splitlines()
    for c in answer.citations:
        line = next(line for line in lines if f"[{c.n}]" in line)
        assert line.startswith(f"{c.date or 'undated'} · {c.title}: ")


def test_question_about_a_view_change_with_an_llm_gets_the_same_dated_list(
    indexed: tuple[Path, Path], embedders
):
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage

    seeds, index = indexed
    chat = GenericFakeChatModel(messages=iter([AIMessage(content="She never changed [1].")]))
    with_llm = Assistant(seeds=seeds, index=index, embedders=embedders, chat_model=chat)
    question = "How has Lindqvist's position on interest rates changed?"
    answer = with_llm.ask(question)
    assert answer.text == with_llm.ask(question, use_llm=False).text
    assert "never changed" not in answer.text


def test_person_quoted_on_other_topics_gets_the_person_refusal(lindqvist: Assistant):
    timeline = lindqvist.timeline("Herrera", "running a marathon")
    assert timeline.entries == () and timeline.answer.abstained
    assert timeline.answer.text.startswith("The articles quote Tomás Herrera, but not on this.")
    assert timeline.as_json()["nearest"][0]["speaker"] == "Tomás Herrera"


def test_unknown_person_is_refused_with_near_spellings(lindqvist: Assistant):
    with pytest.raises(UnknownPerson) as refused:
        lindqvist.timeline("Lindqvest", "interest rates")
    assert refused.value.near == ["Marta Lindqvist"]
    assert "Did you mean: Marta Lindqvist?" in str(refused.value)
    with pytest.raises(UnknownPerson) as nobody:
        lindqvist.timeline("Zbigniew Wróbel")
    assert nobody.value.near == []


def test_question_about_someone_never_named_is_refused(lindqvist: Assistant):
    answer = lindqvist.ask("How has Keir Starmer's position on interest rates changed?")
    assert answer.abstained and answer.citations == ()
    assert answer.text.startswith("The articles don't mention Keir Starmer")


@pytest.mark.slow
def test_cli_timeline_json_and_unknown_person(indexed: tuple[Path, Path]):
    seeds, index = indexed
    runner = CliRunner()
    common = ["--seeds", str(seeds), "--index", str(index), "timeline"]
    result = runner.invoke(app, [*common, "Lindqvist", "--topic", "interest rates", "--json"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert set(shown) == {"person", "topic", "answer", "abstained", "entries", "nearest"}
    assert shown["person"] == "Marta Lindqvist" and shown["topic"] == "interest rates"
    assert [e["date"] for e in shown["entries"]] == [*RATES_DATES, None]
    first = shown["entries"][0]
    assert set(first) == {"date", "article_id", "title", "source", "statements"}
    assert first["statements"][0]["date"] == "2024-02-10"
    assert first["statements"][0]["speaker"] == "Marta Lindqvist"
    printed = runner.invoke(app, [*common, "Lindqvist", "--topic", "interest rates"])
    assert printed.exit_code == 0
    assert _quotes_in_order(printed.stdout, ["2024-02-10", "2024-09-05", "2025-03-20", "undated"])
    unknown = runner.invoke(app, [*common, "Lindqvest"])
    assert unknown.exit_code == 1
    assert "quote no one named Lindqvest" in unknown.stderr
    assert "Marta Lindqvist" in unknown.stderr
