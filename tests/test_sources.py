"""Chosen sources: a question asked of some articles only (`--only`, `articles=`, the chain's
`articles`, `/ask`, the page's picker) is answered and cited from those alone, with every
search (each model's Chroma query, BM25, a person's statements, the timeline) restricted."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from gradio_client import Client
from playwright.sync_api import Browser
from typer.testing import CliRunner

import assistant.index.store as store_module
from assistant.errors import IndexMismatch, NoArticlesMatch
from assistant.ingest.dates import DateRange
from assistant.question.sources import choose_articles, collections
from assistant.surfaces.api import Assistant
from assistant.surfaces.cli import app
from assistant.surfaces.web import launch
from tests.conftest import REPO, SEED
from tests.test_web import _ask, _free_port, _raw_call, browser  # noqa: F401 (the browser fixture)

DATA = REPO / "tests" / "data"
RATES = "What did Lindqvist say about interest rates?"
BRIDGE = "What did Anna Kowalski say about the harbour bridge?"
YEAR_2024 = DateRange(dt.date(2024, 1, 1), dt.date(2024, 12, 31))


def write_library(seeds: Path) -> None:
    """The seed article at the top, and two collections: banks/ (Marta Lindqvist on interest
    rates, four languages, one article undated) and harbour/ (Anna Kowalski's bridge)."""
    (seeds / "banks").mkdir(parents=True)
    (seeds / "harbour").mkdir()
    shutil.copy(SEED, seeds / SEED.name)
    for article in (DATA / "timeline").glob("*.txt"):
        shutil.copy(article, seeds / "banks" / article.name)
    for article in (DATA / "people").glob("*.txt"):
        shutil.copy(article, seeds / "harbour" / article.name)


@pytest.fixture(scope="module")
def library(tmp_path_factory, embedders) -> Assistant:
    root = tmp_path_factory.mktemp("sources")
    write_library(root / "seeds")
    assistant = Assistant(seeds=root / "seeds", index=root / "index", embedders=embedders)
    assistant.sync()
    return assistant


def _cited(answer) -> set[str]:
    return {citation.article_id for citation in answer.citations}


def _retrieved(answer) -> set[str]:
    return {hit.article.id for hit in answer.retrieved}


# --- resolving a choice -----------------------------------------------------------------------


def test_a_choice_is_ids_globs_sub_folders_or_paths_through_the_articles_folder():
    ids = {"top.txt", "en/a.txt", "en/b.md", "de/x/c.txt"}
    folder = Path("seeds")

    def chosen(*patterns: str) -> list[str]:
        return sorted(choose_articles(list(patterns), ids, folder))

    assert chosen("en") == chosen("en/") == ["en/a.txt", "en/b.md"]
    assert chosen("de") == ["de/x/c.txt"]
    assert chosen("*.txt") == ["de/x/c.txt", "en/a.txt", "top.txt"]
    assert chosen("seeds/en/a.txt", "top.txt") == ["en/a.txt", "top.txt"]
    assert chosen(str(folder.absolute() / "de" / "x")) == ["de/x/c.txt"]
    assert choose_articles(None, ids, folder) is None
    assert collections(ids) == ["de/", "de/x/", "en/"]
    with pytest.raises(NoArticlesMatch, match="No indexed article matches 'fr/\\*'"):
        choose_articles(["en", "fr/*"], ids, folder)


# --- the API, the chain, the timeline ---------------------------------------------------------


def test_answers_and_citations_come_only_from_the_chosen_articles(library: Assistant):
    everywhere = library.ask(RATES)
    assert len(_cited(everywhere)) > 1
    english = library.ask(RATES, articles=["banks/en_*.txt"])
    assert _cited(english) == {"banks/en_rates_hold.txt"}
    assert _retrieved(english) <= {"banks/en_rates_hold.txt", "banks/en_marathon.txt"}
    assert "two percent" in english.citations[0].quote
    harbour = library.ask(BRIDGE, articles=["harbour"])
    assert harbour.citations and all(aid.startswith("harbour/") for aid in _cited(harbour))
    # Nothing chosen holds the answer: the usual honest refusal, nothing cited.
    refused = library.ask(BRIDGE, articles=["banks/"])
    assert refused.abstained and not refused.citations
    assert "Kowalski" in refused.text


def test_a_date_filter_and_a_choice_combine(library: Assistant):
    spanish = library.ask(RATES, since="2025-01-01", articles=["banks/"])
    assert _cited(spanish) == {"banks/es_tipos_pausa.txt"}
    assert "Undated articles left out: 1." in spanish.text  # banks/ holds one undated
    bridge = library.ask(BRIDGE, since="2026-01-01", articles=["harbour/"])
    assert bridge.citations and "Undated" not in bridge.text  # harbour/ holds none


def test_the_chain_takes_the_chosen_articles_in_its_input(library: Assistant):
    chain = library.chain()
    answers = chain.batch(
        [
            {"question": RATES, "articles": ["banks/es_tipos_pausa.txt"]},
            {"question": RATES, "articles": ["banks/de_*", "banks/fr_*"]},
        ]
    )
    assert _cited(answers[0]) == {"banks/es_tipos_pausa.txt"}
    assert answers[1].citations
    assert _cited(answers[1]) <= {"banks/de_zinsen_senkung.txt", "banks/fr_taux_sans_date.txt"}
    as_json = library.chain(as_json=True).invoke({"question": RATES, "articles": ["banks/en_*"]})
    assert {c["article_id"] for c in as_json["citations"]} == {"banks/en_rates_hold.txt"}


def test_a_persons_statements_and_timeline_keep_to_the_chosen_articles(library: Assistant):
    chosen = ["banks/de_zinsen_senkung.txt", "banks/es_tipos_pausa.txt"]
    timeline = library.timeline("Lindqvist", "interest rates", articles=chosen)
    assert [entry.article_id for entry in timeline.entries] == chosen  # by date
    changed = library.ask(
        "How has Lindqvist's position on interest rates changed?", articles=chosen
    )
    assert _cited(changed) == set(chosen)
    # Quoted elsewhere, but not in the articles chosen: the articles chosen do not quote her.
    unquoted = library.ask(
        "What did Marta Lindqvist say about interest rates?", articles=["harbour"]
    )
    assert unquoted.abstained and not unquoted.citations


@pytest.mark.parametrize(
    ("overfetch", "exact"),
    [(2000, 0), (0, 20_000), (0, 0)],
    ids=["nearest-then-kept", "vector-files", "chroma-where"],
)
def test_every_models_search_and_bm25_are_filtered_by_article(
    library: Assistant, overfetch: int, exact: int, monkeypatch: pytest.MonkeyPatch
):
    """The chosen articles' passages among the nearest of all, or (no over-fetch allowed)
    Chroma's own `where` on the article id stored in every model's collection; with a date
    range too, both filters hold."""
    monkeypatch.setattr(store_module, "_MAX_OVERFETCH", overfetch)
    monkeypatch.setattr(store_module, "_EXACT_PASSAGES", exact)
    retriever = library.retriever()
    store = retriever.store
    encoded = retriever.encode(RATES)
    chosen = frozenset({"banks/en_rates_hold.txt", "harbour/en_harbour_summit.txt"})
    for model, vector in enumerate(encoded.vectors):
        found = store.query(model, vector, 50, articles=chosen)
        assert {pid.rpartition("#")[0] for pid in found} == chosen
        dated = store.query(model, vector, 50, YEAR_2024, chosen)
        assert {pid.rpartition("#")[0] for pid in dated} == {"banks/en_rates_hold.txt"}
    candidates = retriever.candidates(encoded, None, chosen)
    assert candidates and {c.passage_id.rpartition("#")[0] for c in candidates} <= chosen
    assert any(c.lexical > 0 for c in candidates)  # BM25 found the chosen English passage


# --- the command ------------------------------------------------------------------------------


@pytest.mark.slow
def test_cli_only_takes_globs_and_sub_folders_and_names_a_pattern_matching_nothing(
    library: Assistant,
):
    where = ["--seeds", str(library.settings.seeds), "--index", str(library.settings.index)]
    runner = CliRunner()
    result = runner.invoke(app, [*where, "ask", "--json", "--only", "banks/en_*", RATES])
    assert result.exit_code == 0, result.output
    cited = {c["article_id"] for c in json.loads(result.stdout)["citations"]}
    assert cited == {"banks/en_rates_hold.txt"}
    only = ["--only", "harbour", "--only", "banks/es_tipos_pausa.txt"]
    result = runner.invoke(app, [*where, "ask", "--json", *only, BRIDGE])
    cited = {c["article_id"] for c in json.loads(result.stdout)["citations"]}
    assert cited and all(aid.startswith("harbour/") for aid in cited)
    result = runner.invoke(app, [*where, "ask", "--only", "banks", "--only", "nowhere/*", RATES])
    assert result.exit_code == 1
    assert "No indexed article matches 'nowhere/*'" in result.stderr
    assert "Traceback" not in result.output and result.stdout == ""
    result = runner.invoke(app, [*where, "chat", "--only", "nowhere"], input="Who?\n")
    assert result.exit_code == 1 and "'nowhere'" in result.stderr


# --- the index format, a Chroma server --------------------------------------------------------


def test_an_index_without_article_ids_in_every_collection_must_be_rebuilt(built: Assistant):
    folder = built.retriever().store.folder
    saved = json.loads((folder / "index.json").read_text(encoding="utf-8"))
    saved["manifest"]["format"] = 10
    (folder / "index.json").write_text(json.dumps(saved), encoding="utf-8")
    reopened = Assistant(built.settings, embedders=built.embedders)
    with pytest.raises(IndexMismatch, match="index format 10 here, 11 wanted") as refused:
        reopened.ask(RATES, articles=["*"])
    assert "Rebuild it with: assistant index --rebuild" in str(refused.value)


@pytest.mark.parametrize(
    ("overfetch", "exact"),
    [(2000, 0), (0, 20_000), (0, 0)],
    ids=["nearest-then-kept", "vector-files", "chroma-where"],
)
def test_a_chroma_server_filters_by_article_too(
    tmp_path: Path, embedders, chroma_server: str, overfetch: int, exact: int, monkeypatch
):
    monkeypatch.setattr(store_module, "_MAX_OVERFETCH", overfetch)
    monkeypatch.setattr(store_module, "_EXACT_PASSAGES", exact)
    write_library(tmp_path / "library")
    served = Assistant(
        seeds=tmp_path / "library",
        index=tmp_path / "server-index",
        embedders=embedders,
        chroma_url=chroma_server,
    )
    served.sync()
    assert _cited(served.ask(RATES, articles=["banks/en_*"])) == {"banks/en_rates_hold.txt"}
    harbour = served.ask(BRIDGE, articles=["harbour/"])
    assert harbour.citations and all(aid.startswith("harbour/") for aid in _cited(harbour))
    assert served.ask(BRIDGE, articles=["banks/"]).abstained


# --- the page and its API ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def page_url(library: Assistant) -> Iterator[str]:
    port = _free_port()
    blocks = launch(library, port=port, block=False)
    yield f"http://127.0.0.1:{port}/"
    blocks.close()


def test_api_ask_takes_the_chosen_articles(page_url: str, library: Assistant):
    client = Client(page_url, verbose=False)
    result = client.predict(RATES, None, None, None, None, None, ["banks/en_*"], api_name="/ask")
    assert result == library.ask(RATES, articles=["banks/en_*"]).as_json()
    assert {c["article_id"] for c in result["citations"]} == {"banks/en_rates_hold.txt"}
    with pytest.raises(Exception, match="No indexed article matches 'nowhere'"):
        client.predict(RATES, None, None, None, None, None, ["nowhere"], api_name="/ask")


def test_api_timeline_takes_the_chosen_articles(page_url: str, library: Assistant):
    chosen = ["banks/de_zinsen_senkung.txt", "banks/es_tipos_pausa.txt"]
    client = Client(page_url, verbose=False)
    result = client.predict("Lindqvist", "interest rates", chosen, api_name="/timeline")
    assert result == library.timeline("Lindqvist", "interest rates", articles=chosen).as_json()
    assert [entry["article_id"] for entry in result["entries"]] == chosen  # by date
    everywhere = client.predict("Lindqvist", "interest rates", None, api_name="/timeline")
    assert set(chosen) < {entry["article_id"] for entry in everywhere["entries"]}
    with pytest.raises(Exception, match="No indexed article matches 'nowhere/\\*'") as refused:
        client.predict("Lindqvist", None, ["nowhere/*"], api_name="/timeline")
    assert "Traceback" not in str(refused.value)
    # Over raw HTTP the topic and articles may be left out; a bad pattern is an error event.
    event, payload = _raw_call(page_url, ["Lindqvist", None, ["nowhere"]], route="timeline")
    assert event == "error" and "No indexed article matches 'nowhere'" in payload, payload
    assert "Traceback" not in payload
    event, payload = _raw_call(page_url, ["Lindqvist"], route="timeline")
    assert event == "complete", payload
    assert json.loads(payload)[0] == library.timeline("Lindqvist").as_json()


def test_the_pages_picker_chooses_a_collection(page_url: str, browser: Browser):  # noqa: F811
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    try:
        page.goto(page_url)
        page.wait_for_selector("#question textarea")
        page.locator("#settings").get_by_text("Settings").click()
        page.locator("#only input").click()
        page.get_by_role("option", name="harbour/ (3 articles)").click()
        page.keyboard.press("Escape")
        answer = _ask(page, BRIDGE)
        assert "Kowalski" in answer and "[1]" in answer
        sources = page.locator("#sources .source-head").all_inner_texts()
        assert sources and all("harbour/" in head for head in sources)
        # An article chosen instead, which does not hold the answer.
        page.reload()
        page.wait_for_selector("#question textarea")
        page.locator("#settings").get_by_text("Settings").click()
        page.locator("#only input").fill("en_rates")
        page.get_by_role("option", name="Lindqvist rules out early rate cut").click()
        page.keyboard.press("Escape")
        refused = _ask(page, BRIDGE)
        assert "don't mention Anna Kowalski" in refused  # the nearest it offers are its own
        nearest = page.locator("#sources .source-head").all_inner_texts()
        assert nearest and all("banks/en_rates_hold.txt" in head for head in nearest)
        # The Timeline tab reads the same choice: one article, so one entry.
        page.get_by_role("tab", name="Timeline").click()
        assert "banks/en_rates_hold.txt" in page.locator("#timeline-only").inner_text()
        page.locator("#timeline-person textarea").fill("Lindqvist")
        page.locator("#timeline-show").click()
        page.wait_for_selector("#timeline .entry", timeout=60_000)
        files = page.locator("#timeline .entry .file").all_inner_texts()
        assert files == ["banks/en_rates_hold.txt"]
    finally:
        context.close()
    assert not errors, errors
