"""PDF and Word articles: text and pages read, citations carry the page, bad files skipped.

The PDFs are written byte by byte in the test (`documents.make_pdf`), the .docx files by
python-docx; all texts are invented.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from assistant.errors import ArticleError
from assistant.index.generations import live_generation
from assistant.index.store import ArticleRecord, read_records
from assistant.ingest.articles import ArticleFailure, read_article, read_articles
from assistant.ingest.passages import split_passages
from assistant.models.embeddings import PassageEmbeddings
from assistant.surfaces.api import Assistant
from assistant.surfaces.cli import app
from assistant.surfaces.rendering import sources_html
from tests.documents import make_docx, make_pdf

LIBRARY_PAGES = [
    [
        "Lakeside Library closed its doors last spring for a full renovation.",
        "The council approved the plan after a long debate about the old building.",
    ],
    [
        "The reading room reopened on 14 March after eleven months of work.",
        "Head librarian Ines Marlow said the new copper roof cost 2.4 million euros.",
    ],
    [],  # a page without a text layer inside a PDF that has one
    [
        "Volunteers carried twelve thousand books back to the shelves in one weekend.",
    ],
]
ORCHARD = [
    "The Valbrook apple cooperative harvested 380 tonnes of fruit this autumn.",
    "Its chair, Tomas Reyl, said a dry August had made the apples small but sweet.",
]
FERRY = "date 2025-06-02 Ferry timetable\nThe night ferry to Orsel Island now leaves at 23:40.\n"


def _write(folder: Path, files: dict[str, bytes]) -> None:
    folder.mkdir(exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)


def test_pdf_pages_are_read_with_where_each_starts(tmp_path: Path):
    path = tmp_path / "library.pdf"
    path.write_bytes(make_pdf(LIBRARY_PAGES, title="Lakeside Library reopens"))
    article = read_article(path, "library.pdf")
    assert article.title == "Lakeside Library reopens"
    assert article.text == (
        "\n".join(LIBRARY_PAGES[0]) + "\n\n" + "\n".join(LIBRARY_PAGES[1]) + "\n\n"
        "Volunteers carried twelve thousand books back to the shelves in one weekend."
    )
    starts = [article.text.index(page[0]) for page in LIBRARY_PAGES if page]
    empty_page = len("\n".join(LIBRARY_PAGES[0]) + "\n\n" + "\n".join(LIBRARY_PAGES[1]))
    assert article.pages == (starts[0], starts[1], empty_page, starts[2])
    assert article.date is None and article.language == "en"


def test_a_passage_knows_its_page(tmp_path: Path):
    path = tmp_path / "library.pdf"
    path.write_bytes(make_pdf(LIBRARY_PAGES))
    article = read_article(path, "library.pdf")
    record = ArticleRecord.of(article, passages=1)
    roof = article.text.index("Head librarian")
    books = article.text.index("Volunteers")
    assert [record.page_at(0), record.page_at(roof), record.page_at(books)] == [1, 2, 4]
    assert record.title == "library"  # no title in the PDF: the file's name
    assert all(p.text for p in split_passages(article))


def test_docx_paragraphs_title_and_author(tmp_path: Path):
    path = tmp_path / "orchard.docx"
    path.write_bytes(make_docx(ORCHARD, title="A sweet harvest", author="R. Ostby"))
    article = read_article(path, "orchard.docx")
    assert (article.title, article.author) == ("A sweet harvest", "R. Ostby")
    assert article.text == "\n\n".join(ORCHARD)
    assert article.pages == ()


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        (
            "scan.pdf",
            make_pdf([[], []]),
            "has no text layer (a scanned PDF?); run it through OCR (e.g. ocrmypdf) first",
        ),
        ("broken.pdf", make_pdf(LIBRARY_PAGES)[:400], "is not a readable PDF (PdfStreamError)"),
        ("not.pdf", b"plain words, not a PDF", "is not a readable PDF (PdfStreamError)"),
        ("broken.docx", make_docx(ORCHARD)[:300], "is not a readable .docx file (BadZipFile)"),
    ],
)
def test_unreadable_documents_say_why(tmp_path: Path, name: str, data: bytes, reason: str):
    (tmp_path / name).write_bytes(data)
    with pytest.raises(ArticleError) as raised:
        read_article(tmp_path / name, name)
    assert raised.value.reason == reason


def test_scanned_and_corrupt_pdfs_are_reported_and_the_rest_read(tmp_path: Path):
    _write(
        tmp_path,
        {
            "library.pdf": make_pdf(LIBRARY_PAGES),
            "orchard.docx": make_docx(ORCHARD),
            "scan.pdf": make_pdf([[]]),
            "torn.pdf": make_pdf(LIBRARY_PAGES)[:400],
            "ferry.txt": FERRY.encode(),
        },
    )
    articles, failures = read_articles(tmp_path)
    assert [a.id for a in articles] == ["ferry.txt", "library.pdf", "orchard.docx"]
    assert failures == [
        ArticleFailure(
            "scan.pdf",
            str(tmp_path / "scan.pdf"),
            "has no text layer (a scanned PDF?); run it through OCR (e.g. ocrmypdf) first",
        ),
        ArticleFailure(
            "torn.pdf", str(tmp_path / "torn.pdf"), "is not a readable PDF (PdfStreamError)"
        ),
    ]


@pytest.fixture
def documents(tmp_path: Path) -> Path:
    folder = tmp_path / "seeds"
    _write(
        folder,
        {
            "library.pdf": make_pdf(LIBRARY_PAGES, title="Lakeside Library reopens"),
            "orchard.docx": make_docx(ORCHARD, title="A sweet harvest"),
            "scan.pdf": make_pdf([[], []]),
            "torn.pdf": make_pdf(LIBRARY_PAGES)[:400],
            "ferry.txt": FERRY.encode(),
        },
    )
    return folder


@pytest.fixture
def indexed(documents: Path, tmp_path: Path, embedders: list[PassageEmbeddings]) -> Assistant:
    assistant = Assistant(seeds=documents, index=tmp_path / "index", embedders=embedders)
    report = assistant.sync()
    assert sorted(report.added) == ["ferry.txt", "library.pdf", "orchard.docx"]
    assert [f.article_id for f in report.failures] == ["scan.pdf", "torn.pdf"]
    return assistant


def test_pdf_citation_carries_its_page_everywhere(indexed: Assistant):
    answer = indexed.ask("How much did the new copper roof of Lakeside Library cost?")
    assert not answer.abstained
    first = answer.citations[0]
    assert (first.article_id, first.title, first.page) == (
        "library.pdf",
        "Lakeside Library reopens",
        2,
    )
    assert "2.4 million euros" in first.quote
    assert answer.as_json()["citations"][0]["page"] == 2
    assert '<span class="page">p. 2</span>' in sources_html(answer.citations[:1])


def test_docx_answers_and_articles_without_pages_cite_none(indexed: Assistant):
    answer = indexed.ask("How many tonnes of apples did the Valbrook cooperative harvest?")
    first = answer.citations[0]
    assert (first.article_id, first.title, first.page) == ("orchard.docx", "A sweet harvest", None)
    assert "380 tonnes" in first.quote
    assert "page" not in answer.as_json()["citations"][0]
    ferry = indexed.ask("When does the night ferry to Orsel Island leave?")
    assert ferry.citations[0].article_id == "ferry.txt"
    assert "page" not in ferry.as_json()["citations"][0]
    assert "p. " not in sources_html(ferry.citations)


def test_pages_survive_the_index_and_show_in_the_cli(indexed: Assistant):
    """The pages are saved with the article's record (index.json), which the command reads."""
    _, records = read_records(live_generation(indexed.settings.index))
    assert records["library.pdf"].pages[:2] == (0, len("\n".join(LIBRARY_PAGES[0])) + 2)
    assert records["ferry.txt"].pages == ()
    result = CliRunner().invoke(
        app,
        [
            "--seeds", str(indexed.settings.seeds), "--index", str(indexed.settings.index),
            "ask", "How much did the new copper roof of Lakeside Library cost?",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "[1] Lakeside Library reopens, p. 2 (" in result.stdout


def test_pdf_and_docx_uploads_are_saved_and_a_scan_refused(tmp_path: Path):
    from assistant.surfaces.uploads import UploadResult, save_uploads

    uploads = tmp_path / "uploads"
    _write(
        uploads,
        {
            "library.pdf": make_pdf(LIBRARY_PAGES),
            "orchard.docx": make_docx(ORCHARD),
            "scan.pdf": make_pdf([[]]),
        },
    )
    names = ["library.pdf", "orchard.docx", "scan.pdf"]
    result = save_uploads([uploads / name for name in names], tmp_path / "seeds")
    assert result == UploadResult(
        saved=["library.pdf", "orchard.docx"],
        rejected=[
            (
                "scan.pdf",
                "has no text layer (a scanned PDF?); run it through OCR (e.g. ocrmypdf) first",
            )
        ],
    )
