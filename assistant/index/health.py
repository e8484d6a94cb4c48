"""Whether a generation can be read: cheap checks whenever one is opened, and a probe in
another process for what only reading it shows.

The cheap checks compare files with their own headers and with each other (Chroma's files
before Chroma reads them, `chroma_files.py`; the vector files' rows; each collection's and
each vector file's size against the article records). The probe opens the generation and
searches it in a separate process, because a damaged Chroma segment can crash its reader
(chroma-core/chroma#7238); thorough, it also compares every stored vector with its copy.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from assistant.errors import IndexDamaged, ProbeFailed
from assistant.index.chroma_files import check_chroma_folder
from assistant.index.keywords import keywords_damage
from assistant.index.store import MANIFEST, PassageStore, read_records
from assistant.index.vector_files import VectorFiles
from assistant.speech.statement_index import StatementIndex


def open_generation(folder: Path, chroma_url: str | None = None) -> PassageStore:
    """Generation `folder` opened for reading after the cheap checks of its consistency:
    its Chroma files against their headers before Chroma reads them (a damaged one can
    crash the reader), then each collection's size and each vector file's against the
    article records.

    Raises:
        IndexDamaged: it fails a check.
    """
    if not chroma_url:
        check_chroma_folder(folder / "chroma")
    store = PassageStore(folder, chroma_url)
    try:
        store.check()
    except IndexDamaged:
        store.close()
        raise
    return store


def check_files(folder: Path, chroma_url: str | None = None) -> None:
    """The checks of `open_generation` that need no Chroma: its files against their
    headers, its vector files against its article records.

    Raises:
        IndexDamaged: it fails a check.
    """
    if not chroma_url:
        check_chroma_folder(folder / "chroma")
    manifest, articles = read_records(folder)
    if manifest is None:
        raise IndexDamaged(folder, f"it has no {MANIFEST}")
    passages = sum(record.passages for record in articles.values())
    for model in range(len(manifest.dense_models)):
        for kind in ("sentences", "passage-vectors"):
            files = VectorFiles(folder / f"{kind}-{model}")
            if len(files) < passages:
                raise IndexDamaged(folder, f"{files.folder.name} lacks vectors of passages")


# Exit codes of the probe process: damage found, or another failure (its message last).
_DAMAGED, _FAILED = 3, 4
_PROBE = f"""
import sys
from pathlib import Path
from assistant.errors import AssistantError, IndexDamaged
from assistant.index.health import probe_in_this_process
folder, url, thorough = Path(sys.argv[1]), sys.argv[2] or None, sys.argv[3] == "thorough"
try:
    probe_in_this_process(folder, url, thorough)
except IndexDamaged as err:
    print(err.reason.replace("\\n", " "), file=sys.stderr)
    sys.exit({_DAMAGED})
except AssistantError as err:
    print(str(err).replace("\\n", " "), file=sys.stderr)
    sys.exit({_FAILED})
"""


# Generations this process knows it can read: it wrote them and lived to promote them (the
# broken segment a probe looks for is left by a write that was killed), or a quick probe read
# them. A promoted generation is never written again, so a long-running server or watch
# probes each one once at most instead of at every sync and every swap; the cheap checks
# still run every time.
_readable: set[Path] = set()


def written_whole(folder: Path) -> None:
    """Remember generation `folder` as readable: this process wrote it and closed it."""
    _readable.add(folder.resolve())


def probe_once(folder: Path, chroma_url: str | None = None) -> str | None:
    """`probe(folder)`, unless this process knows the generation readable already (it wrote
    it, or a probe found it healthy, which is then remembered)."""
    if folder.resolve() in _readable:
        return None
    damage = probe(folder, chroma_url)
    if damage is None:
        _readable.add(folder.resolve())
    return damage


def probe(folder: Path, chroma_url: str | None = None, thorough: bool = False) -> str | None:
    """Whether generation `folder` can be read, asked in a separate process.

    A Chroma segment left broken by a killed write crashes the process that first reads
    it (chroma-core/chroma#7238) rather than raising; only another process can find out.
    `thorough` checks every stored vector too (`probe_in_this_process`).

    Returns:
        None when healthy, else what is damaged, in words.

    Raises:
        ProbeFailed: the check itself failed (a full disk, an unreachable server).
    """
    depth = "thorough" if thorough else "quick"
    command = [sys.executable, "-c", _PROBE, str(folder), chroma_url or "", depth]
    minutes = 60 if thorough else 5
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=minutes * 60)
    except subprocess.TimeoutExpired:
        return f"reading it did not finish within {minutes} minutes"
    last = (done.stderr.strip().splitlines() or ["no message"])[-1]
    if done.returncode == 0:
        return None
    if done.returncode < 0:
        return f"reading it crashed the reader ({signal.Signals(-done.returncode).name})"
    if done.returncode == _DAMAGED:
        return last
    if done.returncode == _FAILED:
        raise ProbeFailed(last)
    return f"reading it failed: {last[:300]}"


def probe_in_this_process(folder: Path, chroma_url: str | None, thorough: bool = False) -> None:
    """Open generation `folder` and search every collection, as a question will.

    `thorough` also parses its Chroma files whole (kept on the server with a server),
    compares each vector Chroma holds with its copy in the passage-vector files, and reads
    the statements and the keyword index as a question would.

    Raises:
        IndexDamaged: a check failed (other failures raise what they raise).
    """
    if thorough and not chroma_url:
        check_chroma_folder(folder / "chroma", thorough=True)
    store = open_generation(folder, chroma_url)
    try:
        store.probe(thorough)
        if thorough:
            StatementIndex.load(folder, store.articles)
            if damage := keywords_damage(folder, store.count()):
                raise IndexDamaged(folder, damage)
    finally:
        store.close()
