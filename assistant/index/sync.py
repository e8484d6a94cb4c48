"""Bringing the index in line with the articles folder: added, updated, removed, unchanged."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from assistant.errors import IndexDamaged, IndexUnusable, IndexWriteFailed
from assistant.index.generations import (
    check_manifest,
    discard_generation,
    live_generation,
    promote,
    remove_stale_generations,
    start_generation,
    write_lock,
)
from assistant.index.health import check_files, probe_once
from assistant.index.keywords import (
    TokenizedPassages,
    keywords_damage,
    save_keywords,
    saved_passages,
)
from assistant.index.store import (
    ArticleRecord,
    Manifest,
    PassageStore,
    apply_chroma_log,
    read_records,
    write_errors,
)
from assistant.ingest.articles import Article, ArticleFailure, ArticleScan, scan_articles
from assistant.ingest.passages import Passage, split_many
from assistant.language.tokens import content_words
from assistant.models.embeddings import PassageEmbeddings
from assistant.models.word_matching import KnownWords, word_vector_embedder
from assistant.settings import Settings
from assistant.speech.statement_index import StatementIndex
from assistant.speech.statements import ArticleSpeech, reader_version, statements_of_many
from assistant.timing import stage

logger = logging.getLogger(__name__)

WORDS_FOLDER = "words"  # a generation's `KnownWords`
Progress = Callable[[int, int], None]  # (passages embedded so far, passages to embed)


@dataclass(frozen=True)
class SyncPlan:
    added: list[Article]
    updated: list[Article]
    removed: list[str]
    unchanged: list[str]

    @property
    def has_changes(self) -> bool:
        return bool(self.added or self.updated or self.removed)


@dataclass(frozen=True)
class SyncReport:
    """What a sync did. Passage counts are over the whole index after the sync."""

    added: list[str]
    updated: list[str]
    removed: list[str]
    unchanged: list[str]
    failures: list[ArticleFailure]
    passages: int
    passages_embedded: int
    seconds: float
    rebuilt: bool = False
    articles: list[ArticleRecord] = field(default_factory=list)
    statements: int = 0  # sentences the index knows as someone's statement
    speakers: int = 0  # people (or bodies) quoted

    def summary(self) -> str:
        """One sentence for people: what changed, and how long it took."""
        return (
            f"{'Rebuilt' if self.rebuilt else 'Indexed'}: {len(self.added)} added, "
            f"{len(self.updated)} updated, {len(self.removed)} removed, "
            f"{len(self.unchanged)} unchanged, {len(self.failures)} skipped; "
            f"{self.passages} passages ({self.passages_embedded} embedded), "
            f"{self.statements} statements by {self.speakers} speakers "
            f"in {self.seconds:.1f} s."
        )


def expected_manifest(settings: Settings, embedders: Sequence[PassageEmbeddings]) -> Manifest:
    return Manifest(
        dense_models=[embedder.signature for embedder in embedders],
        passage_chars=settings.passage_chars,
        passage_overlap=settings.passage_overlap,
    )


def plan_sync(
    articles: list[Article], indexed: dict[str, ArticleRecord], unchanged: list[str] = ()
) -> SyncPlan:
    """Compare the folder's articles with the index's records by content hash.

    `unchanged` lists ids already known to match their record (not read again).
    """
    current = {a.id: a for a in articles} | dict.fromkeys(unchanged)
    return SyncPlan(
        added=[a for a in articles if a.id not in indexed],
        updated=[
            a for a in articles if a.id in indexed and indexed[a.id].content_hash != a.content_hash
        ],
        removed=sorted(set(indexed) - set(current)),
        unchanged=sorted(
            [
                a.id
                for a in articles
                if a.id in indexed and indexed[a.id].content_hash == a.content_hash
            ]
            + list(unchanged)
        ),
    )


def sync_index(
    settings: Settings,
    embedders: Sequence[PassageEmbeddings],
    *,
    rebuild: bool = False,
    progress: Progress | None = None,
) -> SyncReport:
    """Index the articles folder, embedding only passages the index does not hold yet.

    The work happens in a private copy of the live generation that is swapped in when
    complete, so questions keep being answered from the old index meanwhile, and a crash
    leaves it untouched. A damaged live generation is not copied: the articles are indexed
    from scratch; one whose saved keyword index alone is unusable is copied with that
    saved again.

    Raises:
        SeedsNotFound: the articles folder is missing.
        IndexBusy: another process is writing the index.
        IndexMismatch: the index was built with other settings and `rebuild` is False.
        IndexWriteFailed: the new generation could not be written (nothing was changed).
    """
    started = time.perf_counter()
    expected = expected_manifest(settings, embedders)
    with write_lock(settings.index):
        start = _start(settings, expected, rebuild)
        plan, indexed = start.plan, start.indexed
        total = sum(record.passages for record in indexed.values())
        embedded = 0
        if start.live is None or plan.has_changes or start.repair:
            indexed, embedded, total = _build_generation(
                settings, start, expected, embedders, progress
            )
        said = StatementIndex.load(live_generation(settings.index))
    return SyncReport(
        added=[a.id for a in plan.added],
        updated=[a.id for a in plan.updated],
        removed=plan.removed,
        unchanged=plan.unchanged,
        failures=start.scan.failures,
        passages=total,
        passages_embedded=embedded,
        seconds=time.perf_counter() - started,
        rebuilt=start.rebuild,
        articles=sorted(indexed.values(), key=lambda r: r.id),
        statements=said.count(),
        speakers=len(said.speakers()),
    )


@dataclass(frozen=True)
class _Start:
    """Where a sync starts: the live generation to copy (None: build from scratch), its
    records, the articles folder as read, and what to change."""

    live: Path | None
    indexed: dict[str, ArticleRecord]
    scan: ArticleScan
    plan: SyncPlan
    rebuild: bool
    repair: bool = False  # copy the live generation even without changes, to mend it
    damaged: bool = False  # the live generation was left out as damaged


def _start(settings: Settings, expected: Manifest, rebuild: bool) -> _Start:
    """The live generation, checked, and the plan against it. A damaged one (found by the
    cheap checks or by the probe) is left out: the sync then builds from scratch."""
    url = settings.chroma_url
    try:
        remove_stale_generations(settings.index, url)
        live = None if rebuild else live_generation(settings.index)
        indexed: dict[str, ArticleRecord] = {}
        if live is not None:
            manifest, indexed = read_records(live)
            check_manifest(settings.index, manifest, expected)
            check_files(live, url)
        scan, plan = _scan_and_plan(settings, live, indexed)
        # Damage the cheap checks cannot see (a segment's bytes) would be copied, or stay.
        if live is not None and (damage := probe_once(live, url)):
            raise IndexDamaged(live, damage)
    except IndexDamaged as err:
        logger.warning("%s cannot be read (%s); indexing the articles anew.", err.path, err.reason)
        scan = scan_articles(settings.seeds, {})
        return _Start(None, {}, scan, plan_sync(scan.articles, {}), True, damaged=True)
    repair = None
    if live is not None and not plan.has_changes:
        repair = keywords_damage(live, sum(r.passages for r in indexed.values()))
        if repair:
            logger.warning("The live generation: %s; saving it again.", repair)
    return _Start(live, indexed, scan, plan, rebuild, repair=bool(repair))


def _scan_and_plan(
    settings: Settings, live: Path | None, indexed: dict[str, ArticleRecord]
) -> tuple[ArticleScan, SyncPlan]:
    """The articles folder read, and what to add, update and remove. Files whose bytes
    match their record are not parsed again, unless the live statements were read by older
    rules: then every article is updated, its statements read again (its passages keep
    their ids, so none is embedded again)."""
    stale = live is not None and StatementIndex.load(live, indexed).version != reader_version()
    known = {} if stale else {i: r.content_hash for i, r in indexed.items()}
    with stage("read articles"):
        scan = scan_articles(settings.seeds, known)
    plan = plan_sync(scan.articles, indexed, scan.unchanged)
    if not stale:
        return scan, plan
    logger.info("Statement reading has changed: reading every article again.")
    unchanged = set(plan.unchanged)
    again = [a for a in scan.articles if a.id in unchanged]
    return scan, SyncPlan(plan.added, plan.updated + again, plan.removed, [])


def _build_generation(
    settings: Settings,
    start: _Start,
    expected: Manifest,
    embedders: Sequence[PassageEmbeddings],
    progress: Progress | None,
) -> tuple[dict[str, ArticleRecord], int, int]:
    """Apply the plan to a private copy of the live generation, then swap it in.

    Returns the new records, passages embedded and passages in the index. A build that
    fails for any reason removes its folder; a failed write (disk full, read-only folder)
    is `IndexWriteFailed`, and the live generation stays as it was.
    """
    url = settings.chroma_url
    folder = None
    try:
        with stage("generation"):
            folder = start_generation(settings.index, copy_of=start.live, chroma_url=url)
        logger.info("Building generation %s", folder.name)
        words = _NewWords.of(folder, word_vector_embedder(settings.dense_models, embedders))
        store = PassageStore(folder, url, models=len(embedders))
        records, embedded, statements, keywords, total = _write_store(
            store, start, settings, embedders, words, progress
        )
        # Chroma's indexes are let go first: the word vectors, the keyword index and the
        # statements are put together at the build's end, when everything else is resident
        # too (at 100k passages the build peaked there).
        if words is not None:
            with stage("word vectors"):
                words.save()
        with stage("keywords"):
            save_keywords(folder, keywords)
        del keywords
        with stage("statements"):
            said = StatementIndex.load(folder).updated(start.plan.removed, statements)
            said.save(folder)
        with stage("writes"):
            store.save_records(expected, records)
        logger.info("Promoting generation %s", folder.name)
        # An atomic rename: all or nothing. A damaged generation is not kept as previous.
        with stage("generation"):
            promote(settings.index, folder, url, keep_previous=not start.damaged)
    except BaseException as err:
        if folder is not None:
            discard_generation(settings.index, folder, url)
        if isinstance(err, IndexUnusable):
            err = err.__cause__ or err  # the failed write itself
        if isinstance(err, write_errors()):
            raise IndexWriteFailed(settings.index, err) from err
        raise
    return records, embedded, total


def _write_store(
    store: PassageStore,
    start: _Start,
    settings: Settings,
    embedders: Sequence[PassageEmbeddings],
    words: _NewWords | None,
    progress: Progress | None,
) -> tuple[dict[str, ArticleRecord], int, dict[str, ArticleSpeech], TokenizedPassages, int]:
    """Write the plan into the new generation's `store` and close it; returns the records,
    passages embedded, each changed article's statements, the keyword index's passages and
    the passages stored. An embedded store is left with Chroma's whole log in its HNSW
    files, so that every process searches the same index, from its first question."""
    try:
        records, embedded, changed, statements = _apply(
            store, start.plan, start.indexed, settings, embedders, words, progress
        )
        with stage("writes"):
            store.compact_vector_files()
        with stage("keywords"):
            keywords = _keyword_passages(store, changed)
        total = store.count()
    finally:
        store.close()
    if not settings.chroma_url:
        with stage("chroma log"):
            apply_chroma_log(store.folder)
    return records, embedded, statements, keywords, total


def _keyword_passages(
    store: PassageStore, changed: list[tuple[str, str, str]]
) -> TokenizedPassages:
    """The generation's passages for its keyword index: the copied generation's tokens
    carried over, the changed articles' passages (id, language, text) tokenized."""
    live = store.ids()
    previous = saved_passages(store.folder) or TokenizedPassages.of([])
    passages = previous.updated(live, changed)
    if set(passages.ids) != live:  # no tokens saved before: tokenize everything once
        logger.info("Tokenizing all %d passages for the keyword index", len(live))
        passages = TokenizedPassages.of(
            (p.id, language, p.text) for p, language in store.all_passages()
        )
    return passages


