"""One index generation: passages and each dense model's vectors, article records, manifest.

A generation folder holds::

    chroma/              Chroma PersistentClient folder: collection "passages-0" (passage
                         text, metadata and the first model's vectors), "passages-1", …
                         (the other dense models' vectors, same ids)
    sentences-N/         model N's sentence vectors, read by passage id (vector_files.py)
    passage-vectors-N/   a copy of model N's passage vectors, read by passage id
    index.json           manifest (dense models, chunking) + article records

With a Chroma server (`chroma_url`), the collections live on the server, named after the
generation ("gen-…-passages-0"). How generations are created, swapped and read safely is
`generations.py`'s job.
"""

from __future__ import annotations

import bisect
import json
import logging
import math
import os
import shutil
import threading
import uuid
import warnings
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError

from assistant.errors import (
    IndexDamaged,
    IndexUnusable,
    StoreUnavailable,
    describe_invalid,
    describe_write_failure,
)
from assistant.index.chroma_files import SQLITE, open_for_reading
from assistant.index.chroma_records import DOCUMENT, ChromaRecords, unapplied_records
from assistant.index.vector_files import VectorFiles
from assistant.ingest.articles import Article
from assistant.ingest.dates import DateRange, date_span, day_number
from assistant.ingest.passages import Passage, article_of

logger = logging.getLogger(__name__)

MANIFEST = "index.json"
# 2: title in passage vectors; 3: second model; 4: sentence vectors; 5: those in files;
# 6: passage vectors in files too; 7: the second model's sentence vectors; 8: any number
# of dense models, their collections and files numbered; 10: each passage's article date
# span as numbers (`date_first`, `date_last`) that Chroma filters on; 11: the article id
# in every collection (chosen articles are filtered in each model's search)
FORMAT_VERSION = 11
# A filtered search (a date range, chosen articles) takes this many times the nearest
# passages the filter's share of the index should hold `k` in, at most _MAX_OVERFETCH, and
# is content with half of `k` of them: fusion weighs the other retrievers' candidates too
# (`PassageStore.query`).
_OVERFETCH = 1.5
_MAX_OVERFETCH = 2000
# A filter admitting at most _EXACT_PASSAGES passages scores each of them from the passage
# vector files instead (exact; a few milliseconds for a twelfth of 100k passages, against
# 10-20 ms over-fetching and 150-250 ms for Chroma's metadata filter).
_EXACT_PASSAGES = 20_000
_cache_lock = threading.Lock()  # see `_keep`
# What a passage is made of besides its text (`_passage`), in the first collection.
_PASSAGE_KEYS = (DOCUMENT, "article_id", "start", "end", "sentences", "language")
_FORMATS = (
    "index format {} here, {} wanted (this version filters passages by article date and by article)"
)


# Chroma writes a collection's HNSW files once `sync_threshold` applied records are pending
# (1000 by default); the records since stay in its log, and every new process inserts them
# into its copy of the index before its first search (1.1 s for two collections at 10k
# passages, 3.1 s at 100k), in parallel, so the graph, and the nearest passages with it,
# differ between processes. `apply_chroma_log` lowers the threshold to this for one read.
_WRITE_EVERY_RECORD = 1


# Article ids per read of their passages (SQLite binds at most 32,766 values per query).
_ARTICLES_PER_READ = 5000


def _collection_name(model: int) -> str:
    return f"passages-{model}"


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
    date_source: str | None = None  # None in records written without one
    pages: tuple[int, ...] = ()  # where each page starts in the text (Article.pages)

    def page_at(self, offset: int) -> int | None:
        """The page (1-based) holding character `offset` of the text; None without pages."""
        return bisect.bisect_right(self.pages, offset) if self.pages else None

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

    dense_models: list[str]  # each dense model's signature, in order
    passage_chars: int
    passage_overlap: int
    format: int = FORMAT_VERSION

    def differences(self, other: Manifest) -> list[str]:
        mine, theirs = asdict(self), asdict(other)
        return [
            _FORMATS.format(mine[k], theirs[k])
            if k == "format"
            else f"{k}: {mine[k]!r} here, {theirs[k]!r} wanted"
            for k in mine
            if mine[k] != theirs[k]
        ]


