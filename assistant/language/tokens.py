"""Words of a text in its language: lower-cased, without stop words, stemmed for BM25.

The stop words are bm25s's lists and the stemmers PyStemmer's Snowball ones, by ISO 639-1
code; a language neither knows is tokenized as plain words.
"""

from __future__ import annotations

import re
from functools import lru_cache

_WORD = re.compile(r"\w+", re.UNICODE)
_STEMMERS = {
    "ar": "arabic", "ca": "catalan", "cs": "czech", "da": "danish", "de": "german",
    "el": "greek", "en": "english", "es": "spanish", "fi": "finnish", "fr": "french",
    "hu": "hungarian", "it": "italian", "nl": "dutch", "no": "norwegian", "pl": "polish",
    "pt": "portuguese", "ro": "romanian", "ru": "russian", "sv": "swedish", "tr": "turkish",
}  # fmt: skip
_STOPWORDS = {
    "da": "STOPWORDS_DANISH", "de": "STOPWORDS_GERMAN", "en": "STOPWORDS_EN",
    "es": "STOPWORDS_SPANISH", "fr": "STOPWORDS_FRENCH", "it": "STOPWORDS_ITALIAN",
    "nl": "STOPWORDS_DUTCH", "no": "STOPWORDS_NORWEGIAN", "pt": "STOPWORDS_PORTUGUESE",
    "ru": "STOPWORDS_RUSSIAN", "sv": "STOPWORDS_SWEDISH", "tr": "STOPWORDS_TURKISH",
}  # fmt: skip


def tokenize(text: str, language: str) -> list[str]:
    """Lower-cased, stop words removed, stemmed with the language's Snowball stemmer."""
    common = stopwords(language)
    words = [w for w in _WORD.findall(text.lower()) if w not in common]
    stemmer = _stemmer(language)
    return stemmer.stemWords(words) if stemmer else words


def content_words(text: str, language: str) -> set[str]:
    """Lower-cased words of three letters or more, and numbers, minus stop words (unstemmed:
    names and numbers then match across languages)."""
    common = stopwords(language)
    return {
        w for w in _WORD.findall(text.lower()) if (len(w) >= 3 or w.isdigit()) and w not in common
    }


@lru_cache(maxsize=32)
def _stemmer(language: str):
    import Stemmer

    name = _STEMMERS.get(language)
    return Stemmer.Stemmer(name) if name else None


@lru_cache(maxsize=32)
def stopwords(language: str) -> frozenset[str]:
    import bm25s.stopwords

    name = _STOPWORDS.get(language)
    return frozenset(getattr(bm25s.stopwords, name)) if name else frozenset()
