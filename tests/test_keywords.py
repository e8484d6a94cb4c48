"""The keyword index is saved with each generation, kept in step with the passages by every
sync, and scores exactly as one built from the stored passages would."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np

from assistant.index.keywords import (
    FOLDER,
    KeywordIndex,
    TokenizedPassages,
    load_keywords,
    open_keywords,
    saved_passages,
)
from assistant.surfaces.api import Assistant

QUESTIONS = [
    ("Was sagte Rubio über Russland?", "de"),
    ("Wann wurde die Hafenbrücke gesperrt?", "de"),
    ("What did Rubio say about Russia?", "en"),
]


def _built_from_store(assistant: Assistant) -> KeywordIndex:
    store = assistant.retriever().store
    return KeywordIndex.build(
        TokenizedPassages.of((p.id, lang, p.text) for p, lang in store.all_passages())
    )


def _assert_saved_matches_store(assistant: Assistant) -> KeywordIndex:
    store = assistant.retriever().store
    saved = load_keywords(store.folder, store.count())
    assert saved is not None, "the sync saved no keyword index that fits the generation"
    assert set(saved.ids) == store.ids()
    fresh = _built_from_store(assistant)
    for question, language in QUESTIONS:
        mine = dict(zip(saved.ids, saved.scores(question, language), strict=True))
        theirs = dict(zip(fresh.ids, fresh.scores(question, language), strict=True))
        assert mine.keys() == theirs.keys()
        assert np.allclose([mine[k] for k in theirs], list(theirs.values()), atol=1e-5)
    return saved


def test_sync_saves_a_keyword_index_that_scores_like_one_built_from_the_store(built: Assistant):
    saved = _assert_saved_matches_store(built)
    assert saved.scores("Was sagte Rubio über Russland?", "de").max() > 0


def test_edits_and_removals_keep_the_saved_index_in_step(built: Assistant, seeds: Path):
    (seeds / "hafen.txt").write_text(
        "Hafenbrücke gesperrt\n\nDie Hafenbrücke wurde am Montag wegen Rissen gesperrt. "
        "Der Zuckerrübenfrachter musste warten.",
        encoding="utf-8",
    )
    built.sync()
    saved = _assert_saved_matches_store(built)
    assert saved.scores("Zuckerrübenfrachter", "de").max() > 0

    (seeds / "hafen.txt").write_text(
        "Hafenbrücke gesperrt\n\nDie Hafenbrücke bleibt bis Freitag gesperrt.", encoding="utf-8"
    )
    built.sync()
    saved = _assert_saved_matches_store(built)
    assert saved.scores("Zuckerrübenfrachter", "de").max() == 0  # the edited-out word

    (seeds / "hafen.txt").unlink()
    built.sync()
    _assert_saved_matches_store(built)
    tokens = saved_passages(built.retriever().store.folder)
    assert tokens is not None and not any("hafenbruck" in w for w in tokens.vocabulary)


def test_a_missing_keyword_index_is_rebuilt_in_memory_and_by_the_next_sync(
    built: Assistant, seeds: Path
):
    folder = built.retriever().store.folder
    shutil.rmtree(folder / FOLDER)
    keywords = open_keywords(built.retriever().store)
    assert keywords.scores("Was sagte Rubio über Russland?", "de").max() > 0

    (seeds / "kurz.txt").write_text("Kurzmeldung\n\nDer Hafen öffnet wieder.", encoding="utf-8")
    built.sync()
    _assert_saved_matches_store(built)


def test_a_passage_whose_language_changed_is_tokenized_again():
    before = TokenizedPassages.of([("a", "de", "Die Häfen"), ("b", "en", "the harbours")])
    after = before.updated({"a", "b"}, [("a", "en", "Die Häfen")])
    languages = dict(zip(after.ids, after.languages, strict=True))
    assert languages == {"a": "en", "b": "en"}
    tokens = dict(zip(after.ids, after.tokens, strict=True))
    words = {pid: [after.vocabulary[i] for i in t] for pid, t in tokens.items()}
    assert words["a"] == ["die", "häfen"]  # English rules: no German stop words or stems
    assert words["b"] == ["harbour"]


def test_compacting_keeps_each_passage_s_words_and_drops_unused_ones():
    passages = TokenizedPassages.of(
        [("a", "en", "harbour bridge closed"), ("b", "en", "ferry harbour"), ("c", "en", "storm")]
    )
    assert passages.compacted() is passages  # every word used: nothing to renumber

    def words(tokenized: TokenizedPassages) -> dict[str, list[str]]:
        return {
            pid: [tokenized.vocabulary[i] for i in tokens]
            for pid, tokens in zip(tokenized.ids, tokenized.tokens, strict=True)
        }

    kept = passages.only({"a", "c"})
    compact = kept.compacted()
    assert words(compact) == words(kept)
    assert sorted(compact.vocabulary) == sorted({w for ws in words(kept).values() for w in ws})
    assert "ferri" not in compact.vocabulary and "ferry" not in compact.vocabulary
    assert all(t.dtype == np.int32 for t in compact.tokens)
