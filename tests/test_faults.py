"""Faults: a writer killed mid-way, questions during indexing, a full disk, a read-only
index, an embedder change. Each runs the real CLI in another process, as users do."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from assistant.index.generations import live_generation
from assistant.index.store import PassageStore
from assistant.ingest.articles import read_articles
from assistant.ingest.passages import split_passages
from assistant.models.embeddings import PassageEmbeddings
from assistant.speech.statement_index import StatementIndex
from assistant.speech.statements import statements_of_many
from assistant.surfaces.api import Assistant
from tests.conftest import xquad_articles

RUBIO = "What did Rubio say about Russia?"
BATCH = "6"  # passages per embedding step, so a small corpus is written in several steps


def write_xquad_articles(seeds: Path, count: int, first: int = 0) -> list[str]:
    """`count` German XQuAD articles as .txt files; returns their file names."""
    articles = xquad_articles()
    names = []
    for number in range(first, first + count):
        article = articles[number]
        name = f"xquad-{number:02d}.txt"
        paragraphs = [p["context"] for p in article["paragraphs"][:3]]
        header = f"date 2024-05-{number + 1:02d} {article['title']}"
        (seeds / name).write_text(header + "\n\n" + "\n\n".join(paragraphs), encoding="utf-8")
        names.append(name)
    return names


def cli(seeds: Path, index: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "assistant", "-v", "--seeds", str(seeds), "--index",
            str(index), *args]  # fmt: skip


def cli_env(**extra: str) -> dict:
    return os.environ | {"ASSISTANT_INDEX_BATCH": BATCH} | extra


def kill_when_logged(command: list[str], marker: str) -> str:
    """Run `command`, SIGKILL it as soon as its log shows `marker`; returns the log."""
    process = subprocess.Popen(command, stderr=subprocess.PIPE, text=True, env=cli_env())
    log = []
    for line in process.stderr:
        log.append(line)
        if marker in line:
            process.send_signal(signal.SIGKILL)
            break
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL, f"'{marker}' never logged:\n{''.join(log)}"
    return "".join(log)


def expected_passages(seeds: Path) -> dict[str, str]:
    """Passage id -> text, for every article in `seeds`, as a sync from scratch makes them."""
    articles, _ = read_articles(seeds)
    return {p.id: p.text for a in articles for p in split_passages(a, 500, 1)}


def expected_statements(seeds: Path) -> dict[str, list]:
    """Article id -> statements, as a sync from scratch reads them."""
    articles, _ = read_articles(seeds)
    passages = [split_passages(a, 500, 1) for a in articles]
    return {aid: s.statements for aid, s in statements_of_many(articles, passages).items()}


def assert_index_holds_exactly(index: Path, seeds: Path) -> None:
    """No passage missing, none duplicated or left over, every sentence vector present, and
    every article's statements as a fresh read gives them."""
    statements = StatementIndex.load(live_generation(index)).by_article
    assert statements == expected_statements(seeds)
    assert sum(map(len, statements.values())) > 5  # the seed's Rubio, Waltz, Palissa
    store = PassageStore(live_generation(index))
    try:
        stored = list(store.all_passages())
        assert len(stored) == store.count()
        assert {p.id: p.text for p, _ in stored} == expected_passages(seeds)
        for model in range(store.models):
            sentences = store.sentence_vectors(model, [p for p, _ in stored])
            assert len(sentences) == sum(len(p.sentences) for p, _ in stored)
    finally:
        store.close()
    generations = sorted(p.name for p in index.glob("gen-*"))
    assert len(generations) <= 2, generations  # live and previous; nothing half-built


def answer_json(assistant: Assistant, question: str = RUBIO) -> dict:
    """What a user sees of the answer: its text and what each citation quotes, and where."""
    answer = assistant.ask(question).as_json()
    quotes = [(c["article_id"], c["quote"], c["start"]) for c in answer["citations"]]
    return {"answer": answer["answer"], "quotes": quotes}


@pytest.fixture
def indexed(assistant: Assistant) -> tuple[Assistant, dict]:
    """The seed indexed; the answer to the Rubio question as it stands."""
    assistant.sync()
    return assistant, answer_json(assistant)


