"""Reading articles: formats, metadata, and bad files skipped without losing the rest."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from assistant.ingest import articles as articles_module
from assistant.ingest.articles import ArticleFailure, read_article, read_articles

from .conftest import SEED


def test_seed_header_gives_date_title_and_german():
    article = read_article(SEED, SEED.name)
    assert article.date == "2025-03"
    assert article.title.startswith("Vorschlag für Waffenruhe vorgelegt")
    assert article.language == "de"
    assert article.text.startswith("Die US-Unterhändler Mike Waltz")


def test_txt_without_header_uses_first_line_as_title(tmp_path: Path):
    path = tmp_path / "a.txt"
    path.write_text("Rates rise again\n\nThe central bank raised rates.", encoding="utf-8")
    article = read_article(path, "a.txt")
    assert (article.title, article.date, article.text) == (
        "Rates rise again",
        None,
        "The central bank raised rates.",
    )


def test_markdown_front_matter(tmp_path: Path):
    path = tmp_path / "b.md"
    path.write_text(
        "---\ntitle: Harbour reopens\ndate: 2024-05-02\nauthor: A. Writer\n"
        "url: https://example.org/h\n---\nThe harbour reopened on Monday after repairs.",
        encoding="utf-8",
    )
    article = read_article(path, "b.md")
    assert (article.title, article.date, article.author, article.url) == (
        "Harbour reopens",
        "2024-05-02",
        "A. Writer",
        "https://example.org/h",
    )
    assert article.text == "The harbour reopened on Monday after repairs."


def test_markdown_heading_is_the_title(tmp_path: Path):
    path = tmp_path / "c.md"
    path.write_text(
        "# Storm warning\n\nA storm is expected tonight on the coast.", encoding="utf-8"
    )
    article = read_article(path, "c.md")
    assert article.title == "Storm warning"
    assert article.text == "A storm is expected tonight on the coast."


def test_html_main_text_and_metadata(tmp_path: Path):
    path = tmp_path / "d.html"
    body = " ".join(["The city council approved the new budget on Tuesday."] * 5)
    path.write_text(
        "<html><head><title>Budget approved</title>"
        '<meta name="author" content="Jane Doe">'
        '<meta property="article:published_time" content="2024-06-01"></head>'
        f"<body><nav>Home | News</nav><article><h1>Budget approved</h1><p>{body}</p>"
        "</article><script>alert(1)</script></body></html>",
        encoding="utf-8",
    )
    article = read_article(path, "d.html")
    assert article.title == "Budget approved"
    assert article.date == "2024-06-01"
    assert article.date_source == "HTML metadata"
    assert article.author == "Jane Doe"
    assert "approved the new budget" in article.text
    assert "alert(1)" not in article.text


def test_html_that_states_no_date_has_no_date(tmp_path: Path):
    """A year in the text or a copyright line is no date: the article has none."""
    path = tmp_path / "undated.html"
    body = " ".join(["The ferry to the island runs again after the storm of 2026."] * 4)
    path.write_text(
        "<html><head><title>Ferry back</title></head><body><article><h1>Ferry back</h1>"
        f"<p>{body}</p></article><footer>© 2026 Island News</footer></body></html>",
        encoding="utf-8",
    )
    article = read_article(path, "undated.html")
    assert "ferry" in article.text
    assert article.date is None and article.date_source is None


def test_each_date_says_where_it_was_read(tmp_path: Path):
    (tmp_path / "a.txt").write_text("date 2025-03-12 Title\nText of a.", encoding="utf-8")
    (tmp_path / "b.md").write_text("---\ndate: 2025-04-01\n---\n# B\nText of b.", encoding="utf-8")
    (tmp_path / "c.txt").write_text("Title\nUndated text.", encoding="utf-8")
    read = {name: read_article(tmp_path / name, name) for name in ("a.txt", "b.md", "c.txt")}
    assert (read["a.txt"].date, read["a.txt"].date_source) == ("2025-03-12", "first line")
    assert (read["b.md"].date, read["b.md"].date_source) == ("2025-04-01", "front matter")
    assert (read["c.txt"].date, read["c.txt"].date_source) == (None, None)


def test_bad_files_are_reported_and_the_rest_read(tmp_path: Path):
    (tmp_path / "good.txt").write_text("Good\nThe ferry runs again.", encoding="utf-8")
    (tmp_path / "empty.txt").write_text("   \n", encoding="utf-8")
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02garbage")
    (tmp_path / "later-copy.txt").write_text("Good\nThe ferry runs again.", encoding="utf-8")
    (tmp_path / "image.png").write_bytes(b"\x89PNG")
    (tmp_path / "dated.txt").write_text(
        "date 2024-13 Bad month\nThe month is wrong.", encoding="utf-8"
    )
    articles, failures = read_articles(tmp_path)
    assert [a.id for a in articles] == ["dated.txt", "good.txt"]
    assert articles[0].date is None and articles[0].title == "Bad month"
    assert failures == [
        ArticleFailure(
            "binary.txt", str(tmp_path / "binary.txt"), "looks like a binary file, not text"
        ),
        ArticleFailure("empty.txt", str(tmp_path / "empty.txt"), "has no text"),
        ArticleFailure(
            "image.png",
            str(tmp_path / "image.png"),
            "unsupported file type '.png' (use .txt, .md, .html, .pdf or .docx)",
        ),
        ArticleFailure(
            "later-copy.txt", str(tmp_path / "later-copy.txt"), "is a duplicate of good.txt"
        ),
    ]


def test_latin1_article_is_read(tmp_path: Path):
    (tmp_path / "alt.txt").write_bytes("Größe\nDie Straße ist gesperrt.".encode("cp1252"))
    articles, failures = read_articles(tmp_path)
    assert failures == []
    assert articles[0].title == "Größe"


def test_link_out_of_the_folder_is_not_followed(tmp_path: Path):
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    outside = tmp_path / "secret.txt"
    outside.write_text("Secret\nDo not index me.", encoding="utf-8")
    os.symlink(outside, seeds / "link.txt")
    articles, failures = read_articles(seeds)
    assert articles == []
    assert [(f.article_id, f.reason) for f in failures] == [
        ("link.txt", "links to outside the articles folder; not followed")
    ]


SECRET = "Secret\nDo not index me."


@pytest.mark.parametrize("moment", ["after the listing", "before parsing"])
def test_article_swapped_for_a_link_while_indexing_is_never_read_outside(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, moment: str
):
    """Probe finding: a link swapped in between the scan's check and the parse's read got a
    file outside the folder indexed. Each seam below swaps the article for a link to an
    outside file at one moment; the outside text must never be read."""
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (tmp_path / "secret.txt").write_text(SECRET, encoding="utf-8")
    article = seeds / "news.txt"
    article.write_text("News\nThe ferry runs again.", encoding="utf-8")

    def swap() -> None:
        article.unlink()
        os.symlink(tmp_path / "secret.txt", article)

    if moment == "after the listing":
        listed = articles_module._article_files

        def list_then_swap(folder: Path):
            found = list(listed(folder))
            swap()
            return iter(found)

        monkeypatch.setattr(articles_module, "_article_files", list_then_swap)
    else:
        parse = articles_module.map_in_processes

        def swap_then_parse(function, items, **options):
            swap()
            return parse(function, items, **options)

        monkeypatch.setattr(articles_module, "map_in_processes", swap_then_parse)
    read, failures = read_articles(seeds)
    assert all("Do not index" not in a.text and a.title != "Secret" for a in read)
    if read:
        assert [a.text for a in read] == ["The ferry runs again."]
    else:
        assert [f.reason for f in failures] == [
            "links to outside the articles folder; not followed"
        ]


def test_link_loops_are_reported_and_the_rest_read(tmp_path: Path):
    """Probe finding: a link loop raised "RuntimeError: Symlink loop" and nothing was read."""
    (tmp_path / "good.txt").write_text("Good\nThe ferry runs again.", encoding="utf-8")
    os.symlink("self.txt", tmp_path / "self.txt")
    os.symlink("pong.txt", tmp_path / "ping.txt")
    os.symlink("ping.txt", tmp_path / "pong.txt")
    read, failures = read_articles(tmp_path)
    assert [a.id for a in read] == ["good.txt"]
    loop = "is a link loop (it leads back to itself); not followed"
    assert [(f.article_id, f.reason) for f in failures] == [
        ("ping.txt", loop),
        ("pong.txt", loop),
        ("self.txt", loop),
    ]


def test_pipes_are_reported_without_waiting_and_the_rest_read(tmp_path: Path):
    """Probe finding: a named pipe behind a link hung indexing (the read waited for a
    writer); one in the folder itself was left out without a word."""
    (tmp_path / "good.txt").write_text("Good\nThe ferry runs again.", encoding="utf-8")
    os.mkfifo(tmp_path / "pipe.txt")
    os.symlink("pipe.txt", tmp_path / "link-to-pipe.txt")
    done: list = []
    reader = threading.Thread(target=lambda: done.append(read_articles(tmp_path)), daemon=True)
    reader.start()
    reader.join(timeout=30)
    if reader.is_alive():  # release the waiting read: a writer that closes at once
        os.close(os.open(tmp_path / "pipe.txt", os.O_WRONLY | os.O_NONBLOCK))
        reader.join(timeout=30)
    assert done, "reading the folder waited on a pipe"
    read, failures = done[0]
    assert [a.id for a in read] == ["good.txt"]
    not_regular = "is not a regular file (a pipe, device or folder); not read"
    assert [(f.article_id, f.reason) for f in failures] == [
        ("link-to-pipe.txt", not_regular),
        ("pipe.txt", not_regular),
    ]
