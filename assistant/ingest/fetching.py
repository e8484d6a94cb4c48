"""Web pages, or every entry of an RSS/Atom feed, fetched into the articles folder.

Each page is read by trafilatura (main text, title, date and author from its metadata) and
saved as a Markdown article with front matter, under a name made of its title and a digest
of its address: fetching the same address again finds and updates that file, and a page
never replaces another article.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
import time
import unicodedata
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from http.client import HTTPException
from pathlib import Path
from urllib.parse import urlsplit

from assistant.errors import PageNotFetched
from assistant.ingest.articles import MAX_ARTICLE_BYTES, extract_page

logger = logging.getLogger(__name__)

FETCH_TIMEOUT_SECONDS = 20.0  # for each address, from connecting to the last byte
MAX_FEED_ENTRIES = 50  # a feed's newest entries fetched; older ones are left out
_HTML_TYPES = {"text/html", "application/xhtml+xml"}
# Feeds are often served as plain XML or text too; those are told by their first element.
_FEED_TYPES = {"application/rss+xml", "application/atom+xml", "application/rdf+xml"}
_FEED_START = re.compile(rb"\s*(<\?[^>]*>\s*|<!--.*?-->\s*)*<(rss|feed|rdf:RDF)\b", re.DOTALL)
_SNIFFED_BYTES = 4096
_USER_AGENT = "assistant-article-fetcher/0.1"
_CHUNK_BYTES = 64 * 1024
_SLUG_SPLIT = re.compile(r"[^\w]+", re.UNICODE)
_MAX_SLUG_CHARS = 60


@dataclass(frozen=True)
class SavedPage:
    url: str
    article_id: str  # the file's name in the articles folder
    updated: bool  # an earlier fetch of the same address was replaced


@dataclass(frozen=True)
class FetchFailure:
    url: str
    reason: str


@dataclass(frozen=True)
class FetchReport:
    saved: list[SavedPage]
    failures: list[FetchFailure]


@dataclass(frozen=True)
class _Response:
    url: str  # after redirects
    content_type: str
    body: bytes


def fetch_articles(
    urls: Iterable[str],
    folder: Path,
    timeout: float = FETCH_TIMEOUT_SECONDS,
    max_bytes: int = MAX_ARTICLE_BYTES,
) -> FetchReport:
    """Fetch each address into `folder`: a page as one article, a feed as one article per
    entry (the first `MAX_FEED_ENTRIES`). A failure is reported and the rest go on.

    Args:
        timeout: seconds for each address, from connecting to the last byte.
        max_bytes: the largest response read; a larger one is refused.
    """
    folder.mkdir(parents=True, exist_ok=True)
    saved: list[SavedPage] = []
    failures: list[FetchFailure] = []
    for url in urls:
        try:
            pages = _pages_of(_download(url, timeout, max_bytes))
        except PageNotFetched as err:
            failures.append(FetchFailure(err.url, err.reason))
            continue
        for page in pages:
            address = page if isinstance(page, str) else page.url
            try:
                if isinstance(page, str):  # a feed's entry
                    page = _html_only(_download(page, timeout, max_bytes))
                saved.append(_save(page, folder))
            except PageNotFetched as err:
                failures.append(FetchFailure(err.url, err.reason))
            except OSError as err:  # a full disk or a read-only folder
                reason = f"could not be saved in {folder} ({err.strerror})"
                failures.append(FetchFailure(address, reason))
    for failure in failures:
        logger.info("Not fetched %s: %s", failure.url, failure.reason)
    return FetchReport(saved, failures)


def _pages_of(response: _Response) -> list[_Response | str]:
    """The page itself, or a feed's entries' addresses (fetched in turn).

    Raises:
        PageNotFetched: neither a web page nor a feed with entries.
    """
    if _is_feed(response):
        return list(_feed_links(response))
    return [_html_only(response)]


def _download(url: str, timeout: float, max_bytes: int) -> _Response:
    """The response to a GET of `url` (http or https), read within `timeout` seconds.

    Raises:
        PageNotFetched: another scheme, an error status, unreachable, too slow or too big.
    """
    if urlsplit(url).scheme not in ("http", "https"):
        raise PageNotFetched(url, "is not an http:// or https:// address")
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    deadline = time.monotonic() + timeout
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = _read_until(response, url, deadline, max_bytes)
            return _Response(response.geturl(), response.headers.get_content_type(), body)
    except urllib.error.HTTPError as err:
        err.close()
        raise PageNotFetched(url, f"the server answered {err.code} {err.reason}") from err
    except urllib.error.URLError as err:
        raise PageNotFetched(url, f"cannot be reached ({err.reason})") from err
    except TimeoutError as err:
        raise PageNotFetched(url, f"did not answer within {timeout:g} s") from err
    except (OSError, HTTPException, ValueError) as err:
        raise PageNotFetched(url, f"could not be fetched ({err})") from err


def _read_until(response, url: str, deadline: float, max_bytes: int) -> bytes:
    """The body, read in chunks so that neither a slow nor an endless response holds on."""
    chunks, size = [], 0
    while chunk := response.read(_CHUNK_BYTES):
        size += len(chunk)
        if size > max_bytes:
            raise PageNotFetched(url, f"is over the size limit ({max_bytes:,} bytes); not fetched")
        if time.monotonic() > deadline:
            raise PageNotFetched(url, "took too long to download; not fetched")
        chunks.append(chunk)
    return b"".join(chunks)


def _is_feed(response: _Response) -> bool:
    if response.content_type in _FEED_TYPES:
        return True
    if response.content_type in _HTML_TYPES:
        return False
    return bool(_FEED_START.match(response.body[:_SNIFFED_BYTES]))


def _html_only(response: _Response) -> _Response:
    if response.content_type not in _HTML_TYPES:
        raise PageNotFetched(
            response.url, f"is not a web page or a feed (its type is {response.content_type})"
        )
    return response


def _feed_links(response: _Response) -> list[str]:
    """The addresses of a feed's entries, newest first as the feed lists them, without
    repeats (relative links resolved against the feed's address)."""
    import feedparser

    feed = feedparser.parse(
        response.body,
        response_headers={"content-location": response.url, "content-type": response.content_type},
    )
    links = list(dict.fromkeys(e.get("link") for e in feed.entries if e.get("link")))
    if not links:
        raise PageNotFetched(response.url, "is a feed without entries that link to a page")
    return links[:MAX_FEED_ENTRIES]


def _save(page: _Response, folder: Path) -> SavedPage:
    """Save the page's article as Markdown in `folder`: into the file an earlier fetch of
    the same address made, else a new one.

    Raises:
        PageNotFetched: no article text, or the name is held by another article.
    """
    document = extract_page(page.body, url=page.url)
    if document is None or not (document.text or "").strip():
        raise PageNotFetched(page.url, "has no readable article text")
    content = _markdown(page.url, document)
    digest = hashlib.sha256(page.url.encode()).hexdigest()[:10]
    earlier = sorted(folder.glob(f"*-{digest}.md"))
    if earlier:
        _check_same_address(earlier[0], page.url)
        _replace(earlier[0], content)
        return SavedPage(page.url, earlier[0].name, updated=True)
    name = f"{_slug(document.title or urlsplit(page.url).path)}-{digest}.md"
    _write_new(folder / name, content, page.url)
    return SavedPage(page.url, name, updated=False)


def _markdown(url: str, document) -> str:
    """The article as Markdown: front matter (title, date, author, url), then the text."""
    import yaml

    meta = {"title": document.title, "date": document.date, "author": document.author}
    meta = {key: str(value) for key, value in meta.items() if value} | {"url": url}
    front = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=10_000)
    return f"---\n{front}---\n\n{document.text.strip()}\n"


