"""Reading articles: formats, metadata, and bad files skipped without losing the rest."""

from __future__ import annotations

import os
from pathlib import Path

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
            "unsupported file type '.png' (use .txt, .md or .html)",
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
