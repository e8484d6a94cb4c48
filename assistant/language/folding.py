"""One spelling for a name's variants across languages and transliterations."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Spellings of one sound across languages: Peskow/Peskov, Selenskyj/Zelensky, Poutine/Putin.
_SPELLINGS = (
    ("tsch", "ch"), ("sch", "sh"), ("ou", "u"), ("w", "v"), ("j", "y"), ("z", "s"), ("ck", "k"),
    ("ph", "f"),
)  # fmt: skip
# Letters Unicode does not decompose into a base letter and an accent.
_UNDECOMPOSED = str.maketrans(
    {"ø": "o", "æ": "ae", "œ": "oe", "ß": "ss", "ł": "l", "đ": "d", "\u0131": "i"}
)


@lru_cache(maxsize=65536)
def fold(word: str) -> str:
    """One spelling for the variants of a name across languages and transliterations."""
    text = unicodedata.normalize("NFKD", word.lower().translate(_UNDECOMPOSED))
    text = "".join(c for c in text if c.isalpha() and not unicodedata.combining(c))
    text = re.sub(r"(?<=[a-z])(s|'s|\u2019s)$", "", text) if len(text) > 5 else text
    for before, after in _SPELLINGS:
        text = text.replace(before, after)
    text = re.sub(r"(.)\1+", r"\1", text)  # doubled letters: Zelenskyy, Guterres
    return text.rstrip("aeiouy") or text