def _check_same_address(path: Path, url: str) -> None:
    """That the file an earlier fetch made holds this address (a digest may collide, and a
    person may have named a file so)."""
    import frontmatter
    import yaml

    try:
        meta, _ = frontmatter.parse(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        raise PageNotFetched(url, f"would replace {path.name}, which cannot be read") from err
    if meta.get("url") != url:
        raise PageNotFetched(url, f"would replace {path.name}, another article; rename that file")


def _slug(text: str) -> str:
    """A file name stem of `text`'s letters and digits, words joined by hyphens."""
    words = _SLUG_SPLIT.split(unicodedata.normalize("NFC", text).lower())
    slug = "-".join(word for word in words if word)[:_MAX_SLUG_CHARS].strip("-_")
    return slug or "page"


def _replace(path: Path, content: str) -> None:
    """Write `content` over `path` whole (a reader sees the old file or the new one)."""
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=path.parent, prefix=".fetch-", delete=False
    ) as tmp:
        tmp.write(content)
    os.replace(tmp.name, path)


def _write_new(path: Path, content: str, url: str) -> None:
    """Write a new file `path`; a file that appeared meanwhile is never replaced."""
    with tempfile.NamedTemporaryFile(
        "w", encoding="utf-8", dir=path.parent, prefix=".fetch-", delete=False
    ) as tmp:
        tmp.write(content)
    try:
        os.link(tmp.name, path)
    except FileExistsError as err:
        raise PageNotFetched(url, f"would replace {path.name}, another article") from err
    finally:
        os.unlink(tmp.name)