class PassageStore:
    """One generation: its Chroma collections (one per dense model) and vector files, plus
    article records and manifest.

    Collections are created with `embedding_function=None`, so vectors only ever come from
    the project's embedders; distances are cosine (similarity = 1 - distance). Model 0's
    collection also holds each passage's text and metadata.
    """

    def __init__(self, folder: Path, chroma_url: str | None = None, models: int | None = None):
        """Open generation `folder`.

        `models`: how many dense models a generation being written holds. Without it the
        generation is opened for reading: its collections must exist (one per dense model
        of its manifest), and where Chroma cannot write in the folder a private copy of its
        store is read (`chroma_files.open_for_reading`).

        Raises:
            IndexDamaged: its records, vector files or collections are unreadable or missing.
            IndexUnusable: its store cannot be opened, in place or as a copy.
        """
        self.folder = folder
        self.manifest, self.articles = _read_manifest(folder)
        reading = models is None
        if reading:
            models = len(self.manifest.dense_models) if self.manifest else 1
        self._remove_copy = None
        self._records: ChromaRecords | None = None  # texts read beside Chroma, if they can be
        if reading and not chroma_url:
            self._client, copy = open_for_reading(folder / "chroma", _settings())
            if copy is not None:  # removed on close, or at exit by processes that never close
                self._remove_copy = weakref.finalize(self, shutil.rmtree, copy, True)
        else:
            self._client = connect(folder, chroma_url)
        prefix = f"{folder.name}-" if chroma_url else ""
        self._collections = [
            self._open_collection(prefix + _collection_name(m), create=not reading)
            for m in range(models)
        ]
        if reading and not chroma_url:
            sqlite_file = (copy or folder / "chroma") / SQLITE
            self._records = ChromaRecords.open(sqlite_file, _collection_name(0), _PASSAGE_KEYS)
        self._collection = self._collections[0]  # texts and metadata
        self._sentences = [VectorFiles(folder / f"sentences-{m}") for m in range(models)]
        # Copies of each model's passage vectors, for scoring candidates by id.
        self._passage_files = [VectorFiles(folder / f"passage-vectors-{m}") for m in range(models)]
        self._forget_layout()

    def _forget_layout(self) -> None:
        """Drop what is kept of the store's layout; every write calls it."""
        self._counts: dict[str, int] = {}  # collection sizes
        self._by_article: dict[str, list[str]] | None = None  # vector files' ids by article
        self._filter_rows: dict[tuple, tuple[list[str], np.ndarray | None]] = {}
        self._filter_sizes: dict[tuple, int] = {}

    def _open_collection(self, name: str, create: bool):
        if create:
            return self._client.get_or_create_collection(
                name, embedding_function=None, metadata={"hnsw:space": "cosine"}
            )
        from chromadb.errors import NotFoundError

        try:
            return self._client.get_collection(name, embedding_function=None)
        except NotFoundError as err:
            self.close()
            raise IndexDamaged(self.folder, f"its Chroma store has no collection {name}") from err

    def check(self) -> None:
        """The cheap consistency checks of an opened generation: each collection holds as
        many passages as the article records count, and each vector file has rows for at
        least as many (rows of deleted passages stay until compacted).

        Raises:
            IndexDamaged: a count differs.
        """
        expected = sum(record.passages for record in self.articles.values())
        counts = {c.name: self._count(c) for c in self._collections}
        for name, found in counts.items():
            if found != expected:
                raise IndexDamaged(
                    self.folder, f"collection {name} holds {found} passages, the records {expected}"
                )
        for files in (*self._sentences, *self._passage_files):
            if len(files) < expected:
                raise IndexDamaged(
                    self.folder,
                    f"{files.folder.name} has vectors of {len(files)} passages, "
                    f"the records count {expected}",
                )

    @contextmanager
    def _reading(self) -> Iterator[None]:
        """Turns Chroma failing to read into `IndexDamaged` (a damaged segment it did not
        crash on) or `IndexUnusable` (it could not write, as it does when reading)."""
        from chromadb.errors import ChromaError

        try:
            yield
        except ChromaError as err:
            if describe_write_failure(err):  # Chroma writes as it reads, too
                raise IndexUnusable(self.folder, err) from err
            raise IndexDamaged(self.folder, f"Chroma failed to read it: {err}") from err

    @property
    def models(self) -> int:
        return len(self._collections)

    def count(self) -> int:
        """Passages stored (cached: Chroma's count costs ~4 ms, and questions ask often)."""
        return self._count(self._collection)

    def _count(self, collection) -> int:
        if collection.name not in self._counts:
            with self._reading():
                self._counts[collection.name] = collection.count()
        return self._counts[collection.name]

    def upsert(
        self,
        passages: list[Passage],
        languages: list[str],
        dates: list[str | None],
        vectors: Sequence[np.ndarray],
        sentence_vectors: Sequence[list[np.ndarray]],
    ) -> None:
        """Add or replace passages with their vectors (ids are stable, so repeats are no-ops).

        `languages` and `dates` (their articles' dates, see `ArticleRecord.date`) are
        per passage; `vectors[m]` holds model m's passage vectors, one row per passage;
        `sentence_vectors[m][i]` one row per sentence of `passages[i]`.
        """
        self._forget_layout()
        step = self._client.get_max_batch_size()
        ids = [p.id for p in passages]
        for first in range(0, len(passages), step):
            batch = slice(first, first + step)
            for model in range(1, self.models):
                self._collections[model].upsert(
                    ids=ids[batch],
                    embeddings=vectors[model][batch],
                    metadatas=[
                        _filter_metadata(p.article_id, date)
                        for p, date in zip(passages[batch], dates[batch], strict=True)
                    ],
                )
            self._collection.upsert(
                ids=ids[batch],
                embeddings=vectors[0][batch],
                documents=[p.text for p in passages[batch]],
                metadatas=[
                    _metadata(p, lang, date)
                    for p, lang, date in zip(
                        passages[batch], languages[batch], dates[batch], strict=True
                    )
                ],
            )
        for model in range(self.models):
            self._sentences[model].add(ids, sentence_vectors[model])
            self._passage_files[model].add(ids, [row[None] for row in vectors[model]])

    def update_positions(self, passages: list[Passage], language: str, date: str | None) -> None:
        """Record new offsets, language and date of one article's passages whose text (and
        so vector) is unchanged."""
        if not passages:
            return
        # Chroma merges an update into the stored metadata: None removes a date the
        # article no longer states.
        dated = {"date_first": None, "date_last": None} | (_date_metadata(date) or {})
        ids = [p.id for p in passages]
        self._collection.update(
            ids=ids, metadatas=[_metadata(p, language, None) | dated for p in passages]
        )
        for collection in self._collections[1:]:
            collection.update(ids=ids, metadatas=[dated] * len(ids))

    def delete(self, passage_ids: list[str]) -> None:
        self._forget_layout()
        step = self._client.get_max_batch_size()
        for first in range(0, len(passage_ids), step):
            for collection in self._collections:
                collection.delete(ids=passage_ids[first : first + step])

    def passage_positions(self, article_id: str) -> dict[str, tuple[int, int]]:
        """Stored passages of one article: id -> (start, end)."""
        with self._reading():
            found = self._collection.get(where={"article_id": article_id}, include=["metadatas"])
        return {
            pid: (meta["start"], meta["end"])
            for pid, meta in zip(found["ids"], found["metadatas"], strict=True)
        }

    def passage_spans(self, article_ids: list[str]) -> dict[str, tuple[str, int, int]]:
        """Stored passages of several articles: id -> (article id, start, end)."""
        spans: dict[str, tuple[str, int, int]] = {}
        asked = sorted(article_ids)
        # A speaker quoted in tens of thousands of articles: SQLite takes a bounded number
        # of values in one query.
        for first in range(0, len(asked), _ARTICLES_PER_READ):
            chosen = asked[first : first + _ARTICLES_PER_READ]
            with self._reading():
                found = self._collection.get(
                    where={"article_id": {"$in": chosen}}, include=["metadatas"]
                )
            spans.update(
                (pid, (meta["article_id"], meta["start"], meta["end"]))
                for pid, meta in zip(found["ids"], found["metadatas"], strict=True)
            )
        return spans

    def all_passages(self) -> Iterator[tuple[Passage, str]]:
        """Every stored passage with its language, in pages (for the keyword index)."""
        step = 5000
        for offset in range(0, self.count(), step):
            with self._reading():
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
        records = self._records.get(passage_ids) if self._records is not None else None
        if records is not None:
            return {
                pid: (_passage(pid, values[DOCUMENT], values), values["language"])
                for pid, values in records.items()
            }
        with self._reading():
            found = self._collection.get(ids=passage_ids, include=["documents", "metadatas"])
        return {
            pid: (_passage(pid, text, meta), meta["language"])
            for pid, text, meta in zip(
                found["ids"], found["documents"], found["metadatas"], strict=True
            )
        }

    def vectors(self, model: int, passage_ids: list[str]) -> dict[str, np.ndarray]:
        """Model `model`'s stored passage vectors (unit length) by passage id."""
        found = self._passage_files[model].get(passage_ids)
        return {pid: rows[0] for pid, rows in found.items()}

    def query(
        self,
        model: int,
        vector: np.ndarray,
        k: int,
        dates: DateRange | None = None,
        articles: frozenset[str] | None = None,
    ) -> dict[str, float]:
        """The `k` nearest passages to `vector` in model `model`'s space: id -> cosine
        similarity, best first; with `dates`, only passages of articles dated in that range;
        with `articles`, only passages of those articles (ids); with both, of both.

        Chroma's `where` filter (`passage_filter`) costs time in proportion to the passages
        it holds (270 ms for a twelfth of 100k passages, against 4 ms unfiltered), so a
        filter first takes the nearest passages of any article, enough to hold 1.5 `k` of
        the filter's at its share of the index (10 ms for 480 of 100k, 18 ms for 960), and
        keeps the filter's; only when they are too few does Chroma filter. A filter
        admitting few passages (`_EXACT_PASSAGES`) is faster still: each of them is scored
        from the passage vector files.
        """
        collection = self._collections[model]
        count = self._count(collection)
        if count == 0:
            return {}
        if dates is None and articles is None:
            return self._nearest(collection, vector, min(k, count))
        inside = self._passages_within(dates, articles)
        if inside == 0:
            return {}
        if inside >= count:  # the filter admits every passage: an unfiltered search
            return self._nearest(collection, vector, min(k, count))
        if inside <= _EXACT_PASSAGES:
            found = self._exact_nearest(model, vector, dates, articles, k)
            if found is not None:
                return found
        wanted = math.ceil(k * count / inside * _OVERFETCH)
        if wanted <= _MAX_OVERFETCH:
            nearest = self._nearest(collection, vector, min(wanted, count))
            kept = {
                pid: score for pid, score in nearest.items() if self._within(pid, dates, articles)
            }
            if len(kept) >= min(k, inside) / 2:
                return dict(list(kept.items())[:k])
        where = passage_filter(dates, articles)
        return self._nearest(collection, vector, min(k, inside), where)

    def _members(
        self, dates: DateRange | None, articles: frozenset[str] | None
    ) -> list[str] | None:
        """The passage ids the filter admits, from the passage vector files; None when an
        admitted article's rows there are not exactly its live passages (rows of passages
        deleted since the files were last compacted)."""
        if self._by_article is None:
            by_article: dict[str, list[str]] = {}
            for passage_id in self._passage_files[0].ids():
                by_article.setdefault(article_of(passage_id), []).append(passage_id)
            self._by_article = by_article
        members = []
        for record in self.articles.values():
            if _admits(record, dates, articles):
                ids = self._by_article.get(record.id, [])
                if len(ids) != record.passages:
                    return None
                members.extend(ids)
        return members

    def _exact_nearest(
        self,
        model: int,
        vector: np.ndarray,
        dates: DateRange | None,
        articles: frozenset[str] | None,
        k: int,
    ) -> dict[str, float] | None:
        """The `k` passages the filter admits nearest to `vector` by their stored passage
        vectors; None when the vector files cannot tell which passages those are. The rows
        of the last filters asked are kept: a filter is usually asked again."""
        key = (model, dates, articles)
        rows = self._filter_rows.get(key)
        if rows is None:
            members = self._members(dates, articles)
            if members is None:
                return None
            rows = self._passage_files[model].first_rows(members)
            _keep(self._filter_rows, key, rows, 2 * len(self._collections))
        known, matrix = rows
        if matrix is None:
            return {}
        scores = matrix @ np.asarray(vector, dtype="f4")
        best = np.argsort(-scores, kind="stable")[:k]
        return {known[i]: float(scores[i]) for i in best}

    def _nearest(self, collection, vector: np.ndarray, k: int, where: dict | None = None):
        with self._reading():
            result = collection.query(
                query_embeddings=[vector], n_results=k, include=["distances"], where=where
            )
        return {
            pid: 1.0 - distance
            for pid, distance in zip(result["ids"][0], result["distances"][0], strict=True)
        }

    def _passages_within(self, dates: DateRange | None, articles: frozenset[str] | None) -> int:
        """How many passages the article records count in the articles `dates` and
        `articles` admit (None: any); kept per filter until the next write."""
        key = (dates, articles)
        size = self._filter_sizes.get(key)
        if size is None:
            size = sum(
                record.passages
                for record in self.articles.values()
                if _admits(record, dates, articles)
            )
            _keep(self._filter_sizes, key, size, 16)
        return size

    def _within(
        self, passage_id: str, dates: DateRange | None, articles: frozenset[str] | None
    ) -> bool:
        record = self.articles.get(article_of(passage_id))
        return record is not None and _admits(record, dates, articles)

    def sentence_vectors(
        self, model: int, passages: list[Passage]
    ) -> dict[tuple[str, int], np.ndarray]:
        """Model `model`'s stored sentence vectors: (passage id, sentence ordinal in the
        passage) -> unit vector."""
        found = self.sentence_rows(model, [p.id for p in passages])
        return {(pid, i): row for pid, rows in found.items() for i, row in enumerate(rows)}

    def sentence_rows(self, model: int, passage_ids: list[str]) -> dict[str, np.ndarray]:
        """Each passage's stored sentence vectors under model `model`, one row per sentence."""
        return self._sentences[model].get(passage_ids)

    def ids(self) -> set[str]:
        """The ids of every stored passage."""
        with self._reading():
            return set(self._collection.get(include=[])["ids"])

    def compact_vector_files(self) -> None:
        """Drop the vectors of deleted passages once they are a fifth of all."""
        if len(self._sentences[0]) > 1.25 * self.count():
            live = self.ids()
            for files in (*self._sentences, *self._passage_files):
                files.compact(live)
            self._forget_layout()

    def save_records(self, manifest: Manifest, articles: dict[str, ArticleRecord]) -> None:
        """Write manifest and article records atomically (temp file + rename)."""
        self.manifest, self.articles = manifest, articles
        self._forget_layout()
        payload = {
            "manifest": asdict(manifest),
            "articles": {aid: asdict(record) for aid, record in sorted(articles.items())},
        }
        write_atomically(self.folder / MANIFEST, json.dumps(payload, ensure_ascii=False))

    def copy_from(self, other: PassageStore) -> None:
        """Copy every record of `other`'s collections into this store's (server mode, where
        a generation cannot be copied as a folder)."""
        self._forget_layout()
        step = min(self._client.get_max_batch_size(), 5000)
        for source, target in zip(other._collections, self._collections, strict=True):
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

    def probe(self, thorough: bool = False) -> None:
        """Count and search every collection (what a question will do); a damaged segment
        raises or crashes here. `thorough` also compares every vector Chroma holds with its
        copy in the passage-vector files, and finds a sample of passages by their own
        vectors.

        Raises:
            IndexDamaged: Chroma failed to read, or holds other vectors than the files.
        """
        for model, collection in enumerate(self._collections):
            with self._reading():
                count = collection.count()
                if count:
                    dimension = len(collection.peek(1)["embeddings"][0])
                    collection.query(query_embeddings=[[1.0] * dimension], n_results=1)
            if thorough:
                self._compare_vectors(model)

    def _compare_vectors(self, model: int) -> None:
        collection, files = self._collections[model], self._passage_files[model]
        step, sample = 1000, {}
        for offset in range(0, self._count(collection), step):
            with self._reading():
                page = collection.get(include=["embeddings"], limit=step, offset=offset)
            copies = files.get(page["ids"])
            for passage_id, vector in zip(page["ids"], page["embeddings"], strict=True):
                copy = copies.get(passage_id)
                # float16 copies differ from Chroma's float32 by under 0.001 per component.
                if copy is None or np.abs(np.asarray(vector) - copy[0]).max() > 0.002:
                    raise IndexDamaged(
                        self.folder,
                        f"{collection.name} holds another vector of {passage_id} "
                        f"than {files.folder.name}",
                    )
            rows = np.asarray(page["embeddings"])
            sample.update(zip(page["ids"][::97], rows[::97], strict=True))
        if sample:
            with self._reading():
                found = collection.query(
                    query_embeddings=list(sample.values()), n_results=1, include=["distances"]
                )
            if max(distances[0] for distances in found["distances"]) > 0.01:
                raise IndexDamaged(
                    self.folder, f"{collection.name} does not find passages by their own vectors"
                )

    def close(self) -> None:
        """Release Chroma's handles on this folder (needed before it is copied or removed),
        and remove the private copy read instead of it, if any."""
        if self._records is not None:
            self._records.close()
        self._client.close()
        if self._remove_copy is not None:
            self._remove_copy()


