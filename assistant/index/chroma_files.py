"""The embedded Chroma folder of a generation: checked without Chroma, opened for reading
even where it cannot be written.

Chroma reads a damaged file without complaint or dies on it: a short `data_level0.bin`
leaves vectors of uninitialised memory (answers change silently), a short `header.bin`
crashes the process (SIGSEGV, chroma-core/chroma#7238), an emptied `chroma.sqlite3` is
taken for a new, empty store. So before Chroma opens a folder, its files are checked
against their own headers: SQLite's page count, and the element counts and sizes that
hnswlib's persisted index (chroma-core/hnswlib, `loadPersistedIndex`) will read.

Chroma also writes whenever it opens a store (a row in its SQLite file, and the HNSW files
of collections still in its log), so a folder that cannot be written (read-only, not
ours, a full disk) is read from a private copy in the temporary folder
(chroma-core/chroma#1438: there is no read-only client).
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import pickletools
import shutil
import sqlite3
import struct
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.errors import IndexDamaged, IndexUnusable, describe_write_failure
from assistant.index.folders import copy_folder

if TYPE_CHECKING:
    from chromadb.api import ClientAPI
    from chromadb.config import Settings as ChromaSettings

logger = logging.getLogger(__name__)

SQLITE = "chroma.sqlite3"
# What Chroma imports to make a client on a folder.
_CLIENT_MODULES = ("chromadb.api.rust", "chromadb.telemetry.product.posthog")
_import_lock = threading.Lock()
_SQLITE_MAGIC = b"SQLite format 3\x00"
# hnswlib's persisted header: version, offsetLevel0, max_elements, cur_element_count,
# size_data_per_element, label_offset, offsetData, maxlevel, enterpoint_node, maxM,
# maxM0, M, mult, ef_construction.
_HNSW_HEADER = struct.Struct("<iQQQQQQiIQQQdQ")
_HNSW_VERSION = 1
_HNSW_FILES = ("header.bin", "data_level0.bin", "length.bin", "link_lists.bin")
_HNSW_LABELS = "index_metadata.pickle"  # Chroma's id <-> label maps, once vectors are flushed


def check_chroma_folder(folder: Path, thorough: bool = False) -> None:
    """Check the files of the Chroma folder `folder` without opening it.

    `thorough` also has SQLite check every page and parses each label map (pickle
    opcodes, never executed): they read whole files, too slow for every open of a large
    index.

    Raises:
        IndexDamaged: a file is missing, shorter than its header says, or malformed.
    """
    try:
        _check_sqlite(folder / SQLITE, thorough)
        for segment in sorted(p for p in folder.iterdir() if p.is_dir()):
            if any((segment / name).exists() for name in (*_HNSW_FILES, _HNSW_LABELS)):
                _check_hnsw(segment, thorough)
    except _Damage as damage:
        where = damage.path.relative_to(folder.parent)  # from the generation folder
        raise IndexDamaged(folder.parent, f"{where}: {damage.what}") from damage
    except OSError as err:
        raise IndexDamaged(folder.parent, f"{folder.name}: unreadable ({err})") from err


class _Damage(Exception):
    """A file of the Chroma folder that Chroma must not read, and why."""

    def __init__(self, path: Path, what: str) -> None:
        super().__init__(f"{path}: {what}")
        self.path = path
        self.what = what


def _check_sqlite(path: Path, thorough: bool) -> None:
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            header = handle.read(100)
    except OSError as err:
        raise _Damage(path, f"unreadable ({err})") from err
    if size < 100 or not header.startswith(_SQLITE_MAGIC):
        raise _Damage(path, f"not an SQLite database ({size} bytes)")
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    counted = header[24:28] == header[92:96]  # the page count is valid only then
    journal = any(path.with_name(path.name + end).exists() for end in ("-journal", "-wal"))
    if counted and pages and not journal and size != pages * page_size:
        raise _Damage(path, f"{size} bytes, but its header says {pages * page_size}")
    if thorough:
        _check_sqlite_pages(path)


def _check_sqlite_pages(path: Path) -> None:
    """SQLite's own check of every page, on a connection that cannot write (immutable:
    no lock or journal either, so a read-only disk is fine)."""
    try:
        with contextlib.closing(
            sqlite3.connect(f"{path.as_uri()}?mode=ro&immutable=1", uri=True)
        ) as db:
            found = db.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.DatabaseError as err:
        raise _Damage(path, f"SQLite cannot read it ({err})") from err
    if found != "ok":
        raise _Damage(path, f"SQLite finds it damaged ({found})")


def _check_hnsw(segment: Path, thorough: bool) -> None:
    """The persisted HNSW index in `segment`: every file hnswlib reads, as long as its
    header says (only the `cur_element_count` elements in use are read back)."""
    for name in _HNSW_FILES:
        if not (segment / name).is_file():
            raise _Damage(segment / name, "missing")
    raw = (segment / "header.bin").read_bytes()
    if len(raw) != _HNSW_HEADER.size:
        raise _Damage(segment / "header.bin", f"{len(raw)} bytes, not {_HNSW_HEADER.size}")
    fields = _HNSW_HEADER.unpack(raw)
    version, most, used, per_element, max_m = (fields[i] for i in (0, 2, 3, 4, 9))
    if version != _HNSW_VERSION or used > most or per_element == 0:
        raise _Damage(segment / "header.bin", "not a header this Chroma wrote")
    _check_size(segment / "data_level0.bin", used * per_element)
    _check_size(segment / "length.bin", used * 4)
    _check_link_lists(segment / "link_lists.bin", used, max_m * 4 + 4)
    if used:
        _check_labels(segment / _HNSW_LABELS, thorough)


def _check_size(path: Path, needed: int) -> None:
    size = path.stat().st_size
    if size < needed:
        raise _Damage(path, f"{size} bytes, but its index needs {needed}")


def _check_link_lists(path: Path, elements: int, per_level: int) -> None:
    """Each element's upper-level links: a 4-byte size, then that many bytes."""
    data = memoryview(path.read_bytes())
    position = 0
    for _ in range(elements):
        if position + 4 > len(data):
            raise _Damage(path, f"ends after {position} bytes, within its link lists")
        (size,) = struct.unpack_from("<I", data, position)
        if size % per_level:
            raise _Damage(path, f"a link list of {size} bytes at byte {position}")
        position += 4 + size
    if position > len(data):
        raise _Damage(path, f"{len(data)} bytes, but its link lists need {position}")


