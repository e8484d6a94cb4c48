"""Index generations: which one answers, how a writer builds the next one and swaps it in.

Layout of the index folder::

    CURRENT          {"live": "gen-…", "previous": "gen-…"}: which generation answers
    write.lock       held by the one process that writes
    gen-…/           one generation (store.py)

Writers never touch the live generation: they copy it, change the copy and swap the
pointer (an atomic rename). Readers therefore never share a Chroma folder with a writer
(embedded Chroma is not multi-process safe, chroma-core/chroma#7040), and a writer killed
at any point leaves the live generation whole.
"""

from __future__ import annotations

import json
import logging
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from assistant.errors import IndexBusy, IndexDamaged, IndexMismatch, IndexNotFound, IndexWriteFailed
from assistant.index.store import (
    MANIFEST,
    Manifest,
    PassageStore,
    drop_server_collections,
    write_atomically,
)

logger = logging.getLogger(__name__)

_POINTER = "CURRENT"
_LOCK = "write.lock"


def live_generation(index_dir: Path) -> Path | None:
    """The folder of the generation that answers questions, or None if there is no index."""
    pointer = _read_pointer(index_dir)
    if not pointer.get("live"):
        return None
    folder = index_dir / pointer["live"]
    if not folder.is_dir():
        raise IndexDamaged(index_dir, f"{_POINTER} names {pointer['live']}, which is missing")
    return folder


def open_live(index_dir: Path, expected: Manifest, chroma_url: str | None = None) -> PassageStore:
    """Open the live generation for reading, checking it was built like `expected` says.

    Raises:
        IndexNotFound: nothing has been indexed yet.
        IndexMismatch: it was built with another embedder or chunking.
    """
    folder = live_generation(index_dir)
    if folder is None:
        raise IndexNotFound(index_dir)
    store = PassageStore(folder, chroma_url)
    try:
        check_manifest(index_dir, store.manifest, expected)
    except IndexMismatch:
        store.close()
        previous = _previous_matching(index_dir, expected, chroma_url)
        if previous is None:
            raise
        return previous
    return store


def _previous_matching(
    index_dir: Path, expected: Manifest, chroma_url: str | None
) -> PassageStore | None:
    """The previous generation when it was built like `expected` says.

    After a rebuild with another embedder is swapped in, processes still configured with
    the old one (a running web page) keep answering from the generation before it until
    they are restarted, instead of failing.
    """
    name = _read_pointer(index_dir).get("previous")
    folder = index_dir / name if name else None
    if folder is None or not folder.is_dir():
        return None
    store = PassageStore(folder, chroma_url)
    if store.manifest is None or store.manifest.differences(expected):
        store.close()
        return None
    logger.warning(
        "The index at %s was rebuilt with other settings; answering from the generation "
        "before it until this process is restarted with the new settings.",
        index_dir,
    )
    return store


_PROBE = """
import sys
from pathlib import Path
from assistant.index.generations import probe_in_this_process
probe_in_this_process(Path(sys.argv[1]), sys.argv[2] if len(sys.argv) > 2 else None)
"""


def probe(folder: Path, chroma_url: str | None = None) -> str | None:
    """Whether generation `folder` can be read, asked in a separate process.

    A Chroma segment left broken by a killed write crashes the process that first reads
    it (chroma-core/chroma#7238) rather than raising; only another process can find out.

    Returns:
        None when healthy, else what went wrong, in words.
    """
    command = [sys.executable, "-c", _PROBE, str(folder), *([chroma_url] if chroma_url else [])]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired:
        return "reading it did not finish within 5 minutes"
    if done.returncode == 0:
        return None
    if done.returncode < 0:
        return f"reading it crashed the reader ({signal.Signals(-done.returncode).name})"
    last = (done.stderr.strip().splitlines() or ["no message"])[-1]
    return f"reading it failed: {last[:300]}"


def probe_in_this_process(folder: Path, chroma_url: str | None) -> None:
    """Open generation `folder` and search every collection, as a question will."""
    store = PassageStore(folder, chroma_url)
    try:
        store.probe()
    finally:
        store.close()


def check_manifest(index_dir: Path, found: Manifest | None, expected: Manifest) -> None:
    if found is None:
        raise IndexDamaged(index_dir, f"the live generation has no {MANIFEST}")
    differences = found.differences(expected)
    if differences:
        raise IndexMismatch(index_dir, differences)


def start_generation(index_dir: Path, copy_of: Path | None, chroma_url: str | None = None) -> Path:
    """A new private generation folder: a copy of `copy_of`, or empty."""
    folder = index_dir / f"gen-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}"
    if copy_of is None:
        folder.mkdir(parents=True)
    else:
        shutil.copytree(copy_of, folder)
        if chroma_url:
            source, target = PassageStore(copy_of, chroma_url), PassageStore(folder, chroma_url)
            try:
                target.copy_from(source)
            finally:
                source.close()
                target.close()
    return folder


def promote(index_dir: Path, folder: Path, chroma_url: str | None = None) -> None:
    """Make `folder` the live generation; keep the one before for readers still using it."""
    pointer = _read_pointer(index_dir)
    new_pointer = {"live": folder.name, "previous": pointer.get("live")}
    write_atomically(index_dir / _POINTER, json.dumps(new_pointer))
    remove_stale_generations(index_dir, chroma_url)


def discard_generation(index_dir: Path, folder: Path, chroma_url: str | None = None) -> None:
    """Remove an unfinished generation (never the live or previous one)."""
    if folder.name in _read_pointer(index_dir).values():
        return
    if chroma_url:
        drop_server_collections(folder, chroma_url)
    shutil.rmtree(folder, ignore_errors=True)


def remove_stale_generations(index_dir: Path, chroma_url: str | None = None) -> None:
    """Delete generations that are neither live nor previous (e.g. left by a killed writer).

    Call only while holding the write lock. On a server, only collections of this index's
    own generation folders are dropped: the server may hold other indexes too.
    """
    for folder in index_dir.glob("gen-*"):
        discard_generation(index_dir, folder, chroma_url)


def _read_pointer(index_dir: Path) -> dict:
    path = index_dir / _POINTER
    if not path.exists():
        return {}
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError as err:
        raise IndexDamaged(index_dir, f"unreadable {_POINTER}") from err


@contextmanager
def write_lock(index_dir: Path) -> Iterator[None]:
    """Hold the index's single-writer lock; another writer gets `IndexBusy` at once."""
    from filelock import FileLock, Timeout

    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        lock = FileLock(index_dir / _LOCK, timeout=0)
        lock.acquire()
    except Timeout as err:
        raise IndexBusy(index_dir) from err
    except OSError as err:  # a read-only or full file system
        raise IndexWriteFailed(index_dir, err) from err
    try:
        yield
    finally:
        lock.release()