def _keep(cache: dict, key: object, value: object, limit: int) -> None:
    """Store `value` under `key`, the oldest entry going once `cache` holds `limit`; under a
    lock, as a question searches its dense models on two threads at once."""
    with _cache_lock:
        if key not in cache and len(cache) >= limit:
            cache.pop(next(iter(cache)))
        cache[key] = value


def write_errors() -> tuple[type[Exception], ...]:
    """What a failed write to the store raises. A function, so that Chroma is imported only
    once something went wrong (a sync with nothing to change never imports it)."""
    from chromadb.errors import ChromaError

    return (OSError, ChromaError)


def connect(folder: Path, chroma_url: str | None):
    """A Chroma client: embedded in `folder` (to write it; readers use
    `chroma_files.open_for_reading`), or the server at `chroma_url`.

    Raises:
        StoreUnavailable: the server cannot be reached.
    """
    import chromadb

    if not chroma_url:
        return chromadb.PersistentClient(path=str(folder / "chroma"), settings=_settings())
    from urllib.parse import urlsplit

    url = urlsplit(chroma_url)
    try:
        return chromadb.HttpClient(
            host=url.hostname or "127.0.0.1",
            port=url.port or (443 if url.scheme == "https" else 8000),
            ssl=url.scheme == "https",
            settings=_settings(),
        )
    except Exception as err:  # connection refused, DNS, TLS: all mean "not reachable"
        raise StoreUnavailable(chroma_url, err) from err


