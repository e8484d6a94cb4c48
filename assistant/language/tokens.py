"""Words of a text in its language: lower-cased, without stop words, stemmed for BM25.

The stop words are bm25s's lists and the stemmers PyStemmer's Snowball ones, by ISO 639-1
code; a language neither knows is tokenized as plain words.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
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
_import_lock = threading.Lock()


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
    name = _STOPWORDS.get(language)
    return frozenset(getattr(bm25s_module().stopwords, name)) if name else frozenset()


@lru_cache(maxsize=1)
def bm25s_module():
    """The `bm25s` module, imported without SciPy, its logger at the application's level.

    bm25s imports `scipy.sparse` when it can, for its optional "scipy" matrix backend; we
    build and read its indexes with its default numpy backend, and importing SciPy cost
    0.1 CPU-s of every process's first question. SciPy stays importable by anyone else.
    """
    with _import_lock:  # no other thread of ours imports bm25s meanwhile
        hidden = "scipy.sparse" not in sys.modules
        if hidden:
            sys.modules["scipy.sparse"] = None  # its import raises ImportError
        try:
            import bm25s
        finally:
            if hidden and sys.modules.get("scipy.sparse", False) is None:
                del sys.modules["scipy.sparse"]
    # bm25s sets its logger to DEBUG on import.
    logging.getLogger("bm25s").setLevel(logging.NOTSET)
    return bm25s
