"""Uploads land inside the seeds folder under safe names, and only readable articles do."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from assistant.surfaces.uploads import safe_name, save_uploads
from tests.conftest import SEED


@pytest.mark.parametrize(
    ("given", "saved"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("/abs/path/report.MD", "report.md"),
        ("C:\\Users\\x\\notes.txt", "notes.txt"),
        ("na\x00me.txt", "name.txt"),
        ("Brücke über die Elbe.txt", "Brücke über die Elbe.txt"),
        ("<script>.html", "script.html"),
        ("...txt", "txt"),  # no suffix left: refused as not an article
        (".hidden.txt", "hidden.txt"),
        ("-.txt", "article.txt"),
        ("a" * 50_000 + ".txt", "a" * 80 + ".txt"),
    ],
)
def test_upload_names_are_chosen_by_the_server(given: str, saved: str):
    assert safe_name(given) == saved


def _upload(folder: Path, name: str, data: bytes | str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def test_good_uploads_are_saved_and_bad_ones_refused_with_reasons(tmp_path: Path):
    seeds = tmp_path / "seeds"
    inbox = tmp_path / "inbox"
    good = _upload(inbox, "good.txt", "Titel\n\nEin Satz über den Hafen von Hamburg.")
    empty = _upload(inbox, "empty.md", "   \n")
    binary = _upload(inbox, "binary.txt", b"\x00\x01\x02PNG")
    program = _upload(inbox, "run.exe", b"MZ")
    big = _upload(inbox, "big.txt", "x" * 2000)
    result = save_uploads([good, empty, binary, program, big], seeds, max_bytes=1000)
    assert result.saved == ["good.txt"]
    reasons = dict(result.rejected)
    assert set(reasons) == {"empty.md", "binary.txt", "run.exe", "big.txt"}
    assert "no text" in reasons["empty.md"]
    assert "binary" in reasons["binary.txt"]
    assert "not an article file" in reasons["run.exe"]
    assert "limit" in reasons["big.txt"]
    assert sorted(p.name for p in seeds.iterdir()) == ["good.txt"]


def test_upload_never_replaces_an_article_and_refuses_indexed_copies(tmp_path: Path):
    seeds = tmp_path / "seeds"
    existing = _upload(seeds, "notes.txt", "Alt\n\nDer alte Text bleibt erhalten.")
    new = _upload(tmp_path / "inbox", "notes.txt", "Neu\n\nEin neuer Text über Brücken.")
    copy = _upload(tmp_path / "inbox2", "copy.txt", SEED.read_bytes())
    known = {hashlib.sha256(SEED.read_bytes()).hexdigest(): SEED.name}
    result = save_uploads([new, copy], seeds, known_hashes=known)
    assert result.saved == ["notes-2.txt"]
    assert existing.read_text().startswith("Alt")
    assert (seeds / "notes-2.txt").read_text().startswith("Neu")
    assert "already indexed" in dict(result.rejected)["copy.txt"]
    assert not any(p.name.startswith(".upload-") for p in seeds.iterdir())