def _apply(
    store: PassageStore,
    plan: SyncPlan,
    indexed: dict[str, ArticleRecord],
    settings: Settings,
    embedders: Sequence[PassageEmbeddings],
    words: _NewWords | None,
    progress: Progress | None,
) -> tuple[dict[str, ArticleRecord], int, list[tuple[str, str, str]], dict[str, ArticleSpeech]]:
    """Write the plan's changes, the new passages' words into `words` (saved by the
    caller); returns the records, passages embedded, every passage of a changed article as
    (id, language, text), and each changed article's statements."""
    records = {aid: indexed[aid] for aid in plan.unchanged}
    rewritten: list[tuple[str, str, str]] = []  # (id, language, text) of changed articles
    to_embed: list[tuple[Passage, Article]] = []
    added = {a.id for a in plan.added}
    changed = plan.added + plan.updated
    with stage("split"):
        split = split_many(changed, settings.passage_chars, settings.passage_overlap)
    with stage("statements"):
        statements = statements_of_many(changed, split)
    with stage("writes"):
        _place(store, changed, split, added, to_embed, rewritten, records)
        for article_id in plan.removed:
            store.delete(list(store.passage_positions(article_id)))
    _embed_and_store(store, to_embed, settings.index_batch, embedders, words, progress)
    return records, len(to_embed), rewritten, statements