def apply_chroma_log(folder: Path) -> None:
    """Have Chroma write every record of its log into the HNSW files of generation
    `folder`'s embedded store (a server keeps its indexes itself), so that each new process
    searches the files as they are.

    Chroma has no call for it. A client opened afresh loads a collection's index with the
    collection's configuration of the moment and applies the log's remaining records at
    the collection's first read, writing the files when `sync_threshold` records or more
    were applied. So the threshold is lowered to one for that read and set back after it:
    kept at one, every later write would write the whole index again.

    Raises:
        The errors of `write_errors()`: Chroma could not write.
    """
    client = connect(folder, None)
    try:
        for name in [c.name for c in client.list_collections()]:
            collection = client.get_collection(name, embedding_function=None)
            threshold = (collection.configuration_json.get("hnsw") or {}).get("sync_threshold")
            if threshold is None:  # not an HNSW collection: nothing to write
                continue
            _set_sync_threshold(collection, _WRITE_EVERY_RECORD)
            try:
                collection.count()
            finally:
                _set_sync_threshold(collection, threshold)
    finally:
        client.close()
    _report_unapplied(folder)


def _set_sync_threshold(collection, threshold: int) -> None:
    with warnings.catch_warnings():
        # Chroma reads back the configuration of a collection made without an embedding
        # function and warns that it is of an old kind; ours are made so on purpose.
        warnings.filterwarnings("ignore", "legacy embedding function", DeprecationWarning)
        collection.modify(configuration={"hnsw": {"sync_threshold": threshold}})


