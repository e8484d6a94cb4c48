"""Saving uploaded article files into the seeds folder, under names the server chooses.

An upload's own name is only a hint: the saved name keeps its letters, digits and a few
safe marks, never a directory part, and never replaces an existing article. Content is
checked (readable as an article, not a copy of an indexed one) before anything is written.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import ArticleError
from assistant.ingest.articles import (
    ARTICLE_SUFFIXES,
    MAX_ARTICLE_BYTES,
    parse_article,
    read_article_bytes,
)

MAX_UPLOAD_BYTES = MAX_ARTICLE_BYTES
_UNSAFE = re.compile(r"[^\w.\- ]+", re.UNICODE)
_MAX_STEM_CHARS = 80


@dataclass(frozen=True)
class UploadResult:
    saved: list[str]  # article ids (names inside the seeds folder)
    rejected: list[tuple[str, str]]  # (the upload's name, reason)


def save_uploads(
    uploads: list[Path],
    seeds: Path,
    known_hashes: dict[str, str] | None = None,
    max_bytes: int = MAX_UPLOAD_BYTES,
) -> UploadResult:
    """Copy each readable upload into `seeds`; report each one that is refused.

    Args:
        uploads: the uploaded files (in the web server's temporary folder).
        known_hashes: sha256 of indexed articles -> their id, to refuse copies.
    """
    seeds.mkdir(parents=True, exist_ok=True)
    known = dict(known_hashes or {})
    saved, rejected = [], []
    for upload in uploads:
        shown = upload.name[:200]
        try:
            name, data = _checked(upload, max_bytes)
            digest = hashlib.sha256(data).hexdigest()
            if digest in known:
                raise ValueError(f"is a copy of {known[digest]}, which is already indexed")
            target = _write_new(seeds, name, data)
        except (ValueError, OSError) as err:
            rejected.append((shown, str(err)))
            continue
        known[digest] = target.name
        saved.append(target.name)
    return UploadResult(saved, rejected)


def safe_name(name: str) -> str:
    """A file name without directories or odd characters, keeping the article suffix."""
    base = unicodedata.normalize("NFC", re.split(r"[/\\]", name)[-1]).replace("\x00", "")
    stem, suffix = os.path.splitext(base.lstrip(". "))  # a leading dot would hide the file
    stem = _UNSAFE.sub("-", stem).strip(" .-")[:_MAX_STEM_CHARS] or "article"
    return f"{stem}{_UNSAFE.sub('', suffix).lower()}"


def _checked(upload: Path, max_bytes: int) -> tuple[str, bytes]:
    """The name to save an upload under and its bytes, read once and parsed as an article.

    Raises:
        ValueError: not an article file, too big, or not readable as an article.
    """
    name = safe_name(upload.name)
    if not name.endswith(ARTICLE_SUFFIXES):
        raise ValueError(f"is not an article file; upload {', '.join(ARTICLE_SUFFIXES)} files")
    size = upload.stat().st_size
    if size > max_bytes:
        raise ValueError(f"is {size / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.0f} MB")
    try:
        data = read_article_bytes(upload)
        parse_article(upload, name, data)
    except ArticleError as err:
        raise ValueError(err.reason) from err
    return name, data


def _write_new(seeds: Path, name: str, data: bytes) -> Path:
    """Write `data` to a new file in `seeds` named `name` (or name-2, name-3, …)."""
    stem, suffix = os.path.splitext(name)
    for attempt in range(1, 1000):
        candidate = seeds / (name if attempt == 1 else f"{stem}-{attempt}{suffix}")
        if candidate.resolve().parent != seeds.resolve():
            raise ValueError("has a name that leaves the articles folder")
        if candidate.exists():
            continue
        # Written beside the target, then linked in: a reader never sees half a file,
        # and link() fails instead of replacing a file that appeared meanwhile.
        with tempfile.NamedTemporaryFile(dir=seeds, prefix=".upload-", delete=False) as tmp:
            tmp.write(data)
        try:
            os.link(tmp.name, candidate)
        except FileExistsError:
            continue
        finally:
            os.unlink(tmp.name)
        return candidate
    raise ValueError("has a name already used 999 times")
