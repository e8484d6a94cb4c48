"""`assistant add URL...`: pages and feed entries fetched from a local HTTP server into the
articles folder, indexed and answerable; failures reported per address. Texts invented."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import frontmatter
import pytest
from typer.testing import CliRunner

from assistant.ingest.fetching import FetchFailure, SavedPage, fetch_articles
from assistant.models.embeddings import PassageEmbeddings
from assistant.surfaces.api import Assistant
from assistant.surfaces.cli import app


def _page(title: str, date: str, paragraphs: list[str]) -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    return (
        f'<!doctype html><html lang="en"><head><title>{title}</title>'
        f'<meta property="article:published_time" content="{date}">'
        f'<meta name="author" content="City Desk"></head><body><nav>Home | News</nav>'
        f"<article><h1>{title}</h1>{body}</article><footer>Contact us</footer></body></html>"
    ).encode()


TRAM = _page(
    "Tram line 9 reaches the harbour",
    "2025-04-11",
    [
        "The extension of tram line 9 to the harbour will open on 3 September, the transport "
        "office of Brennick announced on Friday.",
        "The new track is 4.2 kilometres long and has six stops, among them the fish market "
        "and the ferry terminal.",
        "Engineer Hala Voss said the trams would run every seven minutes during the day.",
    ],
)
GLASSWORKS = _page(
    "Old glassworks becomes a museum",
    "2025-05-20",
    [
        "The former glassworks of Brennick opened as a museum on Saturday, with furnaces that "
        "visitors can watch at work.",
        "Curator Piet Anselm said the museum expects forty thousand visitors in its first year.",
        "Entry is free for children under twelve, and the café sits in the old packing hall.",
    ],
)
BAKERY = _page(
    "Harbour bakery wins the bread prize",
    "2025-06-01",
    [
        "The harbour bakery of Brennick won this year's regional bread prize with a rye loaf "
        "baked in a wood oven.",
        "Baker Mira Olend said the recipe came from her grandmother and needs two days of rest.",
        "The prize jury tasted one hundred and twelve loaves from forty bakeries.",
    ],
)
FEED = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Brennick news</title><link>/</link>
<description>Local news</description>
<item><title>Old glassworks becomes a museum</title><link>/news/glassworks.html</link></item>
<item><title>Harbour bakery wins the bread prize</title><link>/news/bakery.html</link></item>
<item><title>Gone</title><link>/news/gone.html</link></item>
</channel></rss>"""
ROUTES = {
    "/tram.html": ("text/html; charset=utf-8", TRAM),
    "/news/glassworks.html": ("text/html; charset=utf-8", GLASSWORKS),
    "/news/bakery.html": ("text/html; charset=utf-8", BAKERY),
    "/feed.xml": ("application/rss+xml", FEED),
    "/photo.png": ("image/png", b"\x89PNG\r\n\x1a\n not really a picture"),
}


class _Handler(BaseHTTPRequestHandler):
    routes: ClassVar[dict[str, tuple[str, bytes]]] = {}  # path -> (content type, body)

    def do_GET(self) -> None:
        if self.path == "/slow.html":  # answers after the client gave up
            time.sleep(1.5)
        found = self.routes.get(self.path)
        if found is None:
            self.send_error(404, "Not Found")
            return
        content_type, body = found
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # quiet test output
        pass


@pytest.fixture
def site() -> Iterator[tuple[str, dict[str, tuple[str, bytes]]]]:
    """A local web server on a free loopback port: its base address and its routes (a
    copy, which a test may change)."""
    routes = dict(ROUTES)
    handler = type("Handler", (_Handler,), {"routes": routes})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", routes
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


def test_pages_and_feed_entries_are_saved_and_failures_reported(site, tmp_path: Path):
    base, _ = site
    folder = tmp_path / "seeds"
    urls = [f"{base}/tram.html", f"{base}/feed.xml", f"{base}/missing.html", f"{base}/photo.png"]
    report = fetch_articles(urls, folder)
    assert [(p.url, p.updated) for p in report.saved] == [
        (f"{base}/tram.html", False),
        (f"{base}/news/glassworks.html", False),
        (f"{base}/news/bakery.html", False),
    ]
    assert report.failures == [
        FetchFailure(f"{base}/news/gone.html", "the server answered 404 Not Found"),
        FetchFailure(f"{base}/missing.html", "the server answered 404 Not Found"),
        FetchFailure(f"{base}/photo.png", "is not a web page or a feed (its type is image/png)"),
    ]
    tram = frontmatter.loads((folder / report.saved[0].article_id).read_text(encoding="utf-8"))
    assert report.saved[0].article_id.startswith("tram-line-9-reaches-the-harbour-")
    assert tram.metadata == {
        "title": "Tram line 9 reaches the harbour",
        "date": "2025-04-11",
        "author": "City Desk",
        "url": f"{base}/tram.html",
    }
    assert "4.2 kilometres long" in tram.content and "Contact us" not in tram.content
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.article_id for p in report.saved)