def _report_unapplied(folder: Path) -> None:
    """Log records Chroma left unapplied (another Chroma version may flush otherwise):
    the index works, but each new process applies them again before its first search."""
    import sqlite3

    try:
        left = {name: n for name, n in unapplied_records(folder / "chroma" / SQLITE).items() if n}
    except sqlite3.Error as err:
        logger.debug("Could not count Chroma's unapplied records in %s: %s", folder, err)
        return
    if left:
        logger.info("Chroma left records of its log unapplied in %s: %s", folder.name, left)


def _settings():
    from chromadb.config import Settings as ChromaSettings

    return ChromaSettings(anonymized_telemetry=False)


def drop_server_collections(folder: Path, chroma_url: str) -> None:
    """Delete the server collections of generation `folder` (its name is their prefix)."""
    client = connect(folder, chroma_url)
    prefix = f"{folder.name}-"
    try:
        for name in [c.name for c in client.list_collections()]:
            if name.startswith(prefix):
                client.delete_collection(name)
    finally:
        client.close()


def _metadata(passage: Passage, language: str, date: str | None) -> dict:
    metadata = {
        "article_id": passage.article_id,
        "start": passage.start,
        "end": passage.end,
        "sentences": json.dumps(passage.sentences),
        "language": language,
    }
    return metadata | (_date_metadata(date) or {})


