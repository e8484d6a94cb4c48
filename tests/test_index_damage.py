"""A damaged index says so: every kind of file in a generation, emptied or cut in half (and
JSON files of the wrong shape), either answers exactly as before or is refused with the
rebuild message; never a traceback, a crash or a silently different answer. `assistant
index` then mends it, `assistant index --check` finds what the cheap checks cannot, the
page still starts, and a full disk neither stops the answers nor leaves a half-made copy.

The corrupted indexes are read by the real CLI in other processes: Chroma can kill the
process that reads a damaged file (SIGSEGV, chroma-core/chroma#7238). The model-free
hashing embedder keeps them fast.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest

from assistant.errors import IndexDamaged
from assistant.index.generations import live_generation
from assistant.surfaces.api import Assistant
from tests.conftest import SEED

QUESTION = "Was sagte Rubio über Russland?"
REBUILD = "Rebuild it with: assistant index --rebuild"
HASHING = {
    "dense_models": [{"model": "hashing", "quote_weight": 1.0}],
    "abstain_below": 0.0,
    "abstain_below_cross_lingual": 0.0,
    "abstain_below_confidence": 0.0,
}
# Past Chroma's `sync_threshold` (1,000 records), so that its HNSW files are written while
# the index is built as well as when the sync ends (`store.apply_chroma_log`).
TOWN_ARTICLES = 86


def hashing_env(**extra: str) -> dict:
    """The environment of a CLI process that reads the indexes made here."""
    settings = {f"ASSISTANT_{k.upper()}": json.dumps(v) for k, v in HASHING.items()}
    # Equal scores are ranked in set order; a fixed hash seed makes runs comparable.
    return os.environ | settings | {"PYTHONHASHSEED": "0"} | extra


def cli(seeds: Path, index: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "assistant", "--seeds", str(seeds), "--index", str(index),
            *args]  # fmt: skip


def run_cli(seeds: Path, index: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    """The CLI run on `index` in another process, with the hashing settings."""
    return subprocess.run(cli(seeds, index, *args), input=stdin, capture_output=True,
                          text=True, env=hashing_env(), timeout=300)  # fmt: skip


def write_town_reports(folder: Path, count: int) -> None:
    """`count` made-up council reports, ten paragraphs each, each a passage or two."""
    rng = random.Random(7)
    towns = ["Alderby", "Brookmere", "Caldwick", "Dunmore", "Eastholm", "Fernvale"]
    topics = ["the new bridge", "the school budget", "the river flooding", "the bus lines",
              "the library hours", "the water prices", "the park benches"]  # fmt: skip
    people = ["Mayor Ada Quill", "Councillor Ben Roth", "Engineer Cora Lind", "Farmer Dan Ives"]
    verbs = ["praised", "criticised", "questioned", "defended", "delayed", "approved"]
    for number in range(count):
        paragraphs = []
        for part in range(10):
            sentences = []
            for _ in range(4):
                town, topic, who = rng.choice(towns), rng.choice(topics), rng.choice(people)
                day = rng.randint(1, 300)
                sentences.append(f"In {town}, {who} {rng.choice(verbs)} {topic} on day {day}.")
                sentences.append(f'"We will look at {topic} again", said {who.split()[-1]}.')
            paragraphs.append(f"Session {number}-{part}. " + " ".join(sentences))
        text = f"Town report {number}\n\n" + "\n\n".join(paragraphs) + "\n"
        (folder / f"town-{number:03d}.txt").write_text(text, encoding="utf-8")


def copy_index(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)
    return target


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict]:
    """An index of the seed and the town reports, past Chroma's log: (articles folder,
    index folder, the CLI's JSON answer to QUESTION)."""
    root = tmp_path_factory.mktemp("large")
    seeds = root / "seeds"
    seeds.mkdir()
    shutil.copy(SEED, seeds / SEED.name)
    write_town_reports(seeds, TOWN_ARTICLES)
    report = Assistant(seeds=seeds, index=root / "index", **HASHING).sync()
    assert report.passages > 1000
    asked = run_cli(seeds, root / "index", "ask", "--json", QUESTION)
    assert asked.returncode == 0, asked.stderr
    return seeds, root / "index", json.loads(asked.stdout)


@pytest.fixture
def small(tmp_path: Path, seeds: Path) -> tuple[Assistant, dict]:
    """The seed indexed with the hashing embedder, and what it answers to QUESTION."""
    assistant = Assistant(seeds=seeds, index=tmp_path / "index", **HASHING)
    assistant.sync()
    return assistant, seen(assistant)


def seen(assistant: Assistant) -> dict:
    """What a user sees of the answer: its text, and what each citation quotes where."""
    answer = assistant.ask(QUESTION).as_json()
    return {
        "answer": answer["answer"],
        "quotes": [(c["article_id"], c["quote"], c["start"]) for c in answer["citations"]],
    }


# --- every kind of file, emptied or halved ------------------------------------------------

