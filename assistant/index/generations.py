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

import logging
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from assistant.errors import (
    IndexBusy,
    IndexDamaged,
    IndexMismatch,
    IndexNotFound,
    IndexWriteFailed,
    describe_invalid,
)
from assistant.index.folders import copy_folder
from assistant.index.health import open_generation, probe, probe_once, written_whole
from assistant.index.store import (
    MANIFEST,
    Manifest,
    PassageStore,
    drop_server_collections,
    read_records,
    write_atomically,
)

logger = logging.getLogger(__name__)

_POINTER = "CURRENT"
_LOCK = "write.lock"


def live_generation(index_dir: Path) -> Path | None:
    """The folder of the generation that answers questions, or None if there is no index.

    Raises:
        IndexDamaged: the pointer is unreadable or names a generation that is missing.
    """
    live = _read_pointer(index_dir).live
    if live is None:
        return None
    folder = index_dir / live
    if not folder.is_dir():
        raise IndexDamaged(index_dir, f"{_POINTER} names {live}, which is missing")
    return folder


def open_live(
    index_dir: Path, expected: Manifest, chroma_url: str | None = None, probe_first: bool = False
) -> PassageStore:
    """Open the live generation for reading, checking it was built like `expected` says and
    that its files are whole (`open_generation`). `probe_first` reads it in another process
    before this one touches it (`probe_once`: not one this process wrote or probed before):
    for long-running servers, which a damaged segment must not crash.

    Raises:
        IndexNotFound: nothing has been indexed yet.
        IndexMismatch: it was built with another embedder or chunking.
        IndexDamaged: a file of it is missing, cut short or inconsistent with the others.
    """
    folder = live_generation(index_dir)
    if folder is None:
        raise IndexNotFound(index_dir)
    folder = _matching_generation(index_dir, folder, expected)
    if probe_first and (damage := probe_once(folder, chroma_url)):
        raise IndexDamaged(folder, damage)
    return open_generation(folder, chroma_url)


def _matching_generation(index_dir: Path, live: Path, expected: Manifest) -> Path:
    """The live generation, or the one before it when only that was built like `expected`
    says.

    After a rebuild with another embedder is swapped in, processes still configured with
    the old one (a running web page) keep answering from the generation before it until
    they are restarted, instead of failing.

    Raises:
        IndexMismatch: neither was built like `expected` says.
    """
    try:
        check_manifest(index_dir, read_records(live)[0], expected)
    except IndexMismatch:
        previous = _previous_matching(index_dir, expected)
        if previous is None:
            raise
        logger.warning(
            "The index at %s was rebuilt with other settings; answering from the generation "
            "before it until this process is restarted with the new settings.",
            index_dir,
        )
        return previous
    return live


def _previous_matching(index_dir: Path, expected: Manifest) -> Path | None:
    name = _read_pointer(index_dir).previous
    folder = index_dir / name if name else None
    if folder is None or not folder.is_dir():
        return None
    try:
        manifest = read_records(folder)[0]
    except IndexDamaged as err:
        logger.warning("The generation before the live one is damaged: %s", err.reason)
        return None
    return folder if manifest is not None and not manifest.differences(expected) else None


@dataclass(frozen=True)
class IndexCheck:
    """What `check_live` found whole."""

    index: Path
    generation: str
    articles: int
    passages: int
    models: int
    seconds: float

    def summary(self) -> str:
        """One sentence for people."""
        return (
            f"The index at {self.index} is whole: {self.articles} articles, {self.passages} "
            f"passages, {self.models} dense model{'s' if self.models != 1 else ''} "
            f"({self.generation}); every file, count and stored vector checked in "
            f"{self.seconds:.1f} s."
        )