def _check_labels(path: Path, thorough: bool) -> None:
    try:
        data = path.read_bytes()
    except OSError as err:
        raise _Damage(path, f"unreadable ({err})") from err
    if not (data.startswith(b"\x80") and data.endswith(b".")):
        raise _Damage(path, f"not a whole pickle ({len(data)} bytes)")
    if thorough:
        try:
            for _ in pickletools.genops(data):
                pass
        except ValueError as err:
            raise _Damage(path, f"not a whole pickle ({err})") from err


def open_for_reading(folder: Path, settings: ChromaSettings) -> tuple[ClientAPI, Path | None]:
    """A Chroma client on the folder `folder`, or on a private copy of it when Chroma cannot
    write there (read-only, not ours, a full disk).

    Returns:
        The client, and the private copy's folder (the caller removes it after closing the
        client) or None.

    Raises:
        IndexDamaged: Chroma cannot open the folder for another reason.
        IndexUnusable: neither the folder nor a copy of it can be opened.
    """
    import chromadb
    from chromadb.errors import ChromaError

    _import_client_modules()
    if not (folder / SQLITE).is_file():  # Chroma would make a new, empty store
        raise IndexDamaged(folder.parent, f"{folder.name}/{SQLITE} is missing")
    if _writable(folder):
        try:
            return chromadb.PersistentClient(path=str(folder), settings=settings), None
        except (OSError, ChromaError) as err:
            if describe_write_failure(err) is None:
                raise IndexDamaged(folder.parent, f"Chroma cannot open it: {err}") from err
            reason = str(err)
    else:
        reason = "the folder is not writable"
    return _open_private_copy(folder, settings, reason)


def _import_client_modules() -> None:
    """Import the modules Chroma loads to make a client with `overrides.override` only
    marking the methods it decorates.

    Chroma decorates each method of its client classes with `@override`, which on import
    disassembles the class body and compares the method's signature with the base class's
    (0.05 CPU-s of every process's first answer): a check of Chroma's own code, made in its
    tests. The mark (`__override__`) is what its `EnforceOverrides` classes require.
    """
    try:
        import overrides
    except ImportError:  # a Chroma that does without it
        return
    with _import_lock:  # the decorator is restored before another thread of ours imports
        missing = [name for name in _CLIENT_MODULES if name not in sys.modules]
        if not missing:
            return
        checking = overrides.override
        overrides.override = _mark_override
        try:
            for name in missing:
                with contextlib.suppress(ImportError):  # another version: Chroma imports its own
                    importlib.import_module(name)
        finally:
            overrides.override = checking


def _mark_override(method: Callable | None = None, **_checks: bool) -> Callable:
    if method is None:  # used as @override(check_signature=...)
        return _mark_override
    method.__override__ = True
    return method


def _writable(folder: Path) -> bool:
    return all(os.access(path, os.W_OK) for path in (folder, *folder.iterdir()))


def _open_private_copy(
    folder: Path, settings: ChromaSettings, reason: str
) -> tuple[ClientAPI, Path]:
    import chromadb
    from chromadb.errors import ChromaError

    copy = Path(tempfile.mkdtemp(prefix="assistant-chroma-"))
    try:
        copy_folder(folder, copy / "chroma")
        client = chromadb.PersistentClient(path=str(copy / "chroma"), settings=settings)
    except (OSError, ChromaError) as err:
        shutil.rmtree(copy, ignore_errors=True)
        raise IndexUnusable(folder.parent, err) from err
    megabytes = sum(p.stat().st_size for p in copy.rglob("*") if p.is_file()) / 1e6
    logger.warning(
        "Chroma cannot write in %s (%s); reading a copy of it (%.0f MB) in %s instead.",
        folder,
        reason,
        megabytes,
        copy,
    )
    return client, copy
