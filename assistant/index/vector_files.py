"""Vectors read by passage id, kept beside the Chroma store as plain arrays.

Two kinds are only ever looked up by id, never searched: the sentence vectors (pooled from
the passage's token states at index time, so the answerer picks sentences to quote without
running the model again), and the passage vectors of candidates that one retriever found
and the other did not (to score them on both sides). A vector database is the wrong home
for them: in Chroma, writing sentence vectors cost a quarter of indexing time, and each
lookup is a round trip of ~3.5 ms per question. Here they are float16 rows in append-only
shard files: a write is an append, a read one `pread` of a passage's rows (float16 moves a
cosine by under 0.001). Rows of passages deleted later stay behind until `compact` rewrites
the rest.

Not through a memory map: the pages of a map that a process has read count in its resident
memory until it ends (at 100k passages they grew by ~450 MB over 100 questions), while read
pages stay in the page cache alone. Gathering the first rows of thousands of passages at
once (`first_rows`) reads a map, unmapped after (mapping each small read and handing its
pages back cost ~5 ms a question in page faults, `pread` ~0.5 ms).
"""

from __future__ import annotations

import json
import mmap
import os
import sys
import time
import uuid
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path

import numpy as np

from assistant.errors import IndexDamaged
from assistant.prepared import read_npy_header


class VectorFiles:
    """Rows of vectors per passage id (one per sentence, or one per passage), in `folder`."""

    def __init__(self, folder: Path) -> None:
        """Read the listings in `folder`, checking each shard holds the rows it lists.

        Raises:
            IndexDamaged: a listing or shard is unreadable, or a shard is cut short.
        """
        self.folder = folder
        # Passage id -> its shard's number in `_names`, its first row there and how many,
        # packed into one int (`_where`): at 100k passages the four file sets of two models
        # held 189 MB resident with a tuple each, 84 MB so.
        self._rows: dict[str, int] = {}
        self._names: list[str] = []  # shard names
        self._shards: dict[int, _Shard] = {}  # opened shards, by number
        self.dimensions: int | None = None
        # Shard names sort by creation, so a passage written again is found in its latest.
        for listing in sorted(folder.glob("*.json")):
            rows = self._list(listing.stem, self._read_listing(listing))
            self._check_shard(listing.with_suffix(".npy"), rows)

    def add(self, passage_ids: Sequence[str], vectors: Sequence[np.ndarray]) -> None:
        """Store `vectors[i]` (a 2-D array of rows) for passage `passage_ids[i]`."""
        if not passage_ids:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        shard = f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}"
        rows = np.concatenate(vectors).astype(np.float16)
        np.save(self.folder / f"{shard}.npy", rows)
        self.dimensions = rows.shape[1]
        listing = [[pid, len(rows)] for pid, rows in zip(passage_ids, vectors, strict=True)]
        # The listing is written last and atomically: a listed row always exists.
        temporary = self.folder / f".{shard}.json"
        temporary.write_text(json.dumps(listing), encoding="utf-8")
        os.replace(temporary, self.folder / f"{shard}.json")
        self._list(shard, listing)

    def _list(self, shard: str, listing: Iterable[Sequence]) -> int:
        """Note where each passage of `listing` ([passage id, rows] in shard order) is in
        shard `shard`; returns the rows listed. Ids are interned: a generation's files list
        the same passages."""
        number, first = len(self._names), 0
        self._names.append(shard)
        for passage_id, count in listing:
            self._rows[sys.intern(passage_id)] = _place(number, first, count)
            first += count
        return first

    def get(self, passage_ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Each known passage's rows, as float32: views into one array, read by one `pread`
        per passage into one buffer and converted at once (a question reads ~250 passages'
        rows, and per-passage arrays cost more than the reads)."""
        places = [
            (passage_id, _where(place))
            for passage_id in passage_ids
            if (place := self._rows.get(passage_id)) is not None
        ]
        if not places:
            return {}
        table = np.empty((sum(count for _, (_, _, count) in places), self.dimensions), "f2")
        buffer = memoryview(table).cast("B")
        row_bytes = table.shape[1] * table.itemsize
        at = 0
        for _, (shard, first, count) in places:
            self._shard(shard).read_into(buffer[at * row_bytes : (at + count) * row_bytes], first)
            at += count
        rows, found, at = table.astype("f4"), {}, 0
        for passage_id, (_, _, count) in places:
            found[passage_id] = rows[at : at + count]
            at += count
        return found

    def first_rows(self, passage_ids: Sequence[str]) -> tuple[list[str], np.ndarray | None]:
        """The known passages among `passage_ids` and each one's first row, as one float32
        matrix (None when none is known): one gather per shard, not one slice per id."""
        by_shard: dict[int, tuple[list[str], list[int]]] = {}
        for passage_id in passage_ids:
            place = self._rows.get(passage_id)
            if place is not None:
                shard, first, _ = _where(place)
                ids, firsts = by_shard.setdefault(shard, ([], []))
                ids.append(passage_id)
                firsts.append(first)
        known = [pid for ids, _ in by_shard.values() for pid in ids]
        if not known:
            return [], None
        parts = [self._shard(shard).gather(firsts) for shard, (_, firsts) in by_shard.items()]
        return known, np.concatenate(parts).astype("f4")

    def ids(self) -> Collection[str]:
        """Every passage with rows here, including deleted ones not compacted away yet."""
        return self._rows.keys()

    def __len__(self) -> int:
        """Passages with vectors here, including deleted ones not compacted away yet."""
        return len(self._rows)

    def compact(self, live: Collection[str]) -> None:
        """Rewrite as one shard holding only the rows of `live` passages."""
        old = sorted(self.folder.glob("*.json"))
        kept = [pid for pid in self._rows if pid in live]
        vectors = self.get(kept)
        self._rows, self._names, self._shards = {}, [], {}
        self.add(kept, [vectors[pid] for pid in kept])
        for listing in old:
            listing.unlink()
            listing.with_suffix(".npy").unlink(missing_ok=True)

    def _read_listing(self, listing: Path) -> list[tuple[str, int]]:
        try:
            rows = json.loads(listing.read_text(encoding="utf-8"))
        except (OSError, ValueError) as err:
            raise self._damaged(listing, f"unreadable ({err})") from err
        well_formed = isinstance(rows, list) and all(
            isinstance(row, list)
            and len(row) == 2
            and isinstance(row[0], str)
            and type(row[1]) is int
            and 0 <= row[1] < 1 << 24  # as many as `_place` holds
            for row in rows
        )
        if not well_formed:
            raise self._damaged(listing, "not a list of [passage id, rows]")
        return [(passage_id, count) for passage_id, count in rows]

    def _check_shard(self, path: Path, rows: int) -> None:
        """The shard is a 2-D float16 array of `rows` rows, as long as its header says."""
        try:
            with path.open("rb") as handle:
                shape, fortran, dtype = read_npy_header(handle)
                start = handle.tell()
            size = path.stat().st_size
        except (OSError, ValueError) as err:
            raise self._damaged(path, f"unreadable ({err})") from err
        if len(shape) != 2 or fortran or dtype != np.float16 or shape[0] != rows:
            raise self._damaged(path, f"holds {shape} {dtype}, but {rows} rows are listed")
        if size != start + shape[0] * shape[1] * dtype.itemsize:
            raise self._damaged(path, f"{size} bytes, not as long as its header says")
        if self.dimensions not in (None, shape[1]):
            raise self._damaged(path, f"{shape[1]} dimensions, others have {self.dimensions}")
        self.dimensions = shape[1]

    def _damaged(self, path: Path, what: str) -> IndexDamaged:
        # The folder is one of a generation's (sentences-N, passage-vectors-N).
        return IndexDamaged(self.folder.parent, f"{self.folder.name}/{path.name}: {what}")

    def _shard(self, number: int) -> _Shard:
        if number not in self._shards:
            self._shards[number] = _Shard(self.folder / f"{self._names[number]}.npy")
        return self._shards[number]


def _place(shard: int, first: int, count: int) -> int:
    """Shard number, first row and row count packed into one int (`_where` unpacks it)."""
    return (shard << 64) | (first << 24) | count


def _where(place: int) -> tuple[int, int, int]:
    """Shard number, first row and row count of a `_place`."""
    return place >> 64, (place >> 24) & (1 << 40) - 1, place & (1 << 24) - 1


class _Shard:
    """One shard file (a 2-D float16 .npy array, checked by `_check_shard`), open for
    reading rows."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._file = path.open("rb", buffering=0)  # closed when the shard is dropped
        self._shape, _, _ = read_npy_header(self._file)
        self._start = self._file.tell()
        self._row_bytes = self._shape[1] * 2

    def read_into(self, buffer: memoryview, first: int) -> None:
        """Fill `buffer` (bytes) with the float16 rows from row `first` on.

        Raises:
            IndexDamaged: the shard ends before them (cut short since it was opened).
        """
        offset = self._start + first * self._row_bytes
        if _read_into(self._file.fileno(), buffer, offset) != len(buffer):
            raise IndexDamaged(self._path.parent.parent, f"{self._path.name} is cut short")

    def gather(self, rows: list[int]) -> np.ndarray:
        """The rows numbered `rows`, as float16, read through a map unmapped after (its
        pages stay in the page cache only)."""
        with mmap.mmap(self._file.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            table = np.frombuffer(
                mapped, np.float16, count=self._shape[0] * self._shape[1], offset=self._start
            ).reshape(self._shape)
            found = table[rows]
            del table  # the map closes only once no array views it
        return found


def _read_into(descriptor: int, buffer: memoryview, offset: int) -> int:
    """Read bytes at `offset` into `buffer`, without moving the file's position (threads
    share it); returns how many were read."""
    if hasattr(os, "preadv"):
        return os.preadv(descriptor, [buffer], offset)
    with mmap.mmap(descriptor, 0, access=mmap.ACCESS_READ) as mapped:  # Windows has no preadv
        data = mapped[offset : offset + len(buffer)]
    buffer[: len(data)] = data
    return len(data)
