"""Sentence-aware passages: whole sentences packed to a target length, with character offsets."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from assistant.articles import Article

_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
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


def split_sentences(text: str, language: str) -> list[Sentence]:
    """Split `text` into sentences, never across paragraphs (blank lines).

    Offsets are 0-based character positions into `text`, end exclusive, with surrounding
    white space left out.
    """
    segmenter = _segmenter(language if language in _SEGMENTER_LANGUAGES else "en")
    sentences = []
    for paragraph_index, (para_start, para_end) in enumerate(_paragraph_spans(text)):
        paragraph = text[para_start:para_end]
        for span in segmenter.segment(paragraph):
            start, end = _strip_span(paragraph, span.start, span.end)
            if start < end:
                sentences.append(Sentence(para_start + start, para_start + end, paragraph_index))
    return sentences


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
