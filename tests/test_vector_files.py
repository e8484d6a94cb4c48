"""Vectors in shard files: written, found again after reopening, compacted."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from assistant.index.vector_files import VectorFiles
from assistant.surfaces.api import Assistant


def _rows(n: int, value: float) -> np.ndarray:
    return np.full((n, 4), value, dtype=np.float32)


def test_rows_survive_reopening_and_compaction_keeps_only_live_passages(tmp_path: Path):
    store = VectorFiles(tmp_path / "sentences")
    store.add(["a", "b"], [_rows(2, 0.5), _rows(3, 0.25)])
    store.add(["c", "a"], [_rows(1, 1.0), _rows(2, -0.5)])  # "a" written again: latest wins
    reopened = VectorFiles(tmp_path / "sentences")
    found = reopened.get(["a", "b", "c", "missing"])
    assert set(found) == {"a", "b", "c"}
    assert found["a"].shape == (2, 4) and float(found["a"][0, 0]) == -0.5
    assert found["b"].dtype == np.float32 and float(found["b"][2, 3]) == 0.25

    reopened.compact({"a", "c"})
    assert len(list((tmp_path / "sentences").glob("*.json"))) == 1
    after = VectorFiles(tmp_path / "sentences")
    assert len(after) == 2
    assert set(after.get(["a", "b", "c"])) == {"a", "c"}
    assert float(after.get(["a"])["a"][1, 0]) == -0.5


def test_rows_read_alike_where_the_system_has_no_preadv(tmp_path: Path, monkeypatch):
    store = VectorFiles(tmp_path / "sentences")
    store.add(["a", "b"], [_rows(2, 0.5), _rows(3, -0.25)])
    with_preadv = VectorFiles(tmp_path / "sentences").get(["a", "b"])
    monkeypatch.delattr(os, "preadv")
    without = VectorFiles(tmp_path / "sentences").get(["a", "b"])
    for pid in ("a", "b"):
        assert np.array_equal(with_preadv[pid], without[pid])
    assert float(without["b"][2, 1]) == -0.25


def test_deleting_articles_eventually_drops_their_vectors(built: Assistant, seeds: Path):
    (seeds / "extra.txt").write_text(
        "Extra\n" + " ".join(f"Satz Nummer {i} über den Hafen." for i in range(60)),
        encoding="utf-8",
    )
    built.sync()
    (seeds / "extra.txt").unlink()
    built.sync()
    store = built.retriever().store
    # The removed article's rows were compacted away, in every file set.
    for files in (*store._sentences, *store._passage_files):
        assert len(files) == store.count()
    passages = [p for p, _ in store.all_passages()]
    for model in range(store.models):
        found = store.sentence_vectors(model, passages)
        assert len(found) == sum(len(p.sentences) for p in passages)
    # The files hold what Chroma holds, to float16 precision.
    ids = [p.id for p in passages]
    kept = built.retriever().store._collection.get(ids=ids, include=["embeddings"])
    from_files = store.vectors(0, ids)
    for pid, vector in zip(kept["ids"], kept["embeddings"], strict=True):
        assert float(from_files[pid] @ vector) > 0.999


def test_use_embeds_each_sentence_on_its_own(built: Assistant):
    store = built.retriever().store
    passages = [p for p, _ in store.all_passages()][:4]
    stored = store.sentence_vectors(1, passages)
    assert len(stored) == sum(len(p.sentences) for p in passages)
    for passage in passages:
        texts = [passage.excerpt(*sentence) for sentence in passage.sentences]
        for ordinal, vector in enumerate(built.embedders[1].embed_passages(texts)):
            assert float(stored[(passage.id, ordinal)] @ vector) > 0.999


def test_rows_read_together_are_the_rows_read_one_by_one(tmp_path: Path):
    rng = np.random.default_rng(0)
    store = VectorFiles(tmp_path / "sentences")
    written = {f"p{i}": rng.normal(size=(1 + i % 4, 4)).astype(np.float32) for i in range(12)}
    names = list(written)
    store.add(names[:7], [written[n] for n in names[:7]])  # two shards
    store.add(names[7:], [written[n] for n in names[7:]])
    asked = ["p9", "missing", "p2", "p11", "p0", "p2"]
    together = VectorFiles(tmp_path / "sentences").get(asked)
    assert list(together) == ["p9", "p2", "p11", "p0"]
    for name, rows in together.items():
        alone = store.get([name])[name]
        assert rows.dtype == np.float32 and np.array_equal(rows, alone)
        assert np.array_equal(rows, written[name].astype(np.float16).astype(np.float32))


def test_a_shard_cut_short_after_opening_is_reported(tmp_path: Path):
    from assistant.errors import IndexDamaged

    store = VectorFiles(tmp_path / "sentences")
    store.add(["a", "b"], [_rows(2, 0.5), _rows(3, 0.25)])
    reopened = VectorFiles(tmp_path / "sentences")
    shard = next((tmp_path / "sentences").glob("*.npy"))
    shard.write_bytes(shard.read_bytes()[:-8])
    assert float(reopened.get(["a"])["a"][1, 0]) == 0.5
    with pytest.raises(IndexDamaged, match="cut short"):
        reopened.get(["b"])
