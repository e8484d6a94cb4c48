"""A built index holds every write in Chroma's HNSW files, not partly in Chroma's log: a new
process then searches the files as they are, at once and alike in every process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import chromadb
import pytest
from chromadb.config import Settings

from assistant.index.chroma_files import SQLITE
from assistant.index.chroma_records import unapplied_records
from assistant.index.generations import live_generation
from assistant.surfaces.api import Assistant
from tests.test_index_damage import HASHING, hashing_env, write_town_reports

# Made-up questions about the town reports, asked of every dense model's collection.
QUESTIONS = ["Who praised the new bridge in Alderby?", "What about the school budget?",
             "Did the mayor delay the bus lines?", "Wer kritisierte die Wasserpreise?",
             "the river flooding in Fernvale", "library hours on day 12"]  # fmt: skip
_QUIET = Settings(anonymized_telemetry=False)
# A fresh process: the live generation's nearest passages to each question, with scores.
_SEARCH = """
import json, sys
from pathlib import Path
from assistant.index.store import PassageStore
from assistant.models.embeddings import HashingEmbeddings
store = PassageStore(Path(sys.argv[1]))
vectors = HashingEmbeddings().embed_questions(json.loads(sys.argv[2]))
print(json.dumps([store.query(m, v, 10) for m in range(store.models) for v in vectors]))
store.close()
"""


def _chroma(assistant: Assistant) -> Path:
    return live_generation(assistant.settings.index) / "chroma"


def _sync_thresholds(chroma: Path) -> dict[str, int]:
    client = chromadb.PersistentClient(path=str(chroma), settings=_QUIET)
    try:
        return {
            c.name: client.get_collection(c.name).configuration_json["hnsw"]["sync_threshold"]
            for c in client.list_collections()
        }
    finally:
        client.close()


def _default_sync_threshold(tmp_path: Path) -> int:
    client = chromadb.PersistentClient(path=str(tmp_path / "fresh-chroma"), settings=_QUIET)
    try:
        created = client.create_collection("fresh", embedding_function=None)
        return created.configuration_json["hnsw"]["sync_threshold"]
    finally:
        client.close()


@pytest.fixture
def hashing(seeds: Path, tmp_path: Path) -> Assistant:
    return Assistant(seeds=seeds, index=tmp_path / "index", **HASHING)


def test_every_sync_leaves_chromas_log_applied_and_its_threshold_as_it_was(
    hashing: Assistant, seeds: Path, tmp_path: Path
):
    hashing.sync()
    chroma = _chroma(hashing)
    assert unapplied_records(chroma / SQLITE) == {"passages-0": 0}
    write_town_reports(seeds, 3)  # an incremental sync: the copied generation, then writes
    (seeds / "000_bdd157e6eb167cd2.txt").unlink()  # and deletes
    report = hashing.sync()
    assert report.passages_embedded > 0 and report.removed
    chroma = _chroma(hashing)
    assert unapplied_records(chroma / SQLITE) == {"passages-0": 0}
    # Left at one, every later write would write the whole index again.
    assert _sync_thresholds(chroma) == {"passages-0": _default_sync_threshold(tmp_path)}


def test_two_fresh_processes_find_the_same_passages(tmp_path: Path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    write_town_reports(seeds, 90)  # past Chroma's first write of its files, and a tail
    report = Assistant(seeds=seeds, index=tmp_path / "index", **HASHING).sync()
    assert report.passages > 1100
    live = live_generation(tmp_path / "index")
    assert unapplied_records(live / "chroma" / SQLITE) == {"passages-0": 0}
    command = [sys.executable, "-c", _SEARCH, str(live), json.dumps(QUESTIONS)]
    found = [
        subprocess.run(command, capture_output=True, text=True, env=hashing_env(), check=True)
        for _ in range(2)
    ]
    first, second = (json.loads(run.stdout) for run in found)
    assert all(len(hits) == 10 for hits in first)
    assert first == second
