"""Reading article files (.txt, .md, .html, .pdf, .docx) into `Article`s with their metadata."""

from __future__ import annotations

import codecs
import datetime as dt
import errno
import hashlib
import logging
import os
import re
import stat
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from assistant.errors import ArticleError, SeedsNotFound
from assistant.ingest.pdf import DocumentText, read_pdf
from assistant.ingest.word import read_docx
from assistant.language.detection import detect_language
from assistant.parallel import map_in_processes

logger = logging.getLogger(__name__)

ARTICLE_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx")
# Formats read from their bytes by a library rather than decoded as text.
_DOCUMENT_READERS = {".pdf": read_pdf, ".docx": read_docx}
# Where each kind of file states its date; an article that states none has no date.
DATE_SOURCES = {
    ".txt": "first line",
    ".md": "front matter",
    ".markdown": "front matter",
    ".html": "HTML metadata",
    ".htm": "HTML metadata",
}
_TXT_HEADER = re.compile(r"^\s*date\s+(\S+)\s+(.+?)\s*$")
_MD_HEADING = re.compile(r"^#\s+(.+?)\s*#*\s*$", re.MULTILINE)
# A news article is well under 1 MB; a bigger file is most likely a dump or a mistake, and
# would occupy the embedder for an hour.
MAX_ARTICLE_BYTES = 10 * 1024 * 1024
# C0/C1 control characters other than tab and newline: terminal escapes, bells and the
# like have no place in article text and could act on the terminal that prints a quote.
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class Article:
    """One article. `text` is the body; passage offsets are character positions into it."""

    id: str  # path relative to the seeds folder, with forward slashes
    title: str
    text: str
    source: str  # the file path as given to the reader
    content_hash: str  # sha256 of the file's bytes
    language: str  # ISO 639-1 code, detected from the text
    date: str | None = None  # ISO date, YYYY-MM or YYYY-MM-DD, only as the file states it
    author: str | None = None
    url: str | None = None
    date_source: str | None = None  # where the date was read: DATE_SOURCES[suffix]
    # A PDF's pages: where each starts in `text` (page n at pages[n - 1]; a page without
    # text has no characters of its own). Empty for formats without pages.
    pages: tuple[int, ...] = ()


@dataclass(frozen=True)
class ArticleFailure:
    """An article file that could not be read, with the reason in words."""

    article_id: str
    source: str
    reason: str


@dataclass(frozen=True)
class ArticleScan:
    """An articles folder as found: what to (re)index, what failed, what is unchanged."""

    articles: list[Article]  # read and parsed, sorted by id
    failures: list[ArticleFailure]
    unchanged: list[str]  # ids whose bytes match the given hashes: not parsed again


def read_articles(folder: Path) -> tuple[list[Article], list[ArticleFailure]]:
    """Read every article file below `folder`.

    Returns:
        The readable articles (sorted by id) and one failure per file that could not be
        read or repeats an earlier file byte for byte; a bad file never stops the others.

    Raises:
        SeedsNotFound: `folder` is not a directory.
    """
    scan = scan_articles(folder, {})
    return scan.articles, scan.failures


def scan_articles(folder: Path, known_hashes: Mapping[str, str]) -> ArticleScan:
    """As `read_articles`, but a file whose id and sha256 are in `known_hashes` (id -> hash,
    e.g. the index's records) is only listed as unchanged: parsing and language detection
    cost ~6 ms per article, hashing a fraction of that.

    Each file is opened once and its bytes are read from the checked descriptor, then
    parsed: a file swapped for a link between listing and parsing cannot be read instead.
    """
    if not folder.is_dir():
        raise SeedsNotFound(folder)
    to_parse, failures, unchanged = [], [], []
    first_with_hash: dict[str, str] = {}
    root = folder.resolve()
    for path in _article_files(folder):
        article_id = path.relative_to(folder).as_posix()
        try:
            raw = read_article_bytes(path, root)
            content_hash = hashlib.sha256(raw).hexdigest()
            original = first_with_hash.setdefault(content_hash, article_id)
            if original != article_id:
                raise ArticleError(path, f"is a duplicate of {original}")
            if known_hashes.get(article_id) == content_hash:
                unchanged.append(article_id)
                continue
            to_parse.append((path, article_id, raw))
        except ArticleError as err:
            failures.append(_failure(article_id, path, err))
    articles = []
    size = sum(len(raw) for _, _, raw in to_parse)
    parsed_all = map_in_processes(_try_parse, to_parse, chars=size)  # ~5 ms an article
    for (path, article_id, _), parsed in zip(to_parse, parsed_all, strict=True):
        if isinstance(parsed, Article):
            articles.append(parsed)
        else:
            failures.append(_failure(article_id, path, parsed))
    failures.sort(key=lambda f: f.article_id)
    return ArticleScan(articles, failures, unchanged)


