"""Which language a text is in."""

from __future__ import annotations

_LANGUAGE_SAMPLE_CHARS = 3000


def detect_language(text: str) -> str:
    """ISO 639-1 code of the text's language (best guess; short texts are hard)."""
    import py3langid

    language, _ = py3langid.classify(text[:_LANGUAGE_SAMPLE_CHARS])
    return language