def test_fetching_an_address_again_updates_its_file(site, tmp_path: Path):
    base, routes = site
    folder = tmp_path / "seeds"
    first = fetch_articles([f"{base}/tram.html"], folder).saved[0]
    routes["/tram.html"] = ("text/html", TRAM.replace(b"3 September", b"10 September"))
    again = fetch_articles([f"{base}/tram.html"], folder).saved[0]
    assert again == SavedPage(f"{base}/tram.html", first.article_id, updated=True)
    assert [p.name for p in folder.iterdir()] == [first.article_id]
    assert "10 September" in (folder / first.article_id).read_text(encoding="utf-8")


def test_a_page_never_replaces_another_article(site, tmp_path: Path):
    """A file that holds the name a page would take, but another address, is left alone."""
    base, _ = site
    folder = tmp_path / "seeds"
    saved = fetch_articles([f"{base}/tram.html"], folder).saved[0]
    mine = "---\ntitle: My notes\nurl: https://elsewhere.example/notes\n---\n\nMy own text.\n"
    (folder / saved.article_id).write_text(mine, encoding="utf-8")
    report = fetch_articles([f"{base}/tram.html"], folder)
    assert report.saved == []
    assert report.failures == [
        FetchFailure(
            f"{base}/tram.html",
            f"would replace {saved.article_id}, another article; rename that file",
        )
    ]
    assert (folder / saved.article_id).read_text(encoding="utf-8") == mine


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("file:///etc/passwd", "is not an http:// or https:// address"),
        ("http://127.0.0.1:9/closed", "cannot be reached ([Errno 111] Connection refused)"),
    ],
)
def test_addresses_that_cannot_be_fetched_say_why(tmp_path: Path, url: str, reason: str):
    assert fetch_articles([url], tmp_path).failures == [FetchFailure(url, reason)]


def test_oversized_response_is_refused(site, tmp_path: Path):
    base, _ = site
    report = fetch_articles([f"{base}/tram.html"], tmp_path, max_bytes=100)
    assert report.failures == [
        FetchFailure(f"{base}/tram.html", "is over the size limit (100 bytes); not fetched")
    ]


def test_a_slow_server_is_given_up_on(site, tmp_path: Path):
    base, _ = site
    report = fetch_articles([f"{base}/slow.html"], tmp_path, timeout=0.3)
    assert report.failures == [FetchFailure(f"{base}/slow.html", "did not answer within 0.3 s")]


@pytest.fixture
def assistant(tmp_path: Path, embedders: list[PassageEmbeddings]) -> Assistant:
    return Assistant(seeds=tmp_path / "seeds", index=tmp_path / "index", embedders=embedders)


def test_added_pages_are_indexed_and_answerable(site, assistant: Assistant):
    base, _ = site
    fetched, report = assistant.add_urls([f"{base}/tram.html", f"{base}/feed.xml"])
    assert len(fetched.saved) == 3 and len(report.added) == 3
    answer = assistant.ask("When will the tram line 9 extension to the harbour open?")
    first = answer.citations[0]
    assert (first.title, first.date) == ("Tram line 9 reaches the harbour", "2025-04-11")
    assert "3 September" in first.quote
    bakery = assistant.ask("How many loaves did the bread prize jury taste?")
    assert bakery.citations[0].title == "Harbour bakery wins the bread prize"
    _, again = assistant.add_urls([f"{base}/tram.html"])
    assert (again.added, again.updated, len(again.unchanged)) == ([], [], 3)


@pytest.mark.slow  # the command loads the models
def test_cli_add_reports_each_address(site, tmp_path: Path):
    base, _ = site
    result = CliRunner().invoke(
        app,
        [
            "--seeds", str(tmp_path / "seeds"), "--index", str(tmp_path / "index"),
            "add", f"{base}/tram.html", f"{base}/missing.html",
        ],
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    assert f"Saved {base}/tram.html as tram-line-9-reaches-the-harbour-" in result.stdout
    assert "Indexed: 1 added" in result.stdout
    assert f"Not fetched {base}/missing.html: the server answered 404 Not Found" in result.stderr