@pytest.mark.parametrize(
    "marker",
    [
        "Embedding passages 7-12",  # mid-embedding: one step written, the next in the model
        "Wrote passages 13-18",  # mid-write: some steps stored, others not yet
        "Promoting generation",  # all written, the swap about to happen
    ],
)
def test_killed_index_leaves_old_index_answering_and_next_run_completes(
    indexed: tuple[Assistant, dict], seeds: Path, tmp_path: Path, marker: str
):
    assistant, before = indexed
    index = tmp_path / "index"
    old_passages = expected_passages(seeds)
    write_xquad_articles(seeds, 3)

    clean = Assistant(seeds=seeds, index=tmp_path / "clean", embedders=assistant.embedders)
    clean.sync()

    kill_when_logged(cli(seeds, index, "index"), marker)

    # The killed run changed nothing users see, or (killed at the swap) swapped in whole.
    if assistant.retriever().store.count() == len(old_passages):
        assert answer_json(assistant) == before
    count = assistant.retriever().store.count()
    assert count in (len(old_passages), len(expected_passages(seeds)))
    # The next run finishes the job: exactly the seeds' passages, each once, quoting what
    # an index built without a fault quotes. (Not always in the same order: int8 vectors
    # depend slightly on which passages shared their embedding batch.)
    done = subprocess.run(cli(seeds, index, "index"), capture_output=True, text=True,
                          env=cli_env(), timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert_index_holds_exactly(index, seeds)
    assert sorted(answer_json(assistant)["quotes"]) == sorted(answer_json(clean)["quotes"])


def test_questions_are_answered_while_another_process_indexes(
    indexed: tuple[Assistant, dict], seeds: Path, tmp_path: Path
):
    assistant, before = indexed
    index = tmp_path / "index"
    old_count = assistant.retriever().store.count()
    write_xquad_articles(seeds, 4)
    new_count = len(expected_passages(seeds))
    writer = subprocess.Popen(cli(seeds, index, "index"), stderr=subprocess.PIPE, text=True,
                              env=cli_env())  # fmt: skip
    asker = subprocess.Popen(
        cli(seeds, index, "ask", "--json", RUBIO),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(),
    )
    seen, counts = [], set()
    while writer.poll() is None:
        seen.append(answer_json(assistant))
        counts.add(assistant.retriever().store.count())
    assert writer.returncode == 0, writer.stderr.read()
    out, err = asker.communicate(timeout=120)
    assert asker.returncode == 0, err
    after = answer_json(assistant)
    assert json.loads(out)["answer"] in (before["answer"], after["answer"])
    assert len(seen) >= 3
    assert all(answer in (before, after) for answer in seen)  # never a mix of the two
    assert counts <= {old_count, new_count}  # the old index or the new one, never partial
    assert assistant.retriever().store.count() == new_count


def test_questions_are_answered_while_the_same_process_indexes_an_upload(
    indexed: tuple[Assistant, dict], seeds: Path
):
    """The web page's case: an upload syncs the very Assistant that is answering chats."""
    assistant, before = indexed
    old_count = assistant.retriever().store.count()
    write_xquad_articles(seeds, 4)
    new_count = len(expected_passages(seeds))
    with ThreadPoolExecutor(1) as pool:
        syncing = pool.submit(assistant.sync)
        seen, counts = [], set()
        while not syncing.done():
            seen.append(answer_json(assistant))
            counts.add(assistant.retriever().store.count())
        report = syncing.result()
    assert len(report.added) == 4 and not report.failures
    after = answer_json(assistant)
    assert len(seen) >= 3
    assert all(answer in (before, after) for answer in seen)
    assert counts <= {old_count, new_count}
    assert assistant.retriever().store.count() == new_count


# The CLI, once its language model is loaded (it unpacks to a temp file), run with files
# limited to `limit` bytes: the disk "fills up" while the index is being written.
_FULL_DISK = """
import resource, signal, sys
import py3langid
py3langid.classify("warm")
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write fails (EFBIG) instead of killing
limit = int(sys.argv.pop(1))
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
from assistant.surfaces.cli import run
sys.argv[0] = "assistant"
run()
"""


def test_full_disk_is_a_clear_error_and_the_index_survives(
    indexed: tuple[Assistant, dict], seeds: Path, tmp_path: Path
):
    assistant, before = indexed
    index = tmp_path / "index"
    live = live_generation(index)
    biggest = max(p.stat().st_size for p in live.rglob("*") if p.is_file())
    write_xquad_articles(seeds, 4)
    # Files may grow to what the copy of the live index needs, not to what 4 articles add.
    arguments = cli(seeds, index, "index")[3:]
    command = [sys.executable, "-c", _FULL_DISK, str(biggest + 4096), *arguments]
    done = subprocess.run(command, capture_output=True, text=True, env=cli_env(), timeout=300)
    assert done.returncode == 1, done.stderr
    assert "Could not write the index" in done.stderr
    assert "Nothing was changed" in done.stderr
    assert "Traceback" not in done.stderr
    assert live_generation(index) == live
    assert [p.name for p in index.glob("gen-*")] == [live.name]  # the partial copy is gone
    assert answer_json(assistant) == before
    done = subprocess.run(cli(seeds, index, "index"), capture_output=True, text=True,
                          env=cli_env(), timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert_index_holds_exactly(index, seeds)


def _read_only(folder: Path, command: list[str]) -> list[str]:
    """`command` run in a private mount namespace where `folder` is read-only."""
    script = 'mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" && shift && exec "$@"'
    return ["unshare", "--mount", "sh", "-c", script, "sh", str(folder), *command]


def test_read_only_index_answers_as_before_and_indexing_says_why_not(
    indexed: tuple[Assistant, dict], seeds: Path, tmp_path: Path
):
    assistant, before = indexed
    index = tmp_path / "index"
    files = {p: p.read_bytes() for p in index.rglob("*") if p.is_file()}
    write_xquad_articles(seeds, 1)
    temporary = tmp_path / "tmp"
    temporary.mkdir()

    # Embedded Chroma writes whenever it opens a store (chroma#1438: no read-only client),
    # so a read-only one is read from a private copy in the temporary folder.
    asked = subprocess.run(_read_only(index, cli(seeds, index, "ask", "--json", RUBIO)),
                           capture_output=True, text=True, env=cli_env(TMPDIR=str(temporary)),
                           timeout=300)  # fmt: skip
    assert asked.returncode == 0, asked.stderr
    answer = json.loads(asked.stdout)
    quotes = [(c["article_id"], c["quote"], c["start"]) for c in answer["citations"]]
    assert {"answer": answer["answer"], "quotes": quotes} == before
    assert "reading a copy of it" in asked.stderr
    assert not list(temporary.iterdir())  # the copy is gone with the process

    done = subprocess.run(_read_only(index, cli(seeds, index, "index")), capture_output=True,
                          text=True, env=cli_env(), timeout=300)  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert "Could not write the index" in done.stderr
    assert "the folder is read-only" in done.stderr and "Make the folder writable" in done.stderr
    assert "Traceback" not in done.stderr
    assert {p: p.read_bytes() for p in index.rglob("*") if p.is_file()} == files
    assert answer_json(assistant) == before


def test_rebuild_with_another_embedder_keeps_answering_throughout(
    indexed: tuple[Assistant, dict], seeds: Path, tmp_path: Path, embedder: PassageEmbeddings
):
    e5_only = [{"model": "default", "quote_weight": 1.18}]
    assistant, before = indexed
    index = tmp_path / "index"
    write_xquad_articles(seeds, 2)
    assistant.sync()
    before = answer_json(assistant)
    # The new configuration drops USE from the dense models: a different embedder setup.
    new_config = cli_env(ASSISTANT_DENSE_MODELS=json.dumps(e5_only))
    rebuild = subprocess.Popen(cli(seeds, index, "index", "--rebuild"), stderr=subprocess.PIPE,
                               text=True, env=new_config)  # fmt: skip
    answered = 0
    while rebuild.poll() is None:
        assert answer_json(assistant) == before  # the running app never stops answering
        answered += 1
    assert rebuild.returncode == 0, rebuild.stderr.read()
    assert answered >= 3
    # After the swap: the old-config process still answers (from the generation before),
    # a process started with the new configuration answers from the new index.
    assert answer_json(assistant) == before
    updated = Assistant(seeds=seeds, index=index, embedders=[embedder], dense_models=e5_only)
    answer = answer_json(updated)
    assert "Rubio" in answer["answer"]
    assert answer["quotes"][0][0] == before["quotes"][0][0]  # the seed article
    assert_index_holds_exactly(index, seeds)


def test_chroma_keeps_writes_below_its_flush_threshold_on_exit_and_on_kill(tmp_path: Path):
    """RELIABILITY #15 (chroma#6975/#7463): fewer vectors than `hnsw:sync_threshold`, then a
    clean exit or a SIGKILL; a new process must find them with get() and query()."""
    writer = """
import os, signal, sys
import numpy as np
import chromadb
client = chromadb.PersistentClient(sys.argv[1])
collection = client.get_or_create_collection("passages", metadata={"hnsw:space": "cosine"})
vectors = np.random.default_rng(0).standard_normal((50, 8)).astype(np.float32)
collection.upsert(ids=[f"p{i}" for i in range(50)], embeddings=vectors)
if sys.argv[2] == "kill":
    os.kill(os.getpid(), signal.SIGKILL)
"""
    reader = """
import sys
from concurrent.futures import ThreadPoolExecutor
import numpy as np
import chromadb
collection = chromadb.PersistentClient(sys.argv[1]).get_collection("passages")
vectors = np.random.default_rng(0).standard_normal((50, 8)).astype(np.float32)
found = collection.query(query_embeddings=[vectors[17]], n_results=1)
print(len(collection.get()["ids"]), found["ids"][0][0])
"""
    for ending in ("exit", "kill"):
        folder = tmp_path / ending
        subprocess.run([sys.executable, "-c", writer, str(folder), ending], timeout=120)
        read = subprocess.run([sys.executable, "-c", reader, str(folder)], capture_output=True,
                              text=True, timeout=120)  # fmt: skip
        assert read.returncode == 0, read.stderr
        assert read.stdout.split() == ["50", "p17"], ending


def test_second_writer_gets_index_busy_within_seconds(indexed, seeds: Path, tmp_path: Path):
    """RELIABILITY #11: the web page syncing while the CLI is asked to index."""
    from assistant.index.generations import write_lock

    index = tmp_path / "index"
    with write_lock(index):
        done = subprocess.run(cli(seeds, index, "index"), capture_output=True, text=True,
                              env=cli_env(), timeout=60)  # fmt: skip
    assert done.returncode == 1
    assert "being updated by another process" in done.stderr
    assert "Traceback" not in done.stderr
