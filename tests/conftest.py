"""Shared fixtures: real Chroma in temp folders, the real default embedder (loaded once)."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from assistant.ingest.articles import read_article
from assistant.ingest.passages import split_sentences
from assistant.models.embeddings import PassageEmbeddings, make_embedders
from assistant.settings import Settings
from assistant.speech.statement_index import StatementIndex
from assistant.speech.statements import article_speech
from assistant.surfaces.api import Assistant

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "seeds" / "000_bdd157e6eb167cd2.txt"
XQUAD_SUBSET = Path(__file__).resolve().parent / "data" / "xquad" / "xquad.de.subset.json"


def xquad_articles() -> dict[int, dict]:
    """German XQuAD articles shipped in tests/data (CC BY-SA 4.0), by their XQuAD index."""
    data = json.loads(XQUAD_SUBSET.read_text(encoding="utf-8"))["data"]
    return {article["index"]: article for article in data}


# Fixtures that load a model, start a server or drive a browser. A test that needs none of
# them, and is not marked `slow` (e.g. it runs the CLI, which loads the model, in a
# subprocess), is marked `fast`: `pytest -m fast` is the quick inner loop.
_SLOW_FIXTURES = frozenset(
    {"embedders", "embedder", "reference", "chroma_server", "served", "browser", "page"}
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        slow = item.get_closest_marker("slow") is not None
        if not slow and _SLOW_FIXTURES.isdisjoint(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.fast)


@pytest.fixture(autouse=True)
def _isolated_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test touches the repository's index/ or seeds/."""
    monkeypatch.setenv("ASSISTANT_INDEX", str(tmp_path / "index"))
    monkeypatch.setenv("ASSISTANT_SEEDS", str(tmp_path / "seeds"))


@pytest.fixture(scope="session")
def embedders() -> list[PassageEmbeddings]:
    """The default dense models (e5, USE), loaded once for the whole session."""
    return make_embedders(Settings())


@pytest.fixture(scope="session")
def embedder(embedders: list[PassageEmbeddings]) -> PassageEmbeddings:
    """The primary model, the bundled e5."""
    return embedders[0]


@pytest.fixture
def seeds(tmp_path: Path) -> Path:
    folder = tmp_path / "seeds"
    folder.mkdir()
    shutil.copy(SEED, folder / SEED.name)
    return folder


@pytest.fixture
def assistant(seeds: Path, tmp_path: Path, embedders: list[PassageEmbeddings]) -> Assistant:
    return Assistant(seeds=seeds, index=tmp_path / "index", embedders=embedders)


@pytest.fixture
def built(assistant: Assistant) -> Assistant:
    assistant.sync()
    return assistant


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real `chroma run` on a free loopback port, stopped after the session."""
    import socket
    import subprocess
    import sys
    import time

    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    chroma = Path(sys.executable).with_name("chroma")
    folder = tmp_path_factory.mktemp("chroma-server")
    log = (folder / "server.log").open("w")
    server = subprocess.Popen(
        [str(chroma), "run", "--path", str(folder / "data"), "--host", "127.0.0.1",
         "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{url}/api/v2/heartbeat").status_code == 200:
                break
        except httpx.TransportError:
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            raise RuntimeError(f"chroma run did not start: {(folder / 'server.log').read_text()}")
        time.sleep(0.2)
    yield url
    server.terminate()
    server.wait(timeout=30)
    log.close()


@pytest.fixture(scope="session")
def statements() -> StatementIndex:
    """Who the seed article quotes (Rubio, Waltz, Palissa) and the names it uses."""
    article = read_article(SEED, SEED.name)
    spans = [(s.start, s.end) for s in split_sentences(article.text, article.language)]
    speech = article_speech(article.text, article.language, spans, article.title)
    return StatementIndex({SEED.name: speech})
