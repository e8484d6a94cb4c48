"""Bad input, each case: a clear message, and nothing else lost.

Articles are checked all together in one folder (one bad file must never cost the others),
questions against the indexed seed, uploads against the seeds folder.
"""

from __future__ import annotations

import codecs
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.errors import BadQuestion
from assistant.ingest.articles import read_articles
from assistant.ingest.passages import split_passages
from assistant.surfaces.api import Assistant
from assistant.surfaces.uploads import save_uploads

GOOD = "Hafen\nDie Fähre nach Norderney fährt wieder. Der Hafen war drei Tage gesperrt."


def _write(folder: Path, name: str, data: bytes | str) -> None:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)


# (file name, content, reason it is skipped for, or None when it must be read correctly)
ARTICLE_CASES = [
    ("empty.txt", b"", "has no text"),
    ("whitespace.txt", " \n\t\n   \n", "has no text"),
    ("binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "looks like a binary file, not text"),
    ("invalid-utf8.txt", b"Bericht\nDie Br\xfccke \xe4ndert sich.\x81", None),
    ("latin1.txt", "Größe\nDie Straße ist gesperrt.".encode("latin-1"), None),
    ("utf16.txt", codecs.BOM_UTF16_LE + "Brücke\nDie Brücke ist offen.".encode("utf-16-le"), None),
    ("big.txt", b"Big\n" + b"x" * (50 * 1024 * 1024), "articles over 10 MB are not indexed"),
    ("one-line.txt", "Lang\n" + "Wort " * 200_000, None),  # a single 1 MB line
    ("front.md", "---\ntitle: [unclosed\n---\nText des Artikels.", "malformed front matter"),
    ("bad-date.txt", "date 2025-13-45 Falsches Datum\nDer Termin ist unklar.", None),
    ("kopie von hafen.txt", GOOD, "is a duplicate of hafen.txt"),
    ("leerzeichen und ümlaute ✓.txt", "Titel\nDer Dateiname hat Leerzeichen.", None),
    ("scripts.html", "<script>alert(1)</script><style>p{}</style>", "no readable article text"),
    ("report.pdf", b"%PDF-1.7\n", "is not a readable PDF"),
    ("notes.docx", b"PK\x03\x04", "is not a readable .docx file"),
    ("notes.odt", b"PK\x03\x04", "unsupported file type '.odt'"),
    ("only-front-matter.md", "---\ntitle: Leer\n---\n", "has no text"),
    ("controls.txt", "Steuer\x1b[31m\nDer Text\x07 hat \x1b[2JSteuerzeichen.\r\n", None),
]


@pytest.fixture
def bad_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "seeds"
    _write(folder, "hafen.txt", GOOD)
    for name, data, _ in ARTICLE_CASES:
        _write(folder, name, data)
    outside = tmp_path / "secret.txt"
    outside.write_text("Geheim\nNicht indexieren.", encoding="utf-8")
    os.symlink(outside, folder / "link-out.txt")
    return folder


def test_every_bad_article_is_reported_and_the_rest_read(bad_folder: Path):
    articles, failures = read_articles(bad_folder)
    reasons = {f.article_id: f.reason for f in failures}
    read = {a.id: a for a in articles}
    for name, _, reason in ARTICLE_CASES:
        if reason is None:
            assert name in read, reasons.get(name)
        else:
            assert reason in reasons[name], (name, reasons.get(name))
    assert "not followed" in reasons["link-out.txt"]
    assert "hafen.txt" in read
    assert len(read) + len(reasons) == len(ARTICLE_CASES) + 2

    assert "Brücke" in read["utf16.txt"].text
    assert read["latin1.txt"].title == "Größe"
    assert "Br\u00fccke \u00e4ndert" in read["invalid-utf8.txt"].text  # read as Windows-1252
    assert read["bad-date.txt"].date is None
    assert read["bad-date.txt"].title == "Falsches Datum"
    controls = read["controls.txt"]
    assert controls.title == "Steuer[31m"
    assert controls.text == "Der Text hat [2JSteuerzeichen."  # no ESC, BEL or CR left


def test_one_huge_line_becomes_quotable_passages(bad_folder: Path):
    articles, _ = read_articles(bad_folder)
    line = next(a for a in articles if a.id == "one-line.txt")
    passages = split_passages(line, 500, 1)
    assert len(passages) > 1000
    assert max(len(p.text) for p in passages) <= 1000
    assert all(line.text[p.start : p.end] == p.text for p in passages)


@pytest.mark.slow
def test_index_command_reports_each_bad_file_and_indexes_the_rest(bad_folder: Path, tmp_path: Path):
    # The 1 MB line alone would take the embedder minutes; its splitting is tested above.
    (bad_folder / "one-line.txt").unlink()
    done = subprocess.run(
        [sys.executable, "-m", "assistant", "--seeds", str(bad_folder), "--index",
         str(tmp_path / "index"), "index"],
        capture_output=True, text=True, timeout=600, env=os.environ | {"COLUMNS": "300"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    skipped = [name for name, _, reason in ARTICLE_CASES if reason] + ["link-out.txt"]
    for name in skipped:
        assert f"Skipped {bad_folder / name}" in done.stderr, name
    read = [name for name, _, reason in ARTICLE_CASES if reason is None and name != "one-line.txt"]
    assert f"{len(read) + 1} added" in done.stdout
    assert f"{len(skipped)} skipped" in done.stdout
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("question", "message"),
    [
        ("", "The question is empty"),
        ("   \n\t ", "The question is empty"),
        ("x" * 10_000, "10000 characters long"),
        ("?!… ---", "has no words"),
        ("\x00\x1b\x07", "The question is empty"),
    ],
)
def test_bad_question_is_a_clear_message(built: Assistant, question: str, message: str):
    with pytest.raises(BadQuestion, match=message):
        built.ask(question)


@pytest.mark.parametrize(
    "question",
    [
        "Что Рубио сказал о России?",  # Cyrillic  # noqa: RUF001
        "鲁比奥对俄罗斯说了什么？",  # Chinese  # noqa: RUF001
        "What did Rubio\x1b[31m say about\x00 Russia?",  # control characters
        "<script>alert(1)</script> What did Rubio say about Russia?",
    ],
)
def test_questions_in_other_scripts_or_with_noise_are_answered_from_the_articles(
    built: Assistant, question: str
):
    answer = built.ask(question)
    assert not answer.abstained
    assert any("Rubio" in c.quote for c in answer.citations)
    assert "\x1b" not in answer.question and "\x00" not in answer.question


def test_question_about_something_absent_abstains(built: Assistant):
    answer = built.ask("Wie hoch ist der Leitzins der japanischen Zentralbank?")
    assert answer.abstained
    assert answer.citations == ()


@pytest.mark.parametrize(
    ("client_name", "data", "saved", "reason"),
    [
        ("../../etc/passwd", b"root:x:0:0", None, "is not an article file"),
        ("../../evil.txt", GOOD.encode(), "evil.txt", None),
        ("/abs/path/article.md", b"# Titel\n\nText.", "article.md", None),
        ("C:\\Users\\x\\win.txt", b"Titel\nText aus Windows.", "win.txt", None),
        ("big.txt", b"x" * (10 * 1024 * 1024 + 1), None, "the limit is 10 MB"),
        ("program.exe", b"MZ\x90\x00", None, "is not an article file"),
        ("page.svg", b"<svg onload=alert(1)>", None, "is not an article file"),
        ("x" * 250 + ".txt", b"Titel\nLanger Name.", "x" * 80 + ".txt", None),
    ],
)
def test_uploads_land_only_in_the_seeds_folder_or_are_refused(
    tmp_path: Path, client_name: str, data: bytes, saved: str | None, reason: str | None
):
    # The web server keeps an upload under the client's file name (path parts and all
    # would be the client's choice), so the file handed over is named after its last part.
    incoming = tmp_path / "incoming"
    incoming.mkdir()
    upload = incoming / client_name.replace("\\", "/").rsplit("/", 1)[-1]
    upload.write_bytes(data)
    seeds = tmp_path / "seeds"
    outside = sorted(tmp_path.parent.iterdir())
    result = save_uploads([upload], seeds)
    if saved:
        assert result.saved == [saved] and result.rejected == []
        assert (seeds / saved).read_bytes() == data
    else:
        assert result.saved == [] and reason in result.rejected[0][1]
        assert list(seeds.iterdir()) == []
    assert sorted(tmp_path.parent.iterdir()) == outside  # nothing written beside tmp_path
    assert all(p.parent == seeds for p in seeds.rglob("*"))


def _cli(*args: str, seeds: Path, index: Path) -> subprocess.CompletedProcess:
    """`assistant` as a user runs it, with the model-free embedder (no model to load)."""
    return subprocess.run(
        [sys.executable, "-m", "assistant", "--seeds", str(seeds), "--index", str(index), *args],
        capture_output=True, text=True, timeout=300,
        env=os.environ | {"COLUMNS": "300", "ASSISTANT_DENSE_MODELS": '[{"model": "hashing"}]'},
    )  # fmt: skip


def test_control_characters_in_file_names_and_titles_never_reach_the_terminal(tmp_path: Path):
    """Probe finding: `index` and `articles` printed a file name's raw ESC, which a
    terminal obeys (colours, a cleared screen, a changed window title)."""
    seeds = tmp_path / "seeds"
    _write(seeds, "\x1b[31mred.txt", "Rot\nDie Fähre nach Norderney fährt wieder.")
    _write(seeds, "bell.md", '---\ntitle: "Bell \\a and \\e[2J clear"\n---\nDer Hafen ist offen.')
    _write(seeds, "\x1b]0;owned\x07.png", b"\x89PNG")
    _write(seeds, "nl\nSkipped fake.txt", "Zeile\nEin Name mit Zeilenumbruch.")
    indexed = _cli("index", seeds=seeds, index=tmp_path / "index")
    listed = _cli("articles", seeds=seeds, index=tmp_path / "index")
    assert indexed.returncode == 0 and listed.returncode == 0, indexed.stderr + listed.stderr
    for output in (indexed.stdout, indexed.stderr, listed.stdout, listed.stderr):
        assert not set(output) & {"\x1b", "\x07", "\x9b"}, output
    assert "Skipped \\x1b]0;owned\\x07.png" in indexed.stderr.replace(str(seeds) + "/", "")
    assert "\\x1b[31mred.txt" in listed.stdout and "Bell \\x07 and \\x1b[2J clear" in listed.stdout
    assert "nl\\x0aSkipped fake.txt" in listed.stdout


def test_deeply_nested_history_file_is_a_clear_error(tmp_path: Path):
    """Probe finding: a --history file of 100000 "[" gave a RecursionError traceback."""
    history = tmp_path / "history.json"
    history.write_text("[" * 100_000, encoding="utf-8")
    done = _cli("ask", "--history", str(history), "Und?", seeds=tmp_path, index=tmp_path / "i")
    assert done.returncode == 2, done.stderr
    assert "Cannot read the history file" in done.stderr and "nested too deeply" in done.stderr
    assert "Traceback" not in done.stderr