class _NewWords:
    """The generation's known words (`KnownWords`, for the word matcher: a question then
    embeds only words no passage has), grown by each step's new passages' words, which the
    word-matching model embeds after that step's passages. Words of passages removed since
    stay: a question never looks them up."""

    def __init__(self, folder: Path, known: KnownWords, embedder: PassageEmbeddings) -> None:
        self.folder = folder
        self.known = known
        self.embedder = embedder
        self.words: list[str] = []
        self.rows: list[np.ndarray] = []
        self._seen = set(known.words)

    @classmethod
    def of(cls, generation: Path, embedder: PassageEmbeddings | None) -> _NewWords | None:
        if embedder is None:
            return None
        folder = generation / WORDS_FOLDER
        known = KnownWords.read(folder, embedder.signature)
        return cls(folder, known or KnownWords.empty(embedder.signature), embedder)

    def unseen(self, chunk: list[tuple[Passage, Article]]) -> list[str]:
        """The chunk's content words not known or queued before (now queued)."""
        words = set().union(*(content_words(p.text, article.language) for p, article in chunk))
        new = sorted(words - self._seen)
        self._seen.update(new)
        return new

    def add(self, words: list[str], rows: np.ndarray) -> None:
        self.words += words
        self.rows.append(rows)

    def save(self) -> None:
        if self.words:
            rows = np.concatenate(self.rows)
            self.rows.clear()  # not held twice while merged
            self.known.merged(self.words, rows).write(self.folder)


