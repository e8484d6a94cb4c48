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
        asked = sorted(store.ids())[::3]
        reader = store._records
        assert reader is not None and set(reader.get(asked)) == set(asked)
        beside = store.get(asked)
        store._records = None
        assert beside == store.get(asked)
        store._records = reader
    finally:
        store.close()


def test_an_id_the_file_does_not_hold_sends_the_read_to_chroma(built: Assistant):
    """Ids come from the index's own searches: one SQLite lacks means a layout this reader
    does not know, and Chroma's answer is the one to trust."""
    store = PassageStore(live_generation(built.settings.index))
    try:
        ids = sorted(store.ids())[:2]
        assert store._records is not None
        assert store._records.get([*ids, "no-such-passage"]) is None
        assert set(store.get([*ids, "no-such-passage"])) == set(ids)
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
