"""Passages: whole sentences, exact offsets, ids that survive unrelated edits."""

from __future__ import annotations

import dataclasses
import itertools

from assistant.ingest.articles import read_article
from assistant.ingest.passages import split_passages

from .conftest import SEED, xquad_articles


def test_offsets_round_trip_on_the_seed():
    article = read_article(SEED, SEED.name)
    passages = split_passages(article)
    assert len(passages) > 3
    for p in passages:
        assert article.text[p.start : p.end] == p.text
        assert p.sentences[0][0] == p.start and p.sentences[-1][1] == p.end
        for start, end in p.sentences:
            assert article.text[start:end].strip() == article.text[start:end]


def test_passages_cover_every_sentence_and_overlap_by_one(tmp_path):
    data = xquad_articles()[1]
    path = tmp_path / "warsaw.txt"
    path.write_text("Warschau\n" + "\n\n".join(p["context"] for p in data["paragraphs"]))
    article = read_article(path, "warsaw.txt")
    passages = split_passages(article, target_chars=500, overlap=1)
    covered = {s for p in passages for s in p.sentences}
    assert max(end for _, end in covered) == len(article.text)
    shared = [set(a.sentences) & set(b.sentences) for a, b in itertools.pairwise(passages)]
    assert all(len(s) <= 1 for s in shared) and any(shared)


def test_ids_are_stable_when_an_earlier_paragraph_changes():
    article = read_article(SEED, SEED.name)
    edited = dataclasses.replace(article, text="Eine neue Einleitung.\n\n" + article.text)
    before = {p.id: p for p in split_passages(article)}
    after = {p.id: p for p in split_passages(edited)}
    kept = set(before) & set(after)
    assert len(kept) >= len(before) - 1
    shift = len("Eine neue Einleitung.\n\n")
    assert all(after[i].start == before[i].start + shift for i in kept)