def _place(
    store: PassageStore,
    changed: list[Article],
    split: list[list[Passage]],
    added: set[str],
    to_embed: list[tuple[Passage, Article]],
    rewritten: list[tuple[str, str, str]],
    records: dict[str, ArticleRecord],
) -> None:
    """Each changed article's passages: stored ones kept (moved), gone ones deleted, new
    ones queued in `to_embed`; every passage in `rewritten`, each record in `records`."""
    for article, passages in zip(changed, split, strict=True):
        # The generation is a copy of the live one, which holds nothing of a new article.
        stored = {} if article.id in added else store.passage_positions(article.id)
        kept = [p for p in passages if p.id in stored]
        wanted = {p.id for p in passages}
        store.delete([pid for pid in stored if pid not in wanted])
        store.update_positions(kept, article.language, article.date)
        fresh = [p for p in passages if p.id not in stored]
        to_embed.extend((p, article) for p in fresh)
        rewritten.extend((p.id, article.language, p.text) for p in passages)
        records[article.id] = ArticleRecord.of(article, len(passages))


def _embed_and_store(
    store: PassageStore,
    to_embed: list[tuple[Passage, Article]],
    step: int,
    embedders: Sequence[PassageEmbeddings],
    words: _NewWords | None,
    progress: Progress | None,
) -> None:
    """Embed (passage, its article) pairs with every dense model, `step` at a time, and
    write each step; the step's new words too (`words`). The models embed a step at the
    same time, each on a thread of its own (their vectors do not depend on it): USE runs
    on one core and e5 on `embedding_threads`, so neither waits for the other's
    single-threaded stretches (USE's tokenizer, e5's pooling), and the next step is
    embedded while this one is written, so the cores stay busy through the writes."""
    steps = [(first, to_embed[first : first + step]) for first in range(0, len(to_embed), step)]
    with ThreadPoolExecutor(len(embedders), thread_name_prefix="embed") as pool:
        running = _start_step(pool, *steps[0], embedders, words, len(to_embed)) if steps else None
        for number, (first, chunk) in enumerate(steps):
            futures, unseen = running
            with stage("embed"):
                embedded = [future.result() for future in futures]
            if number + 1 < len(steps):
                running = _start_step(pool, *steps[number + 1], embedders, words, len(to_embed))
            if words is not None and unseen:
                words.add(unseen, embedded[embedders.index(words.embedder)][2])
            with stage("writes"):
                store.upsert(
                    [p for p, _ in chunk],
                    [article.language for _, article in chunk],
                    [article.date for _, article in chunk],
                    [vectors for vectors, _, _ in embedded],
                    [sentences for _, sentences, _ in embedded],
                )
            written = first + len(chunk)
            logger.info("Wrote passages %d-%d of %d", first + 1, written, len(to_embed))
            if progress:
                progress(written, len(to_embed))


