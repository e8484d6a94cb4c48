"""Passages read from Chroma's SQLite file are the passages Chroma's `get` returns."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from assistant.index.chroma_records import ChromaRecords
from assistant.index.generations import live_generation
from assistant.index.store import PassageStore
from assistant.surfaces.api import Assistant


def test_passages_read_beside_chroma_are_chromas(built: Assistant):
    store = PassageStore(live_generation(built.settings.index))
    try:
        ids = sorted(store.ids())
        asked = [*ids[::3], "no-such-passage"]
        assert store._records is not None
        beside = store.get(asked)
        reader, store._records = store._records, None
        assert beside == store.get(asked)
        assert set(beside) == set(ids[::3])
        store._records = reader
    finally:
        store.close()


def test_a_store_whose_log_chroma_has_not_applied_is_read_through_chroma(
    built: Assistant, tmp_path: Path
):
    chroma = live_generation(built.settings.index) / "chroma"
    copy = tmp_path / "chroma.sqlite3"
    shutil.copy(chroma / "chroma.sqlite3", copy)
    assert ChromaRecords.open(copy, "passages-0", ["language"]) is not None
    with sqlite3.connect(copy) as connection:
        connection.execute("UPDATE max_seq_id SET seq_id = 0")
        collection = connection.execute("SELECT id FROM collections").fetchone()[0]
        connection.execute(
            "INSERT INTO embeddings_queue (seq_id, operation, topic, id, encoding) "
            "VALUES (10000000, 0, ?, 'late', 'FLOAT32')",
            (f"persistent://default/default/{collection}",),
        )
    assert ChromaRecords.open(copy, "passages-0", ["language"]) is None
    assert ChromaRecords.open(tmp_path / "missing.sqlite3", "passages-0", ["language"]) is None
