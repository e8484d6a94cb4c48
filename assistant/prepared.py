"""Data that packages read slowly on every start, prepared once into files that load fast.

Language detection decompresses its model, the Universal Sentence Encoder rebuilds its
tokenizer from a 128k-line vocabulary and inflates its weights, the default model's
tokenizer builds a 250k-word trie: seconds and hundreds of MiB before the first question.
Each is converted once into plain arrays (memory-mapped where they are large, so a process
holds only the pages it reads) in a folder stamped with the version of what it was made
from. A folder of another version is prepared again; one that cannot be read is rebuilt
once; where nothing can be written, the caller falls back to the package's own loading.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, TypeVar

from assistant.settings import default_model_cache

if TYPE_CHECKING:
    import numpy as np

logger = logging.getLogger(__name__)

Loaded = TypeVar("Loaded")

STAMP = "prepared.json"
_lock = threading.Lock()  # one preparation at a time within a process


def cache_root() -> Path:
    """Where prepared package data goes: ``prepared/`` in the model cache
    (``ASSISTANT_MODEL_CACHE``, as `Settings.model_cache` reads it, else the default)."""
    configured = os.environ.get("ASSISTANT_MODEL_CACHE")
    return (Path(configured) if configured else default_model_cache()) / "prepared"


def load_prepared(
    folder: Path,
    version: str,
    build: Callable[[Path], None],
    load: Callable[[Path], Loaded],
) -> Loaded | None:
    """`load(folder)`, preparing the folder with `build` first when it is missing, stamped
    with another `version`, or unreadable (then rebuilt once).

    Args:
        folder: where the prepared files live.
        version: what they are made from (a package version, a file's size and time); a
            different stamp means they are stale.
        build: writes the files into the (empty, temporary) folder it is given.
        load: reads them; raises OSError, ValueError or KeyError when they are damaged.

    Returns:
        What `load` returned, or None when the folder could not be prepared (a read-only
        cache): the caller then loads the package's data its own way.
    """
    for attempt in range(2):
        try:
            if attempt or _stamp(folder) != version:
                _prepare(folder, version, build, damaged=attempt > 0)
            return load(folder)
        except (OSError, ValueError, KeyError) as err:
            logger.warning("Prepared data in %s unusable (%s); preparing it again.", folder, err)
    return None


def is_prepared(folder: Path, version: str) -> bool:
    """Whether `folder` holds files prepared from `version`."""
    return _stamp(folder) == version


def _stamp(folder: Path) -> str | None:
    try:
        return json.loads((folder / STAMP).read_text(encoding="utf-8"))["version"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _prepare(folder: Path, version: str, build: Callable[[Path], None], damaged: bool) -> None:
    """Build into a temporary sibling, stamp it last and rename it into place, so a
    half-written folder is never read. Another process may be preparing the same folder:
    the first to finish wins, unless the folder in place is `damaged`."""
    with _lock:
        folder.parent.mkdir(parents=True, exist_ok=True)
        logger.info("Preparing %s (once).", folder)
        scratch = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}-"))
        try:
            build(scratch)
            (scratch / STAMP).write_text(json.dumps({"version": version}), encoding="utf-8")
            if not damaged and _stamp(folder) == version:
                return
            _remove(folder)
            try:
                scratch.rename(folder)
            except OSError:
                if _stamp(folder) != version:  # not another process's folder just put there
                    raise
        finally:
            shutil.rmtree(scratch, ignore_errors=True)


def _remove(folder: Path) -> None:
    """Move a stale folder aside, then delete it (a reader may still map its files)."""
    if not folder.exists():
        return
    aside = folder.with_name(f".{folder.name}-stale-{os.getpid()}")
    folder.rename(aside)
    shutil.rmtree(aside, ignore_errors=True)


# numpy reads an .npy file's header with `ast.literal_eval`, which CPython 3.11 cannot run
# on two threads at once: the AST builder's recursion count is shared by the interpreter,
# and a thread switch inside it raises SystemError "AST constructor recursion depth
# mismatch" (python/cpython#106905). An answer reads headers on two threads (one per dense
# model), so they are read one at a time.
_npy_header_lock = threading.Lock()


def read_npy_header(handle: BinaryIO) -> tuple[tuple[int, ...], bool, np.dtype]:
    """An open .npy file's shape, Fortran order and dtype; `handle` is left at its data."""
    import numpy as np

    with _npy_header_lock:
        major, _ = np.lib.format.read_magic(handle)
        if major == 1:
            return np.lib.format.read_array_header_1_0(handle)
        return np.lib.format.read_array_header_2_0(handle)


def load_npy(path: Path) -> np.ndarray:
    """`numpy.load` of an .npy file, its header read as `read_npy_header` reads one."""
    import numpy as np

    with _npy_header_lock:
        return np.load(path)


class Rows:
    """The rows of a 2-D array saved with `numpy.save`, read from the file when asked for,
    one `pread` each, instead of memory-mapped.

    A mapped file costs resident memory for more than the rows touched: with large
    page-cache folios (ext4 on recent kernels) touching one row maps up to 2 MiB around it,
    so a question that read 20 rows of a 65 MiB table had most of it resident. Reading rows
    costs a system call each and holds only them.
    """

    def __init__(self, path: Path) -> None:
        with open(path, "rb") as handle:
            shape, fortran_order, dtype = read_npy_header(handle)
            self._offset = handle.tell()
        if len(shape) != 2 or fortran_order:
            raise ValueError(f"{path} does not hold a 2-D array in row order")
        self.shape, self.dtype = shape, dtype
        self._row_bytes = shape[1] * dtype.itemsize
        self._file = os.open(path, os.O_RDONLY)  # kept open: a replaced file stays readable

    def __len__(self) -> int:
        return self.shape[0]

    def __del__(self, _close: Callable[[int], None] = os.close) -> None:
        # `os` itself may be gone when the interpreter shuts down.
        if getattr(self, "_file", None) is not None:
            _close(self._file)

    def __getitem__(self, rows):
        """The given rows (an integer array) as one array, in their order."""
        import numpy as np

        rows = np.asarray(rows)
        out = np.empty((len(rows), self.shape[1]), self.dtype)
        for target, row in zip(out, rows.tolist(), strict=True):
            self._read_into(row, target)
        return out

    def row_bytes(self, row: int) -> bytes:
        """One row's raw bytes."""
        if not 0 <= row < self.shape[0]:
            raise IndexError(f"row {row} of {self.shape[0]}")
        return os.pread(self._file, self._row_bytes, self._offset + row * self._row_bytes)

    def _read_into(self, row: int, target) -> None:
        if not 0 <= row < self.shape[0]:
            raise IndexError(f"row {row} of {self.shape[0]}")
        read = os.preadv(self._file, [target], self._offset + row * self._row_bytes)
        if read != self._row_bytes:
            raise ValueError(f"row {row}: the file ends early")