def _start_step(
    pool: ThreadPoolExecutor,
    first: int,
    chunk: list[tuple[Passage, Article]],
    embedders: Sequence[PassageEmbeddings],
    words: _NewWords | None,
    total: int,
) -> tuple[list[Future], list[str]]:
    """Start every model embedding the chunk, passages `first` on of `total` (the
    word-matching model its new words too); returns the running embeddings, in model
    order, and the new words."""
    logger.info("Embedding passages %d-%d of %d", first + 1, first + len(chunk), total)
    # The title gives each passage its article's context ("what is this about?").
    texts = [f"{article.title}\n{p.text}" for p, article in chunk]
    spans = [_sentence_spans(p, len(article.title) + 1) for p, article in chunk]
    with stage("word vectors"):
        unseen = words.unseen(chunk) if words is not None else []
    asked = [unseen if words is not None and e is words.embedder else [] for e in embedders]
    futures = [
        pool.submit(_embed, e, texts, spans, w) for e, w in zip(embedders, asked, strict=True)
    ]
    return futures, unseen


def _embed(
    embedder: PassageEmbeddings,
    texts: list[str],
    spans: list[list[tuple[int, int]]],
    words: list[str],
) -> tuple[np.ndarray, list[np.ndarray], np.ndarray]:
    """Passage vectors, sentence vectors and `words`' vectors, one after the other: a model
    never runs on two threads at once (USE sets its BLAS thread limit per call)."""
    vectors, sentences = embedder.embed_passages_with_spans(texts, spans)
    return vectors, sentences, embedder.embed_questions(words) if words else np.zeros((0, 0))


def _sentence_spans(passage: Passage, shift: int) -> list[tuple[int, int]]:
    """The passage's sentences as offsets into its embedded text (title line + passage)."""
    return [(shift + s - passage.start, shift + e - passage.start) for s, e in passage.sentences]
