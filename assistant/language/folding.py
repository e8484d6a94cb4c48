"""One spelling for a name's variants across languages and transliterations."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from assistant.language.lexicon import common_words


@lru_cache(maxsize=1)
def _undecomposed() -> dict[int, str]:
    """Letters Unicode does not decompose into a base letter and an accent (common.toml)."""
    return str.maketrans(common_words().tables["folding.letters"])


@lru_cache(maxsize=65536)
def fold(word: str) -> str:
    """One spelling for the variants of a name across languages and transliterations: the
    spellings of one sound (common.toml: Peskow/Peskov, Selenskyj/Zelensky, Poutine/Putin)
    made one."""
    text = unicodedata.normalize("NFKD", word.lower().translate(_undecomposed()))
    text = "".join(c for c in text if c.isalpha() and not unicodedata.combining(c))
    text = re.sub(r"(?<=[a-z])(s|'s|\u2019s)$", "", text) if len(text) > 5 else text
    for before, after in common_words().tables["folding.spellings"].items():
        text = text.replace(before, after)
    text = re.sub(r"(.)\1+", r"\1", text)  # doubled letters: Zelenskyy, Guterres
    return text.rstrip("aeiouy") or text
