"""The text layer of a PDF, page by page (pypdf), and its title and author."""

from __future__ import annotations

import io
import logging
import zlib
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import ArticleError

logger = logging.getLogger(__name__)

# pypdf raises its own errors on most damage, but a malformed object or stream can still
# surface as one of these from deep inside its parser.
_DAMAGE = (ValueError, KeyError, TypeError, IndexError, AttributeError, zlib.error, RecursionError)


@dataclass(frozen=True)
class DocumentText:
    """What a PDF or Word file holds for an article: its text in parts (a PDF's pages,
    one entry per page, empty for a page without text; a Word file's paragraphs) and
    the title and author its properties state."""

    parts: list[str]
    title: str | None
    author: str | None


def read_pdf(path: Path, raw: bytes) -> DocumentText:
    """The text of each page of the PDF `raw`.

    Raises:
        ArticleError: not a readable PDF, encrypted, or without any text layer (scanned).
    """
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(raw))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ArticleError(path, "is an encrypted PDF; save an unprotected copy to index it")
        pages = [page.extract_text() or "" for page in reader.pages]
        metadata = reader.metadata
    except (PyPdfError, *_DAMAGE) as err:
        raise ArticleError(path, f"is not a readable PDF ({err.__class__.__name__})") from err
    if not any(page.strip() for page in pages):
        raise ArticleError(
            path,
            "has no text layer (a scanned PDF?); run it through OCR (e.g. ocrmypdf) first",
        )
    return DocumentText(
        parts=pages,
        title=_property(metadata, "title"),
        author=_property(metadata, "author"),
    )


def _property(metadata, name: str) -> str | None:
    value = getattr(metadata, name, None) if metadata is not None else None
    text = str(value).strip() if value else ""
    return text or None