def _date_metadata(date: str | None) -> dict | None:
    """The article date's span as YYYYMMDD numbers, in every collection (each model's
    search is filtered alike); None for an undated article, which has neither key, so no
    date filter holds it."""
    span = date_span(date)
    if span is None:
        return None
    return {"date_first": day_number(span[0]), "date_last": day_number(span[1])}


def _filter_metadata(article_id: str, date: str | None) -> dict:
    """What each model's search filters a passage by: its article and that article's date."""
    return {"article_id": article_id} | (_date_metadata(date) or {})


def _admits(
    record: ArticleRecord, dates: DateRange | None, articles: frozenset[str] | None
) -> bool:
    """Whether an article is among `articles` (None: any) and dated in `dates` (None: any)."""
    if articles is not None and record.id not in articles:
        return False
    return dates is None or dates.holds(date_span(record.date))


def passage_filter(dates: DateRange | None, articles: frozenset[str] | None = None) -> dict | None:
    """Chroma's `where` for passages of articles whose date span overlaps `dates` and that
    are among `articles` (None: no filter of that kind). Undated passages never match a
    date filter: they carry no date keys."""
    clauses = _date_clauses(dates) if dates is not None else []
    if articles is not None:
        chosen = sorted(articles)
        clauses.append({"article_id": chosen[0] if len(chosen) == 1 else {"$in": chosen}})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _date_clauses(dates: DateRange) -> list[dict]:
    clauses = []
    if dates.since is not None:
        clauses.append({"date_last": {"$gte": day_number(dates.since)}})
    if dates.until is not None:
        clauses.append({"date_first": {"$lte": day_number(dates.until)}})
    return clauses or [{"date_first": {"$gte": 0}}]  # an open range: any dated passage


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


class _SavedRecords(BaseModel):
    """The shape of index.json; anything else in it is damage."""

    model_config = ConfigDict(strict=True)

    manifest: Manifest
    articles: dict[str, ArticleRecord]


def _read_manifest(folder: Path) -> tuple[Manifest | None, dict[str, ArticleRecord]]:
    path = folder / MANIFEST
    if not path.exists():
        return None, {}
    try:
        saved = _SavedRecords.model_validate_json(path.read_bytes())
    except (OSError, ValidationError) as err:
        raise IndexDamaged(folder, f"unreadable {MANIFEST}: {describe_invalid(err)}") from err
    misfiled = [aid for aid, record in saved.articles.items() if record.id != aid]
    if misfiled:
        raise IndexDamaged(folder, f"{MANIFEST} files a record under another id: {misfiled[0]}")
    return saved.manifest, saved.articles


def write_atomically(path: Path, text: str) -> None:
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