def _try_parse(item: tuple[Path, str, bytes]) -> Article | ArticleError:
    """Parse one article's bytes, or the reason it cannot be (returned: workers send it
    back)."""
    try:
        return parse_article(*item)
    except ArticleError as err:
        return err


def _failure(article_id: str, path: Path, err: ArticleError) -> ArticleFailure:
    logger.warning("Skipped %s", err)
    return ArticleFailure(article_id, str(path), err.reason)


def _article_files(folder: Path) -> Iterator[Path]:
    """Every entry below `folder` but directories and hidden ones: links, pipes and the
    like too, so that each is reported rather than silently left out."""
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if any(part.startswith(".") for part in relative.parts):
            continue  # hidden files and folders (editor swap files, .git, ...)
        if path.is_symlink() or not path.is_dir():
            yield path


def read_article(path: Path, article_id: str) -> Article:
    """Read one article file; the format follows the file's suffix.

    Raises:
        ArticleError: the file is of an unsupported type, not a regular file, unreadable,
            or has no text.
    """
    return parse_article(path, article_id, read_article_bytes(path))


def read_article_bytes(path: Path, root: Path | None = None) -> bytes:
    """The bytes of an article file, read through one descriptor that was checked first.

    Args:
        path: the file (links are followed).
        root: when given, a resolved folder the opened file must lie inside.

    Raises:
        ArticleError: an unsupported suffix, a link loop, not a regular file (a pipe is
            never waited on), outside `root`, larger than `MAX_ARTICLE_BYTES`, unreadable.
    """
    suffix = path.suffix.lower()
    if suffix not in ARTICLE_SUFFIXES:
        raise ArticleError(
            path,
            f"unsupported file type '{suffix or path.name}' (use .txt, .md, .html, .pdf or .docx)",
        )
    descriptor = _open_without_waiting(path)
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode):
            raise ArticleError(path, "is not a regular file (a pipe, device or folder); not read")
        if root is not None:
            _check_inside(path, info, root)
        _check_size(path, info.st_size)
        with os.fdopen(descriptor, "rb", closefd=False) as handle:
            raw = handle.read(MAX_ARTICLE_BYTES + 1)
    except OSError as err:
        raise ArticleError(path, f"cannot be read ({err.strerror})") from err
    finally:
        os.close(descriptor)
    _check_size(path, len(raw))  # it may have grown since it was opened
    return raw


def _check_size(path: Path, size: int) -> None:
    if size > MAX_ARTICLE_BYTES:
        raise ArticleError(
            path,
            f"is {size / 1024 / 1024:.1f} MB; articles over "
            f"{MAX_ARTICLE_BYTES // 1024 // 1024} MB are not indexed (split it into "
            "smaller files)",
        )


def _open_without_waiting(path: Path) -> int:
    """A read-only descriptor of `path`; opening a pipe with no writer returns at once
    (O_NONBLOCK) instead of waiting for one, and a terminal is never adopted."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        return os.open(path, flags)
    except OSError as err:
        if err.errno == errno.ELOOP:
            raise ArticleError(
                path, "is a link loop (it leads back to itself); not followed"
            ) from err
        raise ArticleError(path, f"cannot be read ({err.strerror})") from err


def _check_inside(path: Path, opened: os.stat_result, root: Path) -> None:
    """That the opened file is the one `path` names inside `root` now, links resolved: the
    same device and inode. A link swapped in before the open points outside; a file swapped
    after it is not the one opened."""
    real = Path(os.path.realpath(path))
    if not real.is_relative_to(root):
        raise ArticleError(path, "links to outside the articles folder; not followed")
    try:
        named = os.stat(real)
    except OSError as err:
        raise ArticleError(path, "changed while it was read; run the index again") from err
    if (named.st_dev, named.st_ino) != (opened.st_dev, opened.st_ino):
        raise ArticleError(path, "changed while it was read; run the index again")


def parse_article(path: Path, article_id: str, raw: bytes) -> Article:
    """An article from a file's bytes (`read_article_bytes`); the format follows the suffix
    of `path`.

    Raises:
        ArticleError: the bytes are binary, the front matter is malformed, a PDF or .docx
            file is damaged (or a PDF has no text layer), or there is no text.
    """
    suffix = path.suffix.lower()
    if suffix in _DOCUMENT_READERS:
        fields = _document_fields(_DOCUMENT_READERS[suffix](path, raw), paged=suffix == ".pdf")
        return _article(path, article_id, raw, fields)
    content = clean_text(_decode(path, raw))
    if suffix == ".txt":
        fields = _parse_txt(content)
    elif suffix in (".md", ".markdown"):
        fields = _parse_markdown(path, content)
    else:
        fields = _parse_html(path, content)
    return _article(path, article_id, raw, fields)


def _article(path: Path, article_id: str, raw: bytes, fields: dict) -> Article:
    """The article of a parsed file's `fields` (text, title, date, ...)."""
    suffix = path.suffix.lower()
    text = fields.pop("text").strip()
    if not text:
        raise ArticleError(path, "has no text")
    title = fields.pop("title", None) or path.stem
    date = _normalise_date(path, fields.pop("date", None))
    return Article(
        id=article_id,
        title=title.strip(),
        text=text,
        source=str(path),
        content_hash=hashlib.sha256(raw).hexdigest(),
        language=detect_language(text),
        date=date,
        date_source=DATE_SOURCES[suffix] if date else None,
        **fields,
    )