def check_live(index_dir: Path, expected: Manifest, chroma_url: str | None = None) -> IndexCheck:
    """Check the live generation thoroughly, in another process (`probe_in_this_process`).

    Raises:
        IndexNotFound: nothing has been indexed yet.
        IndexMismatch: it was built with other settings.
        IndexDamaged: a check failed.
        ProbeFailed: the check itself could not run.
    """
    started = time.perf_counter()
    folder = live_generation(index_dir)
    if folder is None:
        raise IndexNotFound(index_dir)
    manifest, articles = read_records(folder)
    check_manifest(index_dir, manifest, expected)
    if damage := probe(folder, chroma_url, thorough=True):
        raise IndexDamaged(folder, damage)
    return IndexCheck(
        index=index_dir,
        generation=folder.name,
        articles=len(articles),
        passages=sum(record.passages for record in articles.values()),
        models=len(manifest.dense_models),
        seconds=time.perf_counter() - started,
    )


def check_manifest(index_dir: Path, found: Manifest | None, expected: Manifest) -> None:
    if found is None:
        raise IndexDamaged(index_dir, f"the live generation has no {MANIFEST}")
    differences = found.differences(expected)
    if differences:
        raise IndexMismatch(index_dir, differences)


def start_generation(index_dir: Path, copy_of: Path | None, chroma_url: str | None = None) -> Path:
    """A new private generation folder: a copy of `copy_of`, or empty. A copy that fails
    (a full disk) is removed before the error is raised."""
    folder = index_dir / f"gen-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}"
    if copy_of is None:
        folder.mkdir(parents=True)
        return folder
    try:
        copy_folder(copy_of, folder)
        if chroma_url:
            source = PassageStore(copy_of, chroma_url)
            try:
                target = PassageStore(folder, chroma_url, models=source.models)
                try:
                    target.copy_from(source)
                finally:
                    target.close()
            finally:
                source.close()
    except BaseException:
        discard_generation(index_dir, folder, chroma_url)
        raise
    return folder


def promote(
    index_dir: Path, folder: Path, chroma_url: str | None = None, keep_previous: bool = True
) -> None:
    """Make `folder` the live generation. The one before is kept for readers still using
    it, unless `keep_previous` is False (it is damaged): then it is removed."""
    try:
        live = _read_pointer(index_dir).live
    except IndexDamaged:  # the pointer itself was damaged: nothing to keep
        live = None
    pointer = _Pointer(live=folder.name, previous=live if keep_previous else None)
    write_atomically(index_dir / _POINTER, pointer.model_dump_json())
    written_whole(folder)
    remove_stale_generations(index_dir, chroma_url)


def discard_generation(index_dir: Path, folder: Path, chroma_url: str | None = None) -> None:
    """Remove an unfinished generation (never the live or previous one)."""
    try:
        pointer = _read_pointer(index_dir)
    except IndexDamaged:  # no generation can be told live: `folder` was started by us
        pointer = _Pointer()
    if folder.name in (pointer.live, pointer.previous):
        return
    if chroma_url:
        drop_server_collections(folder, chroma_url)
    shutil.rmtree(folder, ignore_errors=True)


def remove_stale_generations(index_dir: Path, chroma_url: str | None = None) -> None:
    """Delete generations that are neither live nor previous (e.g. left by a killed writer).

    Call only while holding the write lock. On a server, only collections of this index's
    own generation folders are dropped: the server may hold other indexes too.

    Raises:
        IndexDamaged: the pointer is unreadable, so no generation can be told stale.
    """
    pointer = _read_pointer(index_dir)
    for folder in index_dir.glob("gen-*"):
        if folder.name not in (pointer.live, pointer.previous):
            discard_generation(index_dir, folder, chroma_url)


_GENERATION_NAME = r"^gen-[0-9]{8}-[0-9]{6}-[0-9a-f]{8}$"


class _Pointer(BaseModel):
    """The shape of the pointer file: generation folder names, nothing else."""

    model_config = ConfigDict(strict=True, extra="forbid")

    live: str | None = Field(None, pattern=_GENERATION_NAME)
    previous: str | None = Field(None, pattern=_GENERATION_NAME)


def _read_pointer(index_dir: Path) -> _Pointer:
    path = index_dir / _POINTER
    if not path.exists():
        return _Pointer()
    try:
        return _Pointer.model_validate_json(path.read_bytes())
    except (OSError, ValidationError) as err:
        raise IndexDamaged(index_dir, f"unreadable {_POINTER}: {describe_invalid(err)}") from err


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
