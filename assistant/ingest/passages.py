"""Sentence-aware passages: whole sentences packed to a target length, with character offsets."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache, partial

from assistant.ingest.articles import Article
from assistant.parallel import map_in_processes

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_SPACES = re.compile(r"\s*")
# pysbd builds a regex for each abbreviation it meets; German text meets hundreds, which
# overflows Python's 512-entry pattern cache and recompiles them for every paragraph
# (a third of splitting time). Python 3.11 reads this limit at each compile, so it is
# raised only while splitting (`_larger_regex_cache`), not for the whole process.
_REGEX_CACHE_WHILE_SPLITTING = 4096
_MAX_SENTENCE_CHARS = 1000  # longer "sentences" (lists, run-ons, no punctuation) are cut
_MAX_WINDOW_CHARS = 2_000  # pysbd takes quadratic time in its input; a longer paragraph is cut
# A text is segmented in blocks of whole paragraphs (a longer paragraph cut after a full
# stop), each on a core of its own; no news article is that long.
_BLOCK_CHARS = 100_000
# pysbd knows these; other languages fall back to English rules.
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
    white space left out. A long text is split in blocks of about `_BLOCK_CHARS`, on
    every core.
    """
    language = language if language in _SEGMENTER_LANGUAGES else "en"
    _segmenter(language)  # loaded before any worker is forked, which then shares it
    jobs = [(text[start:end], start, language, spans) for start, end, spans in _blocks(text)]
    found = map_in_processes(_segmented_block, jobs, min_items=2)
    return [sentence for block in found for sentence in block]


def _blocks(text: str) -> list[tuple[int, int, list[tuple[int, int, int]]]]:
    """The text's paragraphs, (index, start, end), in blocks of at most `_BLOCK_CHARS`
    characters, each (start, end, paragraphs); a longer paragraph is cut after a full stop,
    its pieces keeping its index."""
    blocks: list[tuple[int, int, list[tuple[int, int, int]]]] = []
    pieces = [
        (index, piece_start, piece_end)
        for index, (start, end) in enumerate(_paragraph_spans(text))
        for piece_start, piece_end in _pieces(text, start, end, _BLOCK_CHARS, _after_full_stop)
    ]
    for index, start, end in pieces:
        if blocks and end - blocks[-1][0] <= _BLOCK_CHARS:
            block_start, _, spans = blocks[-1]
            blocks[-1] = (block_start, end, [*spans, (index, start, end)])
        else:
            blocks.append((start, end, [(index, start, end)]))
    return blocks


def _segmented_block(job: tuple[str, int, str, list[tuple[int, int, int]]]) -> list[Sentence]:
    """The sentences of one block's paragraphs (`job`: the block's text, where it starts in
    the article, its language and its paragraphs), with article offsets."""
    block, shift, language, paragraphs = job
    segmenter = _segmenter(language)
    sentences = []
    with _larger_regex_cache():
        for index, start, end in paragraphs:
            for span_start, span_end in _paragraph_sentences(
                block, start - shift, end - shift, segmenter
            ):
                # A "sentence" without any full stop is cut at spaces, so each stays quotable.
                for piece in _pieces(block, span_start, span_end, _MAX_SENTENCE_CHARS):
                    piece_start, piece_end = _strip_span(block, *piece)
                    if piece_start < piece_end:
                        sentences.append(Sentence(shift + piece_start, shift + piece_end, index))
    return sentences


@contextmanager
def _larger_regex_cache() -> Iterator[None]:
    before = re._MAXCACHE
    re._MAXCACHE = max(before, _REGEX_CACHE_WHILE_SPLITTING)
    try:
        yield
    finally:
        re._MAXCACHE = before


def _paragraph_sentences(text: str, start: int, end: int, segmenter) -> Iterator[tuple[int, int]]:
    """The sentences pysbd finds in `text[start:end]` (offsets into `text`, white space
    stripped). A paragraph longer than `_MAX_WINDOW_CHARS` (a whole file on one line) is
    segmented window by window, since pysbd's time grows with the square of its input;
    each window but the last gives up its last sentence, which may run past its edge, to
    the next window, which starts with it."""
    while start < end:
        window_end = (
            end if end - start <= _MAX_WINDOW_CHARS else _cut(text, start, _MAX_WINDOW_CHARS)
        )
        window = text[start:window_end]
        spans = _sentence_spans(window, segmenter.processor(window).process())
        following = window_end
        if window_end < end and len(spans) > 1 and spans[-1][0] > 0:
            following = start + spans.pop()[0]
        for span_start, span_end in spans:
            stripped_start, stripped_end = _strip_span(window, span_start, span_end)
            yield start + stripped_start, start + stripped_end
        start = following


def _sentence_spans(text: str, sentences: list[str]) -> list[tuple[int, int]]:
    """Where pysbd's sentences stand in `text`, each with the white space after it, as
    pysbd's `segment(..., char_span=True)` finds them; sentences it cannot find are left
    out, as pysbd leaves them out."""
    spans, prior = [], 0
    for sentence in sentences:
        span = _span_after(text, sentence, prior)
        if span is not None:
            spans.append(span)
            prior = span[1]
    return spans


def _span_after(text: str, sentence: str, prior: int) -> tuple[int, int] | None:
    """The first of `sentence`'s non-overlapping matches (with the white space after it),
    scanning `text` from its start, that ends after `prior`: pysbd's rule.

    pysbd compiles a regex for every sentence and scans from the start of the text each
    time, which is quadratic in the text's length. Here the sentence is looked for just
    before `prior` instead (which ends a stretch of white space, so a match ending after it
    starts less than a sentence's length before it). That gives pysbd's match unless an
    earlier copy of the sentence overlaps the one found ("ha ha" in "ha ha ha"): then
    pysbd's own scan decides.
    """
    length = len(sentence)
    if length and not _SPACES.match(sentence).end():
        low = max(0, prior - length + 1)
        start = text.find(sentence, low)
        if start == -1:
            return None
        if text.find(sentence, max(0, start - length + 1), low + length - 1) == -1:
            return start, _SPACES.match(text, start + length).end()
    for match in re.finditer(re.escape(sentence) + r"\s*", text):
        if match.end() > prior:
            return match.span()
    return None


def _pieces(
    text: str, start: int, end: int, limit: int, cut: Callable[[str, int, int], int] | None = None
) -> list[tuple[int, int]]:
    """`text[start:end]` cut into spans of at most `limit` characters, where `cut` says
    (by default at white space where there is some)."""
    cut = cut or _cut
    pieces = []
    while end - start > limit:
        at = cut(text, start, limit)
        pieces.append((start, at))
        start = at
    pieces.append((start, end))
    return pieces


def _cut(text: str, start: int, limit: int) -> int:
    """Where to end a piece of at most `limit` characters from `start`: at its last space
    in the second half, else at the limit."""
    at = text.rfind(" ", start + limit // 2, start + limit)
    return at if at > start else start + limit


def _after_full_stop(text: str, start: int, limit: int) -> int:
    """As `_cut`, but after the last full stop and space in the second half if there is one:
    most likely a sentence's end."""
    at = text.rfind(". ", start + limit // 2, start + limit - 1)
    return at + 2 if at > start else _cut(text, start, limit)


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
    return map_in_processes(split, articles, chars=sum(len(a.text) for a in articles))


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


def article_of(passage_id: str) -> str:
    """The id of the article a passage id belongs to (ids are "<article id>#<digest>")."""
    return passage_id.rpartition("#")[0]


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
