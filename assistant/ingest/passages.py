"""Sentence-aware passages: whole sentences packed to a target length, with character offsets."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache, partial

from assistant.ingest.articles import Article
from assistant.parallel import map_in_processes

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
# pysbd builds a regex for each abbreviation it meets; German text meets hundreds, which
# overflows Python's 512-entry pattern cache and recompiles them for every paragraph
# (a third of splitting time). Python 3.11 reads this limit at each compile, so it is
# raised only while splitting (`_larger_regex_cache`), not for the whole process.
_REGEX_CACHE_WHILE_SPLITTING = 4096
# pysbd knows these; other languages fall back to English rules.
_MAX_SENTENCE_CHARS = 1000  # longer "sentences" (lists, run-ons, no punctuation) are cut
_MAX_WINDOW_CHARS = 20_000  # pysbd slows down on very long paragraphs; it sees windows
_SEGMENTER_LANGUAGES = {"en", "de", "fr", "es", "it", "nl", "da", "pl", "ru", "el", "ja", "zh"}


@dataclass(frozen=True)
class Sentence:
    start: int  # offset into Article.text, inclusive
    end: int  # exclusive
    paragraph: int


@dataclass(frozen=True)
class Passage:
    """A run of whole sentences of one article. `article.text[start:end] == text` holds."""

    id: str
    article_id: str
    start: int
    end: int
    text: str
    sentences: tuple[tuple[int, int], ...]  # (start, end) of each sentence, article offsets

    def excerpt(self, start: int, end: int) -> str:
        """The text between two article offsets inside the passage (a sentence, say)."""
        return self.text[start - self.start : end - self.start]


def split_sentences(text: str, language: str) -> list[Sentence]:
    """Split `text` into sentences, never across paragraphs (blank lines).

    Offsets are 0-based character positions into `text`, end exclusive, with surrounding
    white space left out.
    """
    segmenter = _segmenter(language if language in _SEGMENTER_LANGUAGES else "en")
    with _larger_regex_cache():
        return _segmented(text, segmenter)


@contextmanager
def _larger_regex_cache() -> Iterator[None]:
    before = re._MAXCACHE
    re._MAXCACHE = max(before, _REGEX_CACHE_WHILE_SPLITTING)
    try:
        yield
    finally:
        re._MAXCACHE = before


def _segmented(text: str, segmenter) -> list[Sentence]:
    sentences = []
    for paragraph_index, (para_start, para_end) in enumerate(_paragraph_spans(text)):
        # A "paragraph" of a whole file (one huge line) is segmented in windows, and a
        # "sentence" without any full stop is cut at spaces, so each stays quotable.
        for window_start, window_end in _pieces(text, para_start, para_end, _MAX_WINDOW_CHARS):
            window = text[window_start:window_end]
            for span in segmenter.segment(window):
                start, end = _strip_span(window, span.start, span.end)
                for piece in _pieces(window, start, end, _MAX_SENTENCE_CHARS):
                    piece_start, piece_end = _strip_span(window, *piece)
                    if piece_start < piece_end:
                        sentences.append(
                            Sentence(
                                window_start + piece_start, window_start + piece_end,
                                paragraph_index,
                            )
                        )  # fmt: skip
    return sentences


def _pieces(text: str, start: int, end: int, limit: int) -> list[tuple[int, int]]:
    """`text[start:end]` cut into spans of at most `limit` characters, at white space
    where there is some."""
    pieces = []
    while end - start > limit:
        cut = text.rfind(" ", start + limit // 2, start + limit)
        cut = cut if cut > start else start + limit
        pieces.append((start, cut))
        start = cut
    pieces.append((start, end))
    return pieces


def split_passages(article: Article, target_chars: int = 500, overlap: int = 1) -> list[Passage]:
    """Pack the article's sentences into passages of about `target_chars` characters.

    A passage ends early at a paragraph break once it is half full, so passages follow the
    article's structure; neighbouring passages of one paragraph share `overlap` sentences
    so that a fact spanning a boundary is whole in at least one passage.
    """
    groups: list[list[Sentence]] = []
    current: list[Sentence] = []
    for sentence in split_sentences(article.text, article.language):
        if current and _should_close(current, sentence, target_chars):
            groups.append(current)
            current = _carried_over(current, sentence, overlap, target_chars)
        current.append(sentence)
    if current:
        groups.append(current)
    return _to_passages(article, groups)


def split_many(
    articles: list[Article], target_chars: int = 500, overlap: int = 1
) -> list[list[Passage]]:
    """`split_passages` of each article, in order, on every core for large batches.

    Sentence splitting costs ~1.5 ms a passage in pure Python, the biggest cost of indexing
    thousands of articles after the model.
    """
    split = partial(split_passages, target_chars=target_chars, overlap=overlap)
    return map_in_processes(split, articles)


def _should_close(current: list[Sentence], sentence: Sentence, target_chars: int) -> bool:
    length = sentence.end - current[0].start
    new_paragraph = sentence.paragraph != current[-1].paragraph
    current_length = current[-1].end - current[0].start
    return length > target_chars or (new_paragraph and current_length >= target_chars // 2)


def _carried_over(
    current: list[Sentence], sentence: Sentence, overlap: int, target_chars: int
) -> list[Sentence]:
    if overlap == 0:
        return []
    tail = [s for s in current[-overlap:] if s.paragraph == sentence.paragraph]
    if tail and sentence.end - tail[0].start > target_chars:
        return []
    return tail


def _to_passages(article: Article, groups: list[list[Sentence]]) -> list[Passage]:
    passages = []
    seen: Counter[str] = Counter()
    for group in groups:
        start, end = group[0].start, group[-1].end
        text = article.text[start:end]
        # ids come from content (passages are embedded with their article's title), so an
        # edit elsewhere in the article keeps this passage's id and embedding; the counter
        # separates repeated identical passages.
        digest = hashlib.sha1(f"{article.title}\n{text}".encode()).hexdigest()[:16]
        passage_id = f"{article.id}#{digest}" + (f".{seen[digest]}" if seen[digest] else "")
        seen[digest] += 1
        passages.append(
            Passage(
                id=passage_id,
                article_id=article.id,
                start=start,
                end=end,
                text=text,
                sentences=tuple((s.start, s.end) for s in group),
            )
        )
    return passages


def _paragraph_spans(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for match in _PARAGRAPH_BREAK.finditer(text):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    return [(s, e) for s, e in spans if text[s:e].strip()]


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


@lru_cache(maxsize=16)
def _segmenter(language: str):
    import pysbd

    return pysbd.Segmenter(language=language, clean=False, char_span=True)