# Where each kind of file is, from the index folder ("*" is the live generation).
FILES = {
    "chroma.sqlite3": "*/chroma/chroma.sqlite3",
    "HNSW data_level0.bin": "*/chroma/*/data_level0.bin",
    "HNSW header.bin": "*/chroma/*/header.bin",
    "HNSW length.bin": "*/chroma/*/length.bin",
    "HNSW link_lists.bin": "*/chroma/*/link_lists.bin",
    "sentence vectors": "*/sentences-0/*.npy",
    "passage vectors": "*/passage-vectors-0/*.npy",
    "keyword listing": "*/keywords/passages.json",
    "BM25 scores": "*/keywords/bm25/data.csc.index.npy",
    "statements.json": "*/statements.json",
    "index.json": "*/index.json",
    "CURRENT": "CURRENT",
}
WRONG_SHAPES = {
    "CURRENT": ["[]", '{"live": "../../etc"}'],
    "index.json": ['{"manifest": [], "articles": {}}'],
    "statements.json": ["{}"],
    "sentence vectors": ['{"a": 1}'],  # the shard's listing, beside it
}
CASES = [
    *[(kind, damage) for kind in FILES for damage in ("emptied", "halved")],
    ("HNSW length.bin", "missing"),
    *[(kind, shape) for kind, shapes in WRONG_SHAPES.items() for shape in shapes],
]


def file_of(index: Path, kind: str) -> Path:
    """The first file of `kind` in `index`."""
    pattern = FILES[kind].replace("*/", f"{live_generation(index).name}/", 1)
    return sorted(index.glob(pattern))[0]


def damage_file(index: Path, kind: str, damage: str) -> Path:
    """Damage the first file of `kind` in `index` as `damage` says; returns its path."""
    path = file_of(index, kind)
    if damage not in ("emptied", "halved", "missing"):  # JSON of the wrong shape
        path = path.with_suffix(".json") if path.suffix == ".npy" else path
        path.write_text(damage, encoding="utf-8")
    elif damage == "missing":
        path.unlink()
    else:
        data = path.read_bytes()
        path.write_bytes(b"" if damage == "emptied" else data[: len(data) // 2])
    return path


@pytest.fixture(scope="module")
def outcomes(request, large, tmp_path_factory) -> dict[tuple[str, str], Future]:
    """Each selected case asked through the CLI on its own damaged copy of the large
    index, two at a time (each process spends seconds importing)."""
    seeds, index, _ = large
    root = tmp_path_factory.mktemp("damaged")
    selected = [
        item.callspec.params["case"]
        for item in request.session.items
        if item.originalname == "test_damaged_file_answers_as_before_or_is_refused"
    ]
    pool = ThreadPoolExecutor(2)
    request.addfinalizer(pool.shutdown)

    def ask(number: int, case: tuple[str, str]) -> subprocess.CompletedProcess:
        copy = copy_index(index, root / f"case-{number}")
        damage_file(copy, *case)
        return run_cli(seeds, copy, "ask", "--json", QUESTION)

    return {case: pool.submit(ask, n, case) for n, case in enumerate(selected)}


@pytest.mark.parametrize("case", CASES, ids=[f"{kind}-{damage}" for kind, damage in CASES])
def test_damaged_file_answers_as_before_or_is_refused(case, outcomes, large):
    asked = outcomes[case].result()
    assert "Traceback" not in asked.stderr, asked.stderr
    if asked.returncode == 0:
        assert json.loads(asked.stdout) == large[2]  # exactly as before, not silently other
    else:
        assert asked.returncode == 1, (asked.returncode, asked.stderr)  # not a crash
        assert REBUILD in asked.stderr and not asked.stdout


# --- every command refuses; `index` mends ---------------------------------------------------


def test_every_command_refuses_a_truncated_statements_file_and_index_mends_it(small, seeds: Path):
    """It gave a traceback from every command, `index` included."""
    assistant, before = small
    index = assistant.settings.index
    damaged = live_generation(index)
    damage_file(index, "statements.json", "halved")
    commands = [["ask", QUESTION], ["articles"], ["people", "--json"], ["index", "--check"]]
    with ThreadPoolExecutor(2) as pool:
        done = list(pool.map(lambda command: run_cli(seeds, index, *command), commands))
        chat = pool.submit(run_cli, seeds, index, "chat", stdin=f"{QUESTION}\n").result()
    for command, result in zip(commands, done, strict=True):
        assert result.returncode == 1 and REBUILD in result.stderr, (command, result.stderr)
        assert "Traceback" not in result.stderr
    assert REBUILD in chat.stderr and "Traceback" not in chat.stderr

    mended = run_cli(seeds, index, "index")
    assert mended.returncode == 0, mended.stderr
    assert "Rebuilt" in mended.stdout and "indexing the articles anew" in mended.stderr
    assert [p.name for p in index.glob("gen-*")] == [live_generation(index).name]
    assert live_generation(index) != damaged  # the damaged one is not kept as previous
    assert run_cli(seeds, index, "index", "--check").returncode == 0
    assert seen(Assistant(assistant.settings)) == before


@pytest.mark.parametrize(
    ("kind", "damage"),
    [
        ("chroma.sqlite3", "emptied"),  # was taken for an empty store, and stayed so
        ("index.json", '{"manifest": [], "articles": {}}'),  # was an AttributeError
        ("CURRENT", "[]"),  # was an AttributeError from every command
    ],
)
def test_index_mends_a_damaged_live_generation_from_the_articles(small, kind, damage):
    assistant, before = small
    damage_file(assistant.settings.index, kind, damage)
    opened = Assistant(assistant.settings)  # as a process started after the damage
    with pytest.raises(IndexDamaged, match=REBUILD):
        opened.ask(QUESTION)
    report = opened.sync()  # `assistant index`, without --rebuild
    assert report.rebuilt and report.passages_embedded == report.passages > 0
    assert seen(opened) == before


def test_unusable_keyword_index_is_saved_again_without_embedding(small):
    assistant, before = small
    damage_file(assistant.settings.index, "BM25 scores", "halved")
    opened = Assistant(assistant.settings)
    with pytest.raises(IndexDamaged, match="keyword index"):
        opened.ask(QUESTION)
    report = opened.sync()
    assert not report.rebuilt and report.passages_embedded == 0
    assert seen(opened) == before


# --- what only the full check finds ------------------------------------------------------


def test_check_finds_a_zeroed_segment_that_passes_the_cheap_checks(large, tmp_path: Path):
    """Every byte of the vectors zeroed, its size kept: the files look whole; searching
    fails (or crashes the reader), which `--check`, the server's probe and the next sync
    find in another process (RELIABILITY #9/#10)."""
    seeds, original, _ = large
    index = copy_index(original, tmp_path / "index")
    data = file_of(index, "HNSW data_level0.bin")
    data.write_bytes(b"\0" * data.stat().st_size)

    checked = run_cli(seeds, index, "index", "--check")
    assert checked.returncode == 1 and REBUILD in checked.stderr, checked.stderr
    server_side = Assistant(seeds=seeds, index=index, **HASHING)
    server_side.probe_index = True  # as `assistant serve` does
    with pytest.raises(IndexDamaged, match=REBUILD):
        server_side.ask(QUESTION)  # reported; this process (the "server") is still alive
    with pytest.raises(IndexDamaged):  # remembered: not probed again at every request
        server_side.articles()

    report = server_side.sync()  # nothing changed in the articles, but the probe finds it
    assert report.rebuilt and report.passages_embedded == report.passages
    assert QUESTION.split()[2] in server_side.ask(QUESTION).text


# --- the page -----------------------------------------------------------------------------


def test_page_starts_on_a_damaged_index_and_says_so(small):
    from gradio_client import Client

    from assistant.surfaces.web import ChatPage, launch

    assistant, _ = small
    damage_file(assistant.settings.index, "statements.json", "halved")
    server = Assistant(assistant.settings)
    blocks = launch(server, port=_free_port(), block=False)
    try:
        client = Client(blocks.local_url, verbose=False)
        with pytest.raises(Exception, match="Rebuild it with") as raised:
            client.predict(QUESTION, api_name="/ask")
        assert "null" not in str(raised.value)
        notice = ChatPage(server).index_notice()  # Markdown: its punctuation escaped
        assert "cannot be read" in notice and "Rebuild it with" in notice
    finally:
        blocks.close()


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --- a full disk --------------------------------------------------------------------------


@pytest.fixture
def full_disk(tmp_path: Path) -> Path:
    """A 12 MB file system of its own (tmpfs), unmounted afterwards."""
    folder = tmp_path / "disk"
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=12m", "tmpfs", str(folder)],
                             capture_output=True, text=True)  # fmt: skip
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs to fill up: {mounted.stderr.strip()}")
    yield folder
    subprocess.run(["umount", str(folder)], check=True)


def test_full_disk_keeps_answering_and_leaves_no_partial_copy(small, full_disk, seeds: Path):
    assistant, before = small
    index = copy_index(assistant.settings.index, full_disk / "index")
    live = live_generation(index)
    filler = full_disk / "filler"
    with filler.open("wb") as handle, pytest.raises(OSError):  # every byte of the disk
        while True:
            handle.write(b"\0" * 65536)
            handle.flush()
    (seeds / "more.txt").write_text("Neu\n\nDer Hafen öffnet wieder.", encoding="utf-8")

    done = run_cli(seeds, index, "index")
    assert done.returncode == 1, done.stderr
    assert "the disk is full" in done.stderr and "Free disk space" in done.stderr
    assert "write access" not in done.stderr and "Traceback" not in done.stderr
    assert [p.name for p in index.glob("gen-*")] == [live.name]  # no partial copy left
    asked = run_cli(seeds, index, "ask", "--json", QUESTION)  # read from a copy elsewhere
    assert asked.returncode == 0, asked.stderr
    answer = json.loads(asked.stdout)
    assert answer["answer"] == before["answer"]

    filler.unlink()
    done = run_cli(seeds, index, "index")
    assert done.returncode == 0, done.stderr
    assert "1 added" in done.stdout
