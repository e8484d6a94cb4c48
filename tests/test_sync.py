"""Syncing the articles folder with the index: only what changed is embedded."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from assistant.errors import IndexBusy, IndexMismatch, IndexWriteFailed
from assistant.index import sync
from assistant.index.generations import live_generation, write_lock
from assistant.speech.statement_index import STATEMENTS_FILE, StatementIndex
from assistant.speech.statements import reader_version
from assistant.surfaces.api import Assistant
from tests.conftest import SEED

NEWS = (
    "Hafen\nDer Hafen von Hamburg wurde nach dem Sturm wieder geöffnet. Die Fähren fahren wieder."
)


def test_first_sync_adds_and_second_changes_nothing(assistant: Assistant):
    first = assistant.sync()
    assert first.added == ["000_bdd157e6eb167cd2.txt"]
    assert first.passages == first.passages_embedded > 3
    live = live_generation(assistant.settings.index)
    second = assistant.sync()
    assert (second.unchanged, second.passages_embedded, second.passages) == (
        ["000_bdd157e6eb167cd2.txt"],
        0,
        first.passages,
    )
    assert live_generation(assistant.settings.index) == live  # no copy when nothing changed


def test_edit_reembeds_only_changed_passages(built: Assistant, seeds: Path):
    before = built.retriever().store.count()
    seed = next(seeds.glob("*.txt"))
    seed.write_text(
        seed.read_text(encoding="utf-8")
        + "\n\nRubio sagte zudem, Russland müsse bis Freitag antworten.\n",
        encoding="utf-8",
    )
    report = built.sync()
    assert report.updated == [seed.name]
    assert 1 <= report.passages_embedded <= 2
    assert report.passages in (before, before + 1)
    quotes = [c.quote for c in built.ask("Bis wann muss Russland antworten?").citations]
    assert "Rubio sagte zudem, Russland müsse bis Freitag antworten." in quotes


def test_statements_read_by_older_rules_are_read_again_without_embedding(built: Assistant):
    live = live_generation(built.settings.index)
    current = StatementIndex.load(live)
    # A generation saved by the first statement reader: its file held the articles alone,
    # and this one's statements are gone.
    stale = {aid: {"statements": [], "names": []} for aid in current.by_article}
    (live / STATEMENTS_FILE).write_text(json.dumps(stale), encoding="utf-8")
    assert StatementIndex.load(live).version != reader_version()
    report = built.sync()
    assert report.updated == sorted(current.by_article) and report.passages_embedded == 0
    again = StatementIndex.load(live_generation(built.settings.index))
    assert again.version == reader_version() and again.by_article == current.by_article
    assert built.sync().unchanged == report.updated  # read once, then left alone


def test_added_and_removed_articles(built: Assistant, seeds: Path):
    (seeds / "hafen.txt").write_text(NEWS, encoding="utf-8")
    report = built.sync()
    assert (report.added, report.passages_embedded) == (["hafen.txt"], 1)
    answer = built.ask("Was geschah mit dem Hafen von Hamburg?")
    assert answer.citations[0].article_id == "hafen.txt"
    (seeds / "hafen.txt").unlink()
    report = built.sync()
    assert report.removed == ["hafen.txt"]
    answer = built.ask("Was geschah mit dem Hafen von Hamburg?")
    assert all(h.article.id != "hafen.txt" for h in answer.retrieved)


def test_unreadable_article_is_skipped_and_reported(assistant: Assistant, seeds: Path):
    (seeds / "broken.txt").write_bytes(b"\x00\x00binary")
    (seeds / "hafen.txt").write_text(NEWS, encoding="utf-8")
    report = assistant.sync()
    assert report.added == ["000_bdd157e6eb167cd2.txt", "hafen.txt"]
    assert [(f.article_id, f.reason) for f in report.failures] == [
        ("broken.txt", "looks like a binary file, not text")
    ]


def test_index_built_with_other_settings_is_refused(built: Assistant):
    other = Assistant(built.settings, embedders=built.embedders, passage_chars=300)
    with pytest.raises(IndexMismatch, match="assistant index --rebuild"):
        other.ask("What did Rubio say about Russia?")
    with pytest.raises(IndexMismatch):
        other.sync()
    report = other.sync(rebuild=True)
    assert report.rebuilt and report.passages == report.passages_embedded
    assert not other.ask("What did Rubio say about Russia?").abstained


def test_second_writer_is_told_the_index_is_busy(built: Assistant):
    with write_lock(built.settings.index), pytest.raises(IndexBusy, match="another process"):
        built.sync()


def test_rebuild_keeps_answers_identical(built: Assistant, seeds: Path):
    question = "What did Rubio say about Russia?"
    before = built.ask(question)
    built.sync(rebuild=True)
    after = built.ask(question)
    assert after.citations == before.citations


def test_removing_the_articles_folder_content_empties_the_index(built: Assistant, seeds: Path):
    shutil.rmtree(seeds)
    seeds.mkdir()
    report = built.sync()
    assert report.removed == ["000_bdd157e6eb167cd2.txt"] and report.passages == 0
    assert built.ask("What did Rubio say about Russia?").abstained


def test_new_title_reembeds_the_article(built: Assistant, seeds: Path):
    seed = next(seeds.glob("*.txt"))
    _, body = seed.read_text(encoding="utf-8").split("\n", 1)
    seed.write_text("date 2025-03 Waffenruhe: USA geben Hilfen frei\n" + body, encoding="utf-8")
    report = built.sync()
    assert report.updated == [seed.name]
    assert report.passages_embedded == report.passages
    assert built.articles()[0].title == "Waffenruhe: USA geben Hilfen frei"


def test_a_generation_is_probed_once_per_process(seeds: Path, tmp_path: Path, monkeypatch):
    """The probe (another process reading the generation) runs for a generation this
    process did not write, once; never for one it wrote and promoted. A watch or a server
    syncing every few seconds pays for it once, not at every sync and every swap."""
    from assistant.index import health

    hashing = [{"model": "hashing", "quote_weight": 1.0}]
    Assistant(seeds=seeds, index=tmp_path / "index", dense_models=hashing).sync()
    probed: list[str] = []
    real_probe = health.probe

    def counted(folder: Path, *args, **kwargs):
        probed.append(folder.name)
        return real_probe(folder, *args, **kwargs)

    monkeypatch.setattr(health, "probe", counted)
    monkeypatch.setattr(health, "_readable", set())  # as a process started after the sync
    server = Assistant(seeds=seeds, index=tmp_path / "index", dense_models=hashing)
    server.probe_index = True
    first = live_generation(tmp_path / "index").name
    server.articles()
    server.articles()
    assert probed == [first]
    (seeds / "more.txt").write_text("An added article.\n\nThe ferry left at noon.\n")
    server.sync()  # the live generation was probed already: not again
    server.articles()  # the new one was written by this process: not probed
    assert probed == [first]
    assert {r.id for r in server.articles()} == {SEED.name, "more.txt"}


def test_the_index_keeps_its_passages_words_for_the_word_matcher(built: Assistant, seeds: Path):
    matcher = built._word_matcher()
    built.retriever()
    known = set(matcher.known.words)
    seed = next(seeds.glob("*.txt"))
    assert "waffenruhe" in seed.read_text(encoding="utf-8").lower()
    assert "waffenruhe" in known and "und" not in known  # content words only
    seed.write_text(seed.read_text(encoding="utf-8") + "\n\nDie Fährverbindung ruht.\n", "utf-8")
    built.sync()
    built.retriever()
    assert set(matcher.known.words) - known == {"fährverbindung", "ruht"}


def test_a_write_failing_after_the_store_is_closed_leaves_the_live_index(
    built: Assistant, seeds: Path, monkeypatch: pytest.MonkeyPatch
):
    """The keyword index is saved after Chroma's handles are let go; a disk failing then
    still discards the new generation, and questions are answered from the old one."""
    index = built.settings.index
    live = live_generation(index)
    before = [c.quote for c in built.ask("Was sagte Rubio über Russland?").citations]
    (seeds / "hafen.txt").write_text(NEWS, encoding="utf-8")

    def full_disk(folder: Path, passages) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(sync, "save_keywords", full_disk)
    with pytest.raises(IndexWriteFailed):
        built.sync()
    assert live_generation(index) == live
    assert [p.name for p in index.glob("gen-*")] == [live.name]  # the new one is gone
    assert [c.quote for c in built.ask("Was sagte Rubio über Russland?").citations] == before
    monkeypatch.undo()
    assert built.sync().added == ["hafen.txt"]
