"""How common a word is in general use: wordfreq's Zipf scale, from prepared word lists.

wordfreq unpacks a language's whole list into a dict on first use (English's 321k words:
28 MiB and a quarter of a second; German's 634k: 55 MiB) to look up a question's few
words. Each list is prepared once (`assistant.prepared`) as its words, sorted, in one
UTF-8 blob with their offsets and frequency bands, and a word is found by bisection.
`zipf_frequency` computes wordfreq's own value from them (its tokenization, number
smashing, combination and rounding, `wordfreq._word_frequency`); preparing a list checks
that against wordfreq on a sample of words, and a list that cannot be prepared is looked
up by wordfreq itself. A plain word (Latin letters only, in a language wordfreq only
normalizes and case-folds) is its own case-folded token, so looking it up needs no
wordfreq at all: importing it costs a tenth of a second, which a question's first answer
would pay.
"""

from __future__ import annotations

import json
import math
import os
import sys
import threading
import unicodedata
from array import array
from functools import lru_cache
from pathlib import Path

import numpy as np

_FORMAT = 2  # of the prepared lists
_CHECK_EVERY = 997  # preparing compares every this-many-th listed word with wordfreq
_NOT_PLAIN = ("remove_marks", "dotless_i", "diacritics_under", "transliteration",
              "lookup_transliteration")  # fmt: skip
_CHECK_WORDS = ("test", "2025", "G7", "COP29", "1,234.5", "don't", "l'ONU", "Waffenruhe",
                "zzqxj", "naïve", "\uff21\uff22\uff23", "e\u0301", "")  # fmt: skip
_lock = threading.Lock()  # the page answers on several threads: load each list once
_import_lock = threading.Lock()


@lru_cache(maxsize=50_000)
def zipf_frequency(word: str, language: str) -> float:
    """wordfreq's `zipf_frequency(word, language)`: 8 for the commonest words, 0 for
    unseen ones. `language` must be one wordfreq has a list for."""
    bands = _bands(language)
    if bands is not None and bands.plain and _is_plain(word):
        return _plain_zipf(bands.get(word.casefold()))
    wordfreq = wordfreq_module()
    if bands is None:
        return wordfreq.zipf_frequency(word, language)
    return round(wordfreq.freq_to_zipf(_frequency(word, language, bands)), 2)


@lru_cache(maxsize=64)
def listed_language(language: str) -> str:
    """`language` if wordfreq can weigh its words as installed, else English (Chinese and
    Japanese need segmenters we do not install; some detected languages have no list):
    the language to pass to `zipf_frequency` for words of `language`."""
    if has_prepared_list(language):  # prepared only once found available, below
        return language
    wordfreq = wordfreq_module()
    if language not in wordfreq.available_languages():  # else it guesses a near one: la -> it
        return "en"
    try:
        zipf_frequency("test", language)
    except ImportError:
        return "en"
    return language


def _is_plain(word: str) -> bool:
    """Letters of the Latin blocks only, already in NFC: wordfreq's regex tokenizer keeps
    such a word whole and its preprocessing only case-folds it, for the languages whose
    list is marked plain (checked when the list is prepared)."""
    return (
        word.isalpha()
        and all(letter < "\u0250" for letter in word)
        and unicodedata.is_normalized("NFC", word)
    )


def _plain_zipf(band: int | None) -> float:
    """wordfreq's Zipf value of a one-token word in `band` (None: unlisted), with its
    arithmetic: `cB_to_freq`, the 1 / f combination, the rounding, `freq_to_zipf`."""
    if band is None:
        return 0.0  # the minimum frequency, Zipf 0
    frequency = 1.0 / (1.0 / 10 ** (-band / 100))
    unrounded = max(frequency, 10**0.0 / 1e9)
    rounded = round(unrounded, math.floor(-math.log(unrounded, 10)) + 3)
    return round(math.log(rounded, 10) + 9, 2)


class _Bands:
    """One language's words, sorted by their UTF-8 bytes in one blob, and each word's
    frequency band (its frequency is 10 ** (-band / 100), as wordfreq stores it)."""

    def __init__(self, blob: bytes, offsets: array, bands: array, plain: bool) -> None:
        self._blob, self._offsets, self._bands = blob, offsets, bands
        self.plain = plain  # a plain word is its own case-folded token (`_is_plain`)

    def get(self, word: str) -> int | None:
        """The word's band, or None when the list does not hold it."""
        key = word.encode("utf-8", "surrogatepass")
        blob, offsets = self._blob, self._offsets
        low, high = 0, len(self._bands)
        while low < high:
            middle = (low + high) // 2
            if blob[offsets[middle] : offsets[middle + 1]] < key:
                low = middle + 1
            else:
                high = middle
        if low < len(self._bands) and blob[offsets[low] : offsets[low + 1]] == key:
            return self._bands[low]
        return None


