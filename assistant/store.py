"""The index on disk: Chroma passages, article records and the manifest, in swappable generations.

Layout of the index folder::

    CURRENT          {"live": "gen-…", "previous": "gen-…"}: which generation answers
    write.lock       held by the one process that writes
    gen-…/chroma/    Chroma PersistentClient folder (collections "passages", …)
    gen-…/index.json manifest (embedder, chunking) + article records

With a Chroma server (`chroma_url`), a generation's collections live on the server, named
after it ("gen-…-passages"); the folder keeps the pointer, lock and records, which are
small.

Writers never touch the live generation: they copy it, change the copy and swap the
pointer (an atomic rename). Readers therefore never share a Chroma folder with a writer
(embedded Chroma is not multi-process safe, chroma-core/chroma#7040), and a writer killed
at any point leaves the live generation whole.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from assistant.articles import Article
from assistant.errors import (
    IndexBusy,
    IndexDamaged,
    IndexMismatch,
    IndexNotFound,
    IndexUnusable,
    IndexWriteFailed,
    StoreUnavailable,
)
from assistant.passages import Passage
from assistant.vector_files import VectorFiles

logger = logging.getLogger(__name__)

_POINTER = "CURRENT"
_LOCK = "write.lock"
_MANIFEST = "index.json"
_COLLECTION = "passages"
_SECOND_COLLECTION = "passages-second"  # the second dense model's vectors, same ids
_COLLECTIONS = (_COLLECTION, _SECOND_COLLECTION)
# Folders of the generation's vectors read by passage id (see vector_files.py)
_SENTENCES = ("sentences", "sentences-second")
_PASSAGE_FILES = ("passage-vectors", "passage-vectors-second")
# 2: title in passage vectors; 3: second model; 4: sentence vectors; 5: those in files;
# 6: passage vectors in files too; 7: the second model's sentence vectors
FORMAT_VERSION = 7


@dataclass(frozen=True)
class ArticleRecord:
    """What the index keeps of an article (everything but its text)."""

    id: str
    title: str
    source: str
    content_hash: str
    language: str
    date: str | None
    author: str | None
    url: str | None
    passages: int
    date_source: str | None = None  # records written before it was kept have none

    @classmethod
    def of(cls, article: Article, passages: int) -> ArticleRecord:
        fields = {k: v for k, v in asdict(article).items() if k != "text"}
        return cls(**fields, passages=passages)


@dataclass(frozen=True)
class Hit:
    """A retrieved passage. Scores: higher = more relevant."""

    passage: Passage
    article: ArticleRecord
    language: str
    score: float  # the ranking score (fused when several retrievers vote)
    dense: float  # cosine similarity of question and passage embeddings
    lexical: float | None = None  # BM25 score, when the keyword side found it


@dataclass(frozen=True)
class Manifest:
    """The settings an index was built with; a mismatch means the vectors are not comparable."""

    embedder: str
    second_embedder: str | None
    passage_chars: int
    passage_overlap: int
    format: int = FORMAT_VERSION

    def differences(self, other: Manifest) -> list[str]:
        mine, theirs = asdict(self), asdict(other)
        return [
            f"{k}: {mine[k]!r} here, {theirs[k]!r} wanted" for k in mine if mine[k] != theirs[k]
        ]


class PassageStore:
    """One generation: its Chroma collection plus article records and manifest.

    The Chroma collection is created with `embedding_function=None`, so vectors only ever
    come from the project's embedder; distances are cosine (similarity = 1 - distance).
    """

    def __init__(self, folder: Path, chroma_url: str | None = None) -> None:
        self.folder = folder
        self._client = connect(folder, chroma_url)
        prefix = f"{folder.name}-" if chroma_url else ""
        self._collection, self._second = (
            self._client.get_or_create_collection(
                prefix + name, embedding_function=None, metadata={"hnsw:space": "cosine"}
            )
            for name in _COLLECTIONS
        )
        self._sentences, self._second_sentences = (VectorFiles(folder / n) for n in _SENTENCES)
        # Copies of both models' passage vectors, for scoring candidates by id.
        self._dense_files, self._second_files = (VectorFiles(folder / n) for n in _PASSAGE_FILES)
        self.manifest, self.articles = _read_manifest(folder)
        self._counts: dict[str, int] = {}  # collection sizes; reset by every write

    def count(self) -> int:
        """Passages stored (cached: Chroma's count costs ~4 ms, and questions ask often)."""
        return self._count(self._collection)

    def _count(self, collection) -> int:
        if collection.name not in self._counts:
            self._counts[collection.name] = collection.count()
        return self._counts[collection.name]

    def upsert(
        self,
        passages: list[Passage],
        vectors: np.ndarray,
        languages: list[str],
        sentence_vectors: list[np.ndarray],
        second_vectors: np.ndarray | None = None,
        second_sentence_vectors: list[np.ndarray] | None = None,
    ) -> None:
        """Add or replace passages with their vectors (ids are stable, so repeats are no-ops).

        `sentence_vectors[i]` holds one row per sentence of `passages[i]`; the `second_`
        vectors are the second dense model's, when one is configured.
        """
        self._counts.clear()
        step = self._client.get_max_batch_size()
        for first in range(0, len(passages), step):
            batch = passages[first : first + step]
            if second_vectors is not None:
                self._second.upsert(
                    ids=[p.id for p in batch], embeddings=second_vectors[first : first + step]
                )
            self._collection.upsert(
                ids=[p.id for p in batch],
                embeddings=vectors[first : first + step],
                documents=[p.text for p in batch],
                metadatas=[
                    _metadata(p, lang)
                    for p, lang in zip(batch, languages[first : first + step], strict=True)
                ],
            )
        ids = [p.id for p in passages]
        self._sentences.add(ids, sentence_vectors)
        self._dense_files.add(ids, [row[None] for row in vectors])
        if second_vectors is not None:
            self._second_files.add(ids, [row[None] for row in second_vectors])
        if second_sentence_vectors is not None:
            self._second_sentences.add(ids, second_sentence_vectors)

    def update_positions(self, passages: list[Passage], languages: list[str]) -> None:
        """Record new offsets of passages whose text (and so vector) is unchanged."""
        if passages:
            self._collection.update(
                ids=[p.id for p in passages],
                metadatas=[_metadata(p, lang) for p, lang in zip(passages, languages, strict=True)],
            )

    def delete(self, passage_ids: list[str]) -> None:
        self._counts.clear()
        step = self._client.get_max_batch_size()
        for first in range(0, len(passage_ids), step):
            batch = passage_ids[first : first + step]
            self._collection.delete(ids=batch)
            self._second.delete(ids=batch)

    def passage_positions(self, article_id: str) -> dict[str, tuple[int, int]]:
        """Stored passages of one article: id -> (start, end)."""
        found = self._collection.get(where={"article_id": article_id}, include=["metadatas"])
        return {
            pid: (meta["start"], meta["end"])
            for pid, meta in zip(found["ids"], found["metadatas"], strict=True)
        }

    def all_passages(self) -> Iterator[tuple[Passage, str]]:
        """Every stored passage with its language, in pages (for the keyword index)."""
        step = 5000
        for offset in range(0, self.count(), step):
            page = self._collection.get(
                include=["documents", "metadatas"], limit=step, offset=offset
            )
            for pid, text, meta in zip(
                page["ids"], page["documents"], page["metadatas"], strict=True
            ):
                yield _passage(pid, text, meta), meta["language"]

    def get(self, passage_ids: list[str]) -> dict[str, tuple[Passage, str]]:
        """Stored passages by id, with their language."""
        if not passage_ids:
            return {}
        found = self._collection.get(ids=passage_ids, include=["documents", "metadatas"])
        return {
            pid: (_passage(pid, text, meta), meta["language"])
            for pid, text, meta in zip(
                found["ids"], found["documents"], found["metadatas"], strict=True
            )
        }

    def vectors(self, passage_ids: list[str]) -> dict[str, np.ndarray]:
        """Stored unit vectors by passage id."""
        return {pid: rows[0] for pid, rows in self._dense_files.get(passage_ids).items()}

    def query(self, vector: np.ndarray, k: int) -> dict[str, float]:
        """The `k` nearest passages to `vector`: id -> cosine similarity, best first."""
        count = self.count()
        if count == 0:
            return {}
        result = self._collection.query(
            query_embeddings=[vector], n_results=min(k, count), include=["distances"]
        )
        return {
            pid: 1.0 - distance
            for pid, distance in zip(result["ids"][0], result["distances"][0], strict=True)
        }

    def query_second(self, vector: np.ndarray, k: int) -> dict[str, float]:
        """The `k` nearest passages in the second model's space: id -> cosine similarity."""
        count = self._count(self._second)
        if count == 0:
            return {}
        result = self._second.query(
            query_embeddings=[vector], n_results=min(k, count), include=["distances"]
        )
        return {
            pid: 1.0 - distance
            for pid, distance in zip(result["ids"][0], result["distances"][0], strict=True)
        }

    def second_vectors(self, passage_ids: list[str]) -> dict[str, np.ndarray]:
        """The second model's stored unit vectors by passage id."""
        return {pid: rows[0] for pid, rows in self._second_files.get(passage_ids).items()}

    def sentence_vectors(
        self, passages: list[Passage], second: bool = False
    ) -> dict[tuple[str, int], np.ndarray]:
        """Stored sentence vectors: (passage id, sentence ordinal in the passage) -> unit vector;
        the second model's when `second`."""
        found = self.sentence_rows([p.id for p in passages], second)
        return {(pid, i): row for pid, rows in found.items() for i, row in enumerate(rows)}

    def sentence_rows(self, passage_ids: list[str], second: bool = False) -> dict[str, np.ndarray]:
        """Each passage's stored sentence vectors, one row per sentence in order."""
        return (self._second_sentences if second else self._sentences).get(passage_ids)

    def ids(self) -> set[str]:
        """The ids of every stored passage."""
        return set(self._collection.get(include=[])["ids"])

    def compact_vector_files(self) -> None:
        """Drop the vectors of deleted passages once they are a fifth of all."""
        if len(self._sentences) > 1.25 * self.count():
            live = self.ids()
            every = (self._sentences, self._second_sentences, self._dense_files, self._second_files)
            for files in every:
                files.compact(live)

    def save_records(self, manifest: Manifest, articles: dict[str, ArticleRecord]) -> None:
        """Write manifest and article records atomically (temp file + rename)."""
        self.manifest, self.articles = manifest, articles
        payload = {
            "manifest": asdict(manifest),
            "articles": {aid: asdict(record) for aid, record in sorted(articles.items())},
        }
        _write_atomically(self.folder / _MANIFEST, json.dumps(payload, ensure_ascii=False))

    def copy_from(self, other: PassageStore) -> None:
        """Copy every record of `other`'s collections into this store's (server mode, where
        a generation cannot be copied as a folder)."""
        self._counts.clear()
        step = min(self._client.get_max_batch_size(), 5000)
        pairs = zip(
            (other._collection, other._second), (self._collection, self._second), strict=True
        )
        for source, target in pairs:
            for offset in range(0, source.count(), step):
                page = source.get(
                    include=["embeddings", "documents", "metadatas"], limit=step, offset=offset
                )
                target.add(
                    ids=page["ids"],
                    embeddings=page["embeddings"],
                    documents=page["documents"],
                    metadatas=page["metadatas"],
                )

    def close(self) -> None:
        """Release Chroma's handles on this folder (needed before it is copied or removed)."""
        self._client.close()


def write_errors() -> tuple[type[Exception], ...]:
    """What a failed write to the store raises. A function, so that Chroma is imported only
    once something went wrong (a sync with nothing to change never imports it)."""
    from chromadb.errors import ChromaError

    return (OSError, ChromaError)


def connect(folder: Path, chroma_url: str | None):
    """A Chroma client: embedded in `folder`, or the server at `chroma_url`.

    Raises:
        StoreUnavailable: the server cannot be reached.
    """
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from chromadb.errors import ChromaError

    settings = ChromaSettings(anonymized_telemetry=False)
    if not chroma_url:
        try:
            return chromadb.PersistentClient(path=str(folder / "chroma"), settings=settings)
        except (OSError, ChromaError) as err:
            raise IndexUnusable(folder, err) from err
    from urllib.parse import urlsplit

    url = urlsplit(chroma_url)
    try:
        return chromadb.HttpClient(
            host=url.hostname or "127.0.0.1",
            port=url.port or (443 if url.scheme == "https" else 8000),
            ssl=url.scheme == "https",
            settings=settings,
        )
    except Exception as err:  # connection refused, DNS, TLS: all mean "not reachable"
        raise StoreUnavailable(chroma_url, err) from err


def _drop_server_collections(folder: Path, chroma_url: str) -> None:
    """Delete the server collections of generation `folder` (its name is their prefix)."""
    client = connect(folder, chroma_url)
    try:
        for name in _COLLECTIONS:
            try:
                client.delete_collection(f"{folder.name}-{name}")
            except Exception:  # not created before the writer stopped: nothing to drop
                logger.debug("No collection %s-%s to drop", folder.name, name)
    finally:
        client.close()


def _metadata(passage: Passage, language: str) -> dict:
    return {
        "article_id": passage.article_id,
        "start": passage.start,
        "end": passage.end,
        "sentences": json.dumps(passage.sentences),
        "language": language,
    }


def _passage(passage_id: str, text: str, meta: dict) -> Passage:
    return Passage(
        id=passage_id,
        article_id=meta["article_id"],
        start=meta["start"],
        end=meta["end"],
        text=text,
        sentences=tuple(tuple(pair) for pair in json.loads(meta["sentences"])),
    )


def read_records(folder: Path) -> tuple[Manifest | None, dict[str, ArticleRecord]]:
    """A generation's manifest and article records, without opening its vectors."""
    return _read_manifest(folder)


def _read_manifest(folder: Path) -> tuple[Manifest | None, dict[str, ArticleRecord]]:
    path = folder / _MANIFEST
    if not path.exists():
        return None, {}
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
        manifest = Manifest(**payload["manifest"])
        articles = {aid: ArticleRecord(**rec) for aid, rec in payload["articles"].items()}
    except (ValueError, KeyError, TypeError) as err:
        raise IndexDamaged(folder, f"unreadable {_MANIFEST}: {err}") from err
    return manifest, articles


def _write_atomically(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.{uuid.uuid4().hex}")
    try:
        with open(temporary, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except OSError:
        temporary.unlink(missing_ok=True)  # a full disk must not also collect temp files
        raise


# --- generations ---------------------------------------------------------------------------


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
from assistant.store import probe_in_this_process
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
    """Count and search every collection of the generation (what a question will do)."""
    store = PassageStore(folder, chroma_url)
    try:
        for collection in (store._collection, store._second):
            count = collection.count()
            if count:
                dimension = len(collection.peek(1)["embeddings"][0])
                collection.query(query_embeddings=[[1.0] * dimension], n_results=min(count, 3))
    finally:
        store.close()


def check_manifest(index_dir: Path, found: Manifest | None, expected: Manifest) -> None:
    if found is None:
        raise IndexDamaged(index_dir, f"the live generation has no {_MANIFEST}")
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
    _write_atomically(index_dir / _POINTER, json.dumps(new_pointer))
    remove_stale_generations(index_dir, chroma_url)


def discard_generation(index_dir: Path, folder: Path, chroma_url: str | None = None) -> None:
    """Remove an unfinished generation (never the live or previous one)."""
    if folder.name in _read_pointer(index_dir).values():
        return
    if chroma_url:
        _drop_server_collections(folder, chroma_url)
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