def _document_fields(document: DocumentText, paged: bool) -> dict:
    """An article's fields from a PDF's pages or a Word file's paragraphs: the parts joined
    as paragraphs, and with `paged`, where each part (page) starts."""
    pieces, starts, length = [], [], 0
    for part in document.parts:
        piece = clean_text(part).strip()
        if piece and pieces:
            length += 2  # the blank line between parts
        starts.append(length)
        if piece:
            pieces.append(piece)
            length += len(piece)
    fields = {"title": document.title, "author": document.author, "text": "\n\n".join(pieces)}
    return fields | ({"pages": tuple(starts)} if paged else {})


def clean_text(text: str) -> str:
    """Unix line ends, and no control characters but tab and newline."""
    return _CONTROL_CHARS.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def _decode(path: Path, raw: bytes) -> str:
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return raw.decode("utf-16")
    if b"\x00" in raw:
        raise ArticleError(path, "looks like a binary file, not text")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        logger.warning("%s is not UTF-8; reading it as Windows-1252 (Latin-1).", path)
        return raw.decode("cp1252", errors="replace")


def _parse_txt(content: str) -> dict:
    first, _, body = content.lstrip("\ufeff").partition("\n")
    header = _TXT_HEADER.match(first)
    if header:
        return {"date": header.group(1), "title": header.group(2), "text": body}
    if first.strip() and body.strip():
        return {"title": first.strip(), "text": body}
    return {"text": content}


def _parse_markdown(path: Path, content: str) -> dict:
    import frontmatter
    import yaml

    try:
        meta, body = frontmatter.parse(content)
    except yaml.YAMLError as err:
        raise ArticleError(path, f"has malformed front matter ({err.__class__.__name__})") from err
    fields = {key: str(meta[key]) for key in ("title", "date", "author", "url") if meta.get(key)}
    if "title" not in fields:
        heading = _MD_HEADING.search(body)
        if heading:
            fields["title"] = heading.group(1)
            body = body[: heading.start()] + body[heading.end() :]
    fields["text"] = body
    return fields


def extract_page(content: str | bytes, url: str | None = None):
    """trafilatura's reading of a web page: its main text and metadata (title, date,
    author, url), or None when it finds none. `url` is where the page came from."""
    import trafilatura

    return trafilatura.bare_extraction(
        content,
        url=url,
        with_metadata=True,
        include_comments=False,
        favor_recall=True,
        # Only a date the page's metadata states: the default search also takes any year in
        # the text or a copyright line (it would read "© 2026" as 2026-01-01).
        date_extraction_params={"extensive_search": False, "original_date": True},
    )


def _parse_html(path: Path, content: str) -> dict:
    document = extract_page(content)
    if document is None or not (document.text or "").strip():
        raise ArticleError(path, "has no readable article text")
    return {
        "title": document.title,
        "date": document.date,
        "author": document.author,
        "url": document.url,
        "text": document.text,
    }


def _normalise_date(path: Path, value: str | None) -> str | None:
    """Keep ISO dates (YYYY-MM or YYYY-MM-DD); drop anything else with a warning."""
    if not value:
        return None
    value = value.strip()[:10]
    for fmt, length in (("%Y-%m-%d", 10), ("%Y-%m", 7)):
        try:
            dt.datetime.strptime(value[:length], fmt)
        except ValueError:
            continue
        return value[:length]
    logger.warning("%s: ignored the date %r (expected YYYY-MM or YYYY-MM-DD)", path, value)
    return None