def _frequency(word: str, language: str, bands: _Bands) -> float:
    """wordfreq's `_word_frequency(word, language, "best", minimum)` for the minimum that
    `zipf_frequency` passes by default (Zipf 0), with the list's lookups made in `bands`."""
    wordfreq = wordfreq_module()
    minimum = wordfreq.zipf_to_freq(0.0)
    tokens = wordfreq.lossy_tokenize(word, language)
    if not tokens:
        return minimum
    # Several tokens combine as 1 / f = 1 / f1 + 1 / f2 + ...; one unlisted token makes
    # the word unseen.
    one_over = 0.0
    for token in tokens:
        smashed = wordfreq.smash_numbers(token)
        band = bands.get(smashed)
        if band is None:
            return minimum
        frequency = wordfreq.cB_to_freq(-band)
        if smashed != token:
            frequency *= wordfreq.digit_freq(token)
        one_over += 1.0 / frequency
    frequency = 1.0 / one_over
    if wordfreq.get_language_info(language)["tokenizer"] == "jieba":
        frequency *= wordfreq.INFERRED_SPACE_FACTOR ** -(len(tokens) - 1)
    unrounded = max(frequency, minimum)
    if unrounded == 0.0:
        return 0.0
    return round(unrounded, math.floor(-math.log(unrounded, 10)) + 3)


def _bands(language: str) -> _Bands | None:
    with _lock:
        return _load_bands(language)


@lru_cache(maxsize=16)
def _load_bands(language: str) -> _Bands | None:
    from assistant.prepared import load_prepared

    folder, stamp = _prepared_list(language)
    return load_prepared(folder, stamp, lambda into: _prepare(language, into), _read)


def has_prepared_list(language: str) -> bool:
    """Whether the language's list is prepared already (so wordfreq has one for it)."""
    from assistant.prepared import is_prepared

    return is_prepared(*_prepared_list(language))


def _prepared_list(language: str) -> tuple[Path, str]:
    """The folder of the language's prepared list and the stamp it must carry."""
    from importlib.metadata import version

    from assistant.prepared import cache_root

    return cache_root() / "wordfreq" / language, f"{version('wordfreq')}/{_FORMAT}"


def _prepare(language: str, folder: Path) -> None:
    """Write the language's list as wordfreq reads it (a word listed twice keeps its last
    band, as in `get_frequency_dict`), then check it against wordfreq.

    Raises:
        ValueError: a word's Zipf frequency from the prepared list differs from wordfreq's.
    """
    wordfreq = wordfreq_module()
    band_of: dict[bytes, int] = {}
    for band, words in enumerate(wordfreq.get_frequency_list(language)):
        for word in words:
            band_of[word.encode("utf-8", "surrogatepass")] = band
    ordered = sorted(band_of)
    offsets = np.cumsum([0, *map(len, ordered)], dtype=np.int64)
    (folder / "words.bin").write_bytes(b"".join(ordered))
    np.save(folder / "offsets.npy", offsets.astype(np.uint32))
    np.save(folder / "bands.npy", np.array([band_of[w] for w in ordered], dtype=np.uint16))
    info = wordfreq.get_language_info(language)
    plain = (
        info["tokenizer"] == "regex"
        and info["normal_form"] == "NFC"
        and not any(info[key] for key in _NOT_PLAIN)
    )
    (folder / "plain.json").write_text(json.dumps(plain))
    bands = _read(folder)
    sample = [w.decode("utf-8", "surrogatepass") for w in ordered[::_CHECK_EVERY]]
    for word in [*sample, *(w.title() for w in sample), *_CHECK_WORDS]:
        expected = wordfreq.zipf_frequency(word, language)
        if round(wordfreq.freq_to_zipf(_frequency(word, language, bands)), 2) != expected:
            raise ValueError(f"prepared frequency of {word!r} differs from wordfreq's")
        if plain and _is_plain(word) and _plain_zipf(bands.get(word.casefold())) != expected:
            raise ValueError(f"{word!r} is not its own token in wordfreq's {language!r}")


def _read(folder: Path) -> _Bands:
    from assistant.prepared import load_npy

    offsets = array("I", load_npy(folder / "offsets.npy").astype(np.uint32).tobytes())
    bands = array("H", load_npy(folder / "bands.npy").astype(np.uint16).tobytes())
    blob = (folder / "words.bin").read_bytes()
    plain = json.loads((folder / "plain.json").read_text())
    if len(offsets) != len(bands) + 1 or offsets[-1] != len(blob) or not isinstance(plain, bool):
        raise ValueError("the prepared word list is incomplete")
    return _Bands(blob, offsets, bands, plain)


@lru_cache(maxsize=1)
def wordfreq_module():
    """The `wordfreq` module, imported without its walk of the call stack.

    On import it finds its data folder with `locate.this_dir()`, which calls
    `inspect.stack()`: that reads the source of every frame on the stack and searches
    `sys.modules` for each (0.1-0.6 s, more the deeper the question's stack). The folder is
    the directory of the module that asks, which the calling frame alone tells.
    """
    try:
        import locate
    except ImportError:  # a wordfreq that finds its data otherwise
        import wordfreq

        return wordfreq

    def this_dir() -> Path:
        return Path(os.path.abspath(sys._getframe(1).f_globals["__file__"])).parent

    with _import_lock:  # restore what is replaced, whichever thread imports
        walking = locate.this_dir
        locate.this_dir = this_dir
        try:
            import wordfreq
        finally:
            locate.this_dir = walking
    return wordfreq
