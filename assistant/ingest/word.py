"""The paragraphs of a Word (.docx) file (python-docx), and its title and author."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from assistant.errors import ArticleError
from assistant.ingest.pdf import DocumentText

# Paragraph styles that name the document rather than belong to its text.
_TITLE_STYLES = ("Title",)


def read_docx(path: Path, raw: bytes) -> DocumentText:
    """The non-empty paragraphs of the .docx file `raw`; the title from the document's
    properties, else from its first paragraph styled "Title" (left out of the text).

    Raises:
        ArticleError: not a readable .docx file.
    """
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from lxml.etree import LxmlError

    try:
        document = docx.Document(io.BytesIO(raw))
        properties = document.core_properties
        paragraphs = [(p.style.name if p.style else "", p.text) for p in document.paragraphs]
    except (zipfile.BadZipFile, PackageNotFoundError, LxmlError, KeyError, ValueError) as err:
        raise ArticleError(
            path, f"is not a readable .docx file ({err.__class__.__name__})"
        ) from err
    title = (properties.title or "").strip() or None
    parts = []
    for style, text in paragraphs:
        if not text.strip():
            continue
        if title is None and style in _TITLE_STYLES:
            title = text.strip()
            continue
        parts.append(text)
    return DocumentText(parts=parts, title=title, author=(properties.author or "").strip() or None)
