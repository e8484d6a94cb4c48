"""Passages: whole sentences, exact offsets, ids that survive unrelated edits."""

from __future__ import annotations

import dataclasses
import itertools
import resource
import time
from pathlib import Path

import pytest

from assistant.ingest import passages
from assistant.ingest.articles import read_article
from assistant.ingest.passages import split_passages
from assistant.speech.statements import article_speech

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


@pytest.mark.parametrize(
    "text",
    [
        "Ha ha ha. Ha ha ha. Ha ha. Ha ha ha ha.",
        '"Yes." "Yes." "Yes," she said. "Yes."',
        "The ferry runs. The ferry runs.  The ferry runs.\nThe ferry runs.",
        "Dr. Meyer said so. Mr. Lee agreed at 5 p.m. on Friday. He left.",
        "  Leading space. a. a. a. Trailing space.   ",
    ],
)
def test_sentence_offsets_are_where_pysbd_finds_them(text: str):
    """Sentences are looked for just before where the last one ended, not with a new regex
    from the start of the text each time (quadratic); the offsets must be pysbd's own."""
    segmenter = passages._segmenter("en")
    expected = [(span.start, span.end) for span in segmenter.segment(text)]
    assert passages._sentence_spans(text, segmenter.processor(text).process()) == expected


SPEAKERS = ["Amara Lindqvist", "Jonas Okafor", "Vera Castellano", "Dmitri Halvorsen"]
SAYINGS = [
    "{name} said the new ferry line would open in May.",
    '"We will not wait any longer," {surname} told reporters in Ostwick.',
    "According to {name}, the harbour cost 40 million euros.",
    "The council met on Tuesday to discuss the tunnel.",
]


def _long_line(sentences: int) -> str:
    """Our own sentences, with names and reported speech, on one line."""
    pieces = []
    for i in range(sentences):
        name = SPEAKERS[i % len(SPEAKERS)]
        saying = SAYINGS[(i // len(SPEAKERS)) % len(SAYINGS)]
        pieces.append(saying.format(name=name, surname=name.split()[-1]))
    return " ".join(pieces)


def test_a_paragraph_longer_than_a_window_is_split_as_pysbd_splits_it_whole():
    text = _long_line(200)
    assert len(text) > 5 * passages._MAX_WINDOW_CHARS
    segmenter = passages._segmenter("en")
    whole = [passages._strip_span(text, s.start, s.end) for s in segmenter.segment(text)]
    assert [(s.start, s.end) for s in passages.split_sentences(text, "en")] == whole


@pytest.mark.slow
def test_a_megabyte_on_one_line_is_split_and_read_in_linear_time(tmp_path: Path):
    """Probe finding: a 5 MB article on one line held the index for hours: finding names
    copied the rest of the text at every word, and the sentence splitter rescanned it."""
    (tmp_path / "long.txt").write_text("Hafen\n" + _long_line(14_000), encoding="utf-8")  # 1 MB
    article = read_article(tmp_path / "long.txt", "long.txt")
    started = _cpu_seconds()
    split = split_passages(article)
    sentences = sorted({span for p in split for span in p.sentences})
    speech = article_speech(article.text, article.language, sentences, article.title)
    seconds = _cpu_seconds() - started
    assert len(speech.statements) > 5000
    assert seconds < 30, f"{seconds:.0f} s of CPU time for 1 MB (about 7 s expected)"


def _cpu_seconds() -> float:
    """CPU time of this process and its finished workers: unlike the clock, it does not
    grow when other work shares the machine."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime
