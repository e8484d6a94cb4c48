"""Passages' texts and metadata by id, read from an embedded Chroma store's SQLite file.

Chroma's `get` of a question's five passages with their texts and metadata costs 2-5 ms
at 100k passages, nearly all of it in Chroma around SQLite: the same rows come from SQLite
in 0.15 ms. A live generation is never written (generations.py), so its SQLite file can be
read beside Chroma. It is, only while the file is laid out as Chroma lays it out and the
collection's metadata segment holds every record of its log (what Chroma's `get` would
return); otherwise, and for a Chroma server, `PassageStore` asks Chroma.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path

logger = logging.getLogger(__name__)

DOCUMENT = "chroma:document"  # the key Chroma files a record's document under
_SEGMENT = """
SELECT s.id, c.id FROM segments s JOIN collections c ON s.collection = c.id
WHERE c.name = ? AND s.scope = 'METADATA'
"""
_APPLIED = "SELECT seq_id FROM max_seq_id WHERE segment_id = ?"
_LOGGED = "SELECT max(seq_id) FROM embeddings_queue WHERE topic LIKE ?"
# Per collection: the records of its log above what its vector segment has applied (and
# persisted: Chroma records a segment's applied seq id when it writes its files).
_UNAPPLIED = """
SELECT c.name, count(q.seq_id)
FROM collections c JOIN segments s ON s.collection = c.id AND s.scope = 'VECTOR'
LEFT JOIN max_seq_id m ON m.segment_id = s.id
LEFT JOIN embeddings_queue q ON q.topic LIKE '%/' || c.id AND q.seq_id > coalesce(m.seq_id, 0)
GROUP BY c.name
"""
_RECORDS = """
SELECT e.embedding_id, m.key, m.string_value, m.int_value
FROM embeddings e JOIN embedding_metadata m ON m.id = e.id
WHERE e.segment_id = ? AND e.embedding_id IN ({}) AND m.key IN ({})
"""


class ChromaRecords:
    """The string and integer values of chosen keys (the document among them as
    `DOCUMENT`) of one collection's records, by id."""

    def __init__(self, connection: sqlite3.Connection, segment: str, keys: Sequence[str]):
        self._connection = connection
        self._segment = segment
        self._keys = list(keys)
        self._lock = threading.Lock()  # one connection, shared by the question threads

    @classmethod
    def open(cls, sqlite_file: Path, collection: str, keys: Sequence[str]) -> ChromaRecords | None:
        """A reader of collection `collection` in `sqlite_file`, or None when the file is
        not laid out as expected or its metadata segment lags its log."""
        try:
            connection = sqlite3.connect(
                f"{sqlite_file.resolve().as_uri()}?mode=ro", uri=True, check_same_thread=False
            )
        except sqlite3.Error as err:
            logger.debug("Reading %s through Chroma: %s", sqlite_file, err)
            return None
        try:
            segment = _complete_segment(connection, collection)
        except sqlite3.Error as err:
            logger.debug("Reading %s through Chroma: %s", sqlite_file, err)
            segment = None
        if segment is None:
            connection.close()
            return None
        return cls(connection, segment, keys)

    def get(self, ids: Sequence[str]) -> dict[str, dict[str, str | int]] | None:
        """Each record's values by key; None when SQLite failed to read or did not give
        every key of every id asked (then Chroma is asked: the ids come from this index's
        searches, so a shortfall means the file is laid out in a way this does not know)."""
        query = _RECORDS.format(",".join("?" * len(ids)), ",".join("?" * len(self._keys)))
        try:
            with self._lock:
                rows = self._connection.execute(query, [self._segment, *ids, *self._keys])
                rows = rows.fetchall()
        except sqlite3.Error as err:
            logger.warning("Reading passages from Chroma's SQLite file failed: %s", err)
            return None
        found: dict[str, dict[str, str | int]] = {}
        for record_id, key, text, number in rows:
            found.setdefault(record_id, {})[key] = text if text is not None else number
        if len(found) < len(set(ids)) or any(len(v) < len(self._keys) for v in found.values()):
            logger.debug("Chroma's SQLite file lacks asked records; asking Chroma")
            return None
        return found

    def close(self) -> None:
        self._connection.close()


def _complete_segment(connection: sqlite3.Connection, collection: str) -> str | None:
    """The id of the collection's metadata segment when it has applied every record of
    the collection's log, else None."""
    found = connection.execute(_SEGMENT, (collection,)).fetchall()
    if len(found) != 1:
        return None
    segment, collection_id = found[0]
    applied = connection.execute(_APPLIED, (segment,)).fetchone()
    (logged,) = connection.execute(_LOGGED, (f"%/{collection_id}",)).fetchone()
    if logged is None:
        return segment
    if applied is None or not isinstance(applied[0], int) or not isinstance(logged, int):
        return None
    return segment if applied[0] >= logged else None


def unapplied_records(sqlite_file: Path) -> dict[str, int]:
    """How many records of each collection's log (by collection name) its vector index on
    disk lacks: every new process applies them again before its first search.

    Raises:
        sqlite3.Error: the file cannot be read as Chroma lays it out.
    """
    uri = f"{sqlite_file.resolve().as_uri()}?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True)) as connection:
        return dict(connection.execute(_UNAPPLIED).fetchall())
