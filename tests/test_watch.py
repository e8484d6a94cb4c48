"""The watched articles folder: a real watchfiles watcher on a temp folder keeps the index in
sync (files dropped, edited, removed), through the same sync as `assistant index`."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest
import watchfiles

from assistant.surfaces.api import Assistant
from assistant.surfaces.watch import ArticleFilter, FolderWatch, IndexChange
from tests.conftest import REPO, SEED

# The model-free embedder: what is tested here is the watching, not the models.
HASHING = [{"model": "hashing", "quote_weight": 1.0}]
QUESTION = "What did Ilse Varga say about the lighthouse of Korvath?"
ARTICLE = (
    "date 2026-02-03 Lighthouse of Korvath reopens\n\n"
    "The lighthouse of Korvath reopened on Monday after two years of repairs. "
    'Mayor Ilse Varga said: "The lighthouse of Korvath will guide the ferries again."\n'
)
EDITED = ARTICLE.replace("guide the ferries again", "shine over the harbour every night")
WAIT_SECONDS = 60  # a sync takes a few seconds; the machine running the tests may be slow


def _wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"
        time.sleep(0.2)


def _quotes(assistant: Assistant) -> str:
    """Every quote the answer to QUESTION cites (or offers as nearest)."""
    answer = assistant.ask(QUESTION)
    return " ".join(c.quote for c in (*answer.citations, *answer.nearest))


@pytest.fixture
def watched(seeds: Path, tmp_path: Path) -> Iterator[tuple[Assistant, FolderWatch]]:
    """The seed article indexed, and a watch on its folder running in the background."""
    assistant = Assistant(seeds=seeds, index=tmp_path / "index", dense_models=HASHING)
    assistant.sync()
    changes: list[IndexChange] = []
    watch = FolderWatch(assistant, on_change=changes.append)
    watch.start()
    _wait_for(lambda: changes, "the watch caught up")  # it is now watching
    yield assistant, watch
    watch.stop()


@pytest.mark.slow
def test_dropped_edited_and_removed_files_reach_the_answers(watched, seeds: Path):
    assistant, watch = watched
    article = seeds / "korvath.txt"
    article.write_text(ARTICLE, encoding="utf-8")
    _wait_for(lambda: "guide the ferries" in _quotes(assistant), "the dropped file answered")
    assert watch.last.report.added == ["korvath.txt"]

    article.write_text(EDITED, encoding="utf-8")
    _wait_for(lambda: "shine over the harbour" in _quotes(assistant), "the edit answered")
    assert watch.last.report.updated == ["korvath.txt"]
    assert "guide the ferries" not in _quotes(assistant)

    article.unlink()
    _wait_for(lambda: "korvath.txt" not in {r.id for r in assistant.articles()}, "removed")
    assert watch.last.report.removed == ["korvath.txt"]
    assert "Korvath" not in _quotes(assistant)
    assert [r.id for r in assistant.articles()] == [SEED.name]


@pytest.mark.slow
def test_a_burst_of_writes_is_one_sync_and_hidden_files_none(watched, seeds: Path):
    """An editor's save (a hidden temp file, written in pieces, renamed into place) is one
    change of one article."""
    assistant, watch = watched
    before = watch.version
    temporary = seeds / ".korvath.txt.swx"
    with temporary.open("w", encoding="utf-8") as file:
        for line in ARTICLE.splitlines(keepends=True):
            file.write(line)
            file.flush()
    temporary.rename(seeds / "korvath.txt")
    _wait_for(lambda: watch.version > before, "the watch synced")
    time.sleep(2.5)  # a second sync, were the burst split, would have come by now
    assert watch.version == before + 1
    assert watch.last.report.added == ["korvath.txt"]
    (seeds / ".notes.txt").write_text("not an article", encoding="utf-8")
    time.sleep(2.5)
    assert watch.version == before + 1
    assert {r.id for r in assistant.articles()} == {SEED.name, "korvath.txt"}


@pytest.mark.slow
def test_a_bad_file_is_reported_and_the_watch_goes_on(watched, seeds: Path):
    assistant, watch = watched
    reports: list[IndexChange] = []
    watch.on_change = reports.append
    (seeds / "broken.md").write_text("---\ntitle: [unclosed\n---\nText.\n", encoding="utf-8")
    _wait_for(lambda: reports, "the bad file was read")
    assert [f.article_id for f in reports[0].report.failures] == ["broken.md"]
    (seeds / "korvath.txt").write_text(ARTICLE, encoding="utf-8")
    _wait_for(lambda: "korvath.txt" in {r.id for r in assistant.articles()}, "the next sync")


@pytest.mark.slow
def test_a_failed_sync_is_reported_and_the_watch_goes_on(seeds: Path, tmp_path: Path):
    """A sync that cannot write the index (here: a file where its folder should be) is
    logged and shown; once the cause is gone, the next change is indexed."""
    blocked = tmp_path / "index"
    blocked.write_text("not a folder", encoding="utf-8")
    assistant = Assistant(seeds=seeds, index=blocked, dense_models=HASHING)
    changes: list[IndexChange] = []
    watch = FolderWatch(assistant, on_change=changes.append)
    watch.start()
    try:
        _wait_for(lambda: changes, "the first sync")
        assert changes[0].report is None and "Could not write the index" in changes[0].error
        assert watch.last == changes[0]
        blocked.unlink()
        (seeds / "korvath.txt").write_text(ARTICLE, encoding="utf-8")
        _wait_for(lambda: changes[-1].report is not None, "a sync that worked")
        assert sorted(changes[-1].report.added) == sorted([SEED.name, "korvath.txt"])
    finally:
        watch.stop()


def test_the_filter_leaves_out_hidden_temporary_and_index_files(tmp_path: Path):
    seeds = tmp_path / "seeds"
    allowed = ArticleFilter(seeds, seeds / "index")
    added = watchfiles.Change.added
    assert allowed(added, str(seeds / "a.txt"))
    assert allowed(added, str(seeds / "politics" / "b.md"))
    for left_out in (
        ".a.txt.swp",
        ".git/HEAD",
        "politics/.draft.md",
        "a.txt~",
        "download.html.part",
        "index/live/chroma.sqlite3",
    ):
        assert not allowed(added, str(seeds / left_out)), left_out


def test_the_notice_says_what_changed_and_when():
    from assistant.surfaces.api import SyncReport

    report = SyncReport(
        added=["a.txt", "b.txt"], updated=[], removed=["c.txt"], unchanged=["d.txt"],
        failures=[], passages=9, passages_embedded=3, seconds=1.0,
    )  # fmt: skip
    at = datetime(2026, 3, 4, 14, 5)
    assert IndexChange(at, report).notice() == "The index was updated at 14:05: 2 added, 1 removed."
    failed = IndexChange(at, error="The index is busy.")
    assert failed.notice() == "Updating the index at 14:05 failed: The index is busy."
    assert failed.changed and IndexChange(at, report).changed


@pytest.mark.slow
def test_index_watch_prints_each_sync_and_stops_on_sigterm(seeds: Path, tmp_path: Path):
    """`assistant index --watch --json`: the first sync's report, then one line per sync that
    changed the index; SIGTERM ends it with exit code 0."""
    env = {
        **os.environ,
        "ASSISTANT_DENSE_MODELS": json.dumps(HASHING),
        "ASSISTANT_SEEDS": str(seeds),
        "ASSISTANT_INDEX": str(tmp_path / "index"),
        "PYTHONPATH": str(REPO),
    }
    command = [sys.executable, "-m", "assistant", "index", "--watch", "--json"]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        first = json.loads(process.stdout.readline())
        assert first["added"] == [SEED.name]
        (seeds / "korvath.txt").write_text(ARTICLE, encoding="utf-8")
        second = json.loads(process.stdout.readline())
        assert (second["added"], second["unchanged"]) == (["korvath.txt"], 1)
    finally:
        process.send_signal(signal.SIGTERM)
        _, errors = process.communicate(timeout=60)
    assert process.returncode == 0, errors
    assert "Stopped watching." in errors


@pytest.mark.slow
def test_the_page_says_when_the_watch_updated_the_index(seeds: Path, tmp_path: Path):
    from playwright.sync_api import sync_playwright

    from assistant.surfaces.web import launch
    from tests.test_web import CHROMIUM, CHROMIUM_FLAGS

    assistant = Assistant(seeds=seeds, index=tmp_path / "index", dense_models=HASHING)
    assistant.sync()
    watch = FolderWatch(assistant)
    port = _free_port()
    blocks = launch(assistant, port=port, block=False, watch=watch)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
            page = browser.new_page()
            page.goto(f"http://127.0.0.1:{port}/")
            page.wait_for_selector("#question textarea")
            (seeds / "korvath.txt").write_text(ARTICLE, encoding="utf-8")
            notice = page.locator("#watch-notice")
            notice.get_by_text("The index was updated at").wait_for(timeout=60_000)
            assert notice.inner_text().strip().endswith(": 1 added.")
            page.get_by_role("tab", name="Articles").click()
            page.locator("#articles").get_by_text("korvath.txt").wait_for(timeout=10_000)
            browser.close()
    finally:
        watch.stop()
        blocks.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
