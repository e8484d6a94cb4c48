"""Shared fixtures: real Chroma in temp folders, the real default embedder (loaded once)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.api import Assistant
from assistant.embeddings import PassageEmbeddings, make_embedder
from assistant.settings import Settings

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "seeds" / "000_bdd157e6eb167cd2.txt"
XQUAD = REPO.parent / "shared" / "data" / "xquad"


@pytest.fixture(autouse=True)
def _isolated_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test touches the repository's index/ or seeds/."""
    monkeypatch.setenv("ASSISTANT_INDEX", str(tmp_path / "index"))
    monkeypatch.setenv("ASSISTANT_SEEDS", str(tmp_path / "seeds"))


@pytest.fixture(scope="session")
def embedder() -> PassageEmbeddings:
    return make_embedder(Settings())


@pytest.fixture
def seeds(tmp_path: Path) -> Path:
    folder = tmp_path / "seeds"
    folder.mkdir()
    shutil.copy(SEED, folder / SEED.name)
    return folder


@pytest.fixture
def assistant(seeds: Path, tmp_path: Path, embedder: PassageEmbeddings) -> Assistant:
    return Assistant(seeds=seeds, index=tmp_path / "index", embedder=embedder)


@pytest.fixture
def built(assistant: Assistant) -> Assistant:
    assistant.sync()
    return assistant
