"""Speed and memory at 1k, 10k and 100k passages, beside a naive LangChain baseline.

    python benchmarks/scale.py                      # all sizes, ~13 minutes here
    python benchmarks/scale.py --sizes 1000,10000   # fewer sizes
    python benchmarks/scale.py --sizes 1000,100000 --no-baseline   # with and without a date
                                                                    # filter, ~8 minutes
    python benchmarks/scale.py --write-docs         # and write the table into docs/benchmarks.md
    ASSISTANT_CHROMA_URL=http://127.0.0.1:8000 python benchmarks/scale.py   # server mode

Corpora are real article text: the seed and the German and English XQuAD articles
(../shared/data/xquad/). The 1k corpus is that text as it is, indexed with the real models,
which gives index throughput and its ratio to the raw embedders' throughput measured in the
same run. Embedding 100k passages on this CPU would take an hour, so the 10k and 100k
corpora recombine the 1k corpus's sentences into new paragraphs (no two passages alike) and
are indexed through the same pipeline with a stand-in embedder that reuses those sentences'
real vectors. Questions are always embedded by the real models, so query latency is the
real cost of a question at that size.

Each measurement runs in its own process, so peak memory (max RSS) is per size and system;
at 10k+ both systems build their index in one process and answer in another, and the
peak is the larger of the two. Each stage of a question (and of the sync) is timed by
`assistant/timing.py`, and a last process per size opens the index part by part to show
what a question keeps resident.
The baseline is what a naive LangChain RAG does: RecursiveCharacterTextSplitter (500
characters), HuggingFaceEmbeddings on the same e5 model (sentence-transformers, torch),
langchain-chroma, similarity_search(k=5); its answer is the retrieved passages.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from report import write_section

REPO = Path(__file__).resolve().parent.parent
XQUAD = REPO.parent / "shared" / "data" / "xquad"
SEED = REPO / "seeds" / "000_bdd157e6eb167cd2.txt"
PASSAGES_PER_ARTICLE = 10  # so the 10k corpus has 1,000 articles
QUESTIONS = 100
WARM_UP = 5


# --- corpora --------------------------------------------------------------------------------


def real_paragraphs() -> list[tuple[str, str, list[str]]]:
    """(title, language, paragraphs) of the seed and every XQuAD article, de and en."""
    articles = []
    seed_lines = SEED.read_text(encoding="utf-8").split("\n", 1)
    articles.append(("Waffenruhe", "de", [p for p in seed_lines[1].split("\n\n") if p.strip()]))
    for language in ("de", "en"):
        data = json.loads((XQUAD / f"xquad.{language}.json").read_text(encoding="utf-8"))
        for article in data["data"]:
            paragraphs = [p["context"] for p in article["paragraphs"]]
            articles.append((article["title"], language, paragraphs))
    return articles


def write_article(folder: Path, name: str, title: str, paragraphs: list[str], day: int) -> None:
    header = f"date 2025-{1 + day % 12:02d}-{1 + day % 28:02d} {title}"
    (folder / name).write_text(header + "\n\n" + "\n\n".join(paragraphs), encoding="utf-8")


def build_real_corpus(folder: Path, passages: int) -> None:
    """About `passages` passages of unchanged article text, ~10 passages per article file."""
    folder.mkdir(parents=True)
    total, n = 0, 0
    for title, language, paragraphs in real_paragraphs():
        for first in range(0, len(paragraphs), 4):
            chunk = paragraphs[first : first + 4]
            write_article(
                folder, f"{language}-{n:05d}.txt", f"{title} ({first // 4 + 1})", chunk, n
            )
            n += 1
            total += sum(max(1, len(p) // 320) for p in chunk)  # ~ passages it will give
            if total >= passages:
                return


def build_mixed_corpus(folder: Path, passages: int, sentences: dict[str, list[str]]) -> None:
    """About `passages` passages of new paragraphs, each 3-6 sentences drawn from the 1k
    corpus's sentences of one language (so every sentence has a real vector)."""
    folder.mkdir(parents=True)
    rng = random.Random(passages)
    languages = sorted(lang for lang, pool in sentences.items() if len(pool) >= 100)
    total, n = 0, 0
    while total < passages:
        language = languages[n % len(languages)]
        pool = sentences[language]
        paragraphs = [" ".join(rng.sample(pool, rng.randint(3, 6))) for _ in range(5)]
        write_article(folder, f"{language}-{n:06d}.txt", f"Dossier {n}", paragraphs, n)
        n += 1
        total += sum(max(1, len(p) // 240) for p in paragraphs)


def questions() -> list[str]:
    asked = []
    for language in ("en", "de"):
        data = json.loads((XQUAD / f"xquad.{language}.json").read_text(encoding="utf-8"))
        asked += [qa["question"] for a in data["data"] for p in a["paragraphs"] for qa in p["qas"]]
    random.Random(0).shuffle(asked)
    return asked[:QUESTIONS]


# --- the stand-in embedder -------------------------------------------------------------------


def _unit(vector: np.ndarray) -> np.ndarray:
    return (vector / max(float(np.linalg.norm(vector)), 1e-12)).astype(np.float32)


def _hashed_vector(text: str, dimension: int) -> np.ndarray:
    seed = int.from_bytes(hashlib.sha1(text.encode()).digest()[:8], "little")
    return _unit(np.random.default_rng(seed).standard_normal(dimension))


def stand_in_embedders(reals, sentence_vectors: dict[str, np.ndarray]):
    """Embedders that index like the real ones (same signatures) without running a model
    on passages: a sentence gets its real vector (from the 1k run), a passage the mean of its
    sentences'; questions go to the real models."""
    from assistant.models.embeddings import PassageEmbeddings

    class StandIn(PassageEmbeddings):
        def __init__(self, model, dimension: int, reuse: bool) -> None:
            self.signature = model.signature
            self._model, self._dimension, self._reuse = model, dimension, reuse

        def _sentence(self, text: str) -> np.ndarray:
            known = sentence_vectors.get(text.strip()) if self._reuse else None
            return known if known is not None else _hashed_vector(text, self._dimension)

        def embed_passages(self, texts):
            return np.stack([self._sentence(t) for t in texts]) if texts else np.zeros((0, 1))

        def embed_passages_with_spans(self, texts, spans):
            vectors, span_vectors = [], []
            for text, pairs in zip(texts, spans, strict=True):
                rows = np.stack([self._sentence(text[s:e]) for s, e in pairs])
                span_vectors.append(rows)
                vectors.append(_unit(rows.mean(axis=0)))
            return np.stack(vectors), span_vectors

        def embed_questions(self, texts):
            return self._model.embed_questions(texts)

    # The primary model's sentences reuse their real vectors; the others' get hashed ones.
    return [
        StandIn(real, 384 if number == 0 else 512, number == 0) for number, real in enumerate(reals)
    ]


# --- one measurement per process -------------------------------------------------------------


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb() -> float:
    """The process's resident memory now (Linux)."""
    return resident_mb()[0]


def resident_mb() -> tuple[float, float]:
    """The process's resident memory now, and of it the anonymous part (heaps, arrays,
    native allocations; the rest is pages of files: libraries, memory-mapped files read).
    Linux; NaN elsewhere."""
    try:
        rows = Path("/proc/self/smaps_rollup").read_text().splitlines()[1:]
    except OSError:
        return float("nan"), float("nan")
    found = {key: int(value.split()[0]) / 1024 for key, value in (r.split(":", 1) for r in rows)}
    return found["Rss"], found["Anonymous"]


def latencies(ask, asked: list[str], profile=None) -> dict:
    """p50/p95 of asking each question (after a warm-up); with a `timing.Profile`, each
    question's stages are recorded into it too."""
    from contextlib import nullcontext

    from assistant.timing import profiling

    for question in asked[:WARM_UP]:
        ask(question)
    times = []
    with profiling(profile) if profile is not None else nullcontext():
        for question in asked:
            with profile.question() if profile is not None else nullcontext():
                started = time.perf_counter()
                ask(question)
                times.append((time.perf_counter() - started) * 1000)
    return {"p50_ms": float(np.percentile(times, 50)), "p95_ms": float(np.percentile(times, 95))}


def measure_assistant(size: int, work: Path) -> dict:
    from assistant.ingest.articles import read_articles
    from assistant.ingest.passages import split_passages
    from assistant.surfaces.api import Assistant
    from assistant.timing import Profile

    seeds, index = work / f"seeds-{size}", work / f"index-{size}"
    memory = {"start": rss_mb()}
    assistant = Assistant(seeds=seeds, index=index)
    reals = assistant.embedders
    memory["models"] = rss_mb()
    result: dict = {"system": "assistant", "size": size}
    if size <= 1000:
        build_real_corpus(seeds, size)
        articles, _ = read_articles(seeds)
        chunks = [(a.title, p) for a in articles for p in split_passages(a, 500, 1)]
        texts = [f"{title}\n{p.text}" for title, p in chunks]
        spans = [
            [(len(title) + 1 + s - p.start, len(title) + 1 + e - p.start) for s, e in p.sentences]
            for title, p in chunks
        ]
        # The raw embedders' throughput on every third passage (a third of the time), with
        # the models loaded first: the sync that follows finds them loaded too. The primary
        # model pools its sentence vectors from the passage's own pass; the others embed
        # each sentence as a text of its own, which is timed apart: the index needs those
        # vectors too (once per sentence: passages overlap by one, which the sync embeds once).
        reals[0].embed_passages_with_spans(texts[:1], spans[:1])
        for other in reals[1:]:
            other.embed_passages(texts[:1])
        sentences = [
            [text[s:e] for s, e in pairs] for text, pairs in zip(texts, spans, strict=True)
        ]
        sentences = [
            [s for s in own if s not in set(before)]
            for own, before in zip(sentences, [[], *sentences[:-1]], strict=True)
        ][::3]
        texts, spans = texts[::3], spans[::3]
        passages_s = sentences_s = 0.0
        for first in range(0, len(texts), 256):
            step = slice(first, first + 256)
            started = time.perf_counter()
            reals[0].embed_passages_with_spans(texts[step], spans[step])
            for other in reals[1:]:
                other.embed_passages(texts[step])
            between = time.perf_counter()
            for other in reals[1:]:
                other.embed_passages([s for own in sentences[step] for s in own])
            passages_s += between - started
            sentences_s += time.perf_counter() - between
        raw = len(texts) / passages_s
        raw_all = len(texts) / (passages_s + sentences_s)
        report, result["sync_stages_s"] = profiled_sync(assistant)
        memory["after_sync"], memory["peak_sync"] = rss_mb(), peak_mb()
        result.update(
            passages=report.passages,
            articles=len(report.articles),
            raw_embed_pps=raw,
            raw_embed_all_pps=raw_all,
            index_pps=report.passages / report.seconds,
            index_ratio=(report.passages / report.seconds) / raw,
            index_ratio_all=(report.passages / report.seconds) / raw_all,
        )
        save_sentence_vectors(assistant, work / "sentences.npz")
        assistant = Assistant(seeds=seeds, index=index, embedders=reals)
    else:  # built by `build_assistant_store` in a process of its own, as the baseline's
        wait_for_baseline_build(work, size)  # what follows is measured on a quiet machine
    started = time.perf_counter()
    memory["before_open"] = rss_mb()
    assistant.retriever()
    result["open_index_s"] = time.perf_counter() - started
    memory["opened"] = rss_mb()
    anonymous = {"opened": resident_mb()[1]}
    assistant.ask(questions()[0])  # loads the models
    memory["first_question"], anonymous["first_question"] = resident_mb()
    assistant.warm_up()  # as `assistant serve` does before it serves
    profile = Profile()
    result.update(latencies(assistant.ask, questions(), profile))
    memory["asked"], anonymous["asked"] = resident_mb()
    result["stages"] = profile.percentiles()
    result.update(filtered_latencies(assistant, questions()))
    memory["filtered"], anonymous["filtered"] = resident_mb()
    result["peak_mb"] = peak_mb()
    result["memory_mb"] = memory
    result["anonymous_mb"] = anonymous
    return result


def build_assistant_store(size: int, work: Path) -> dict:
    """The assistant's index for 10k-100k passages, built with the stand-in embedder (the
    real models are never loaded here), in a process of its own like the baseline's: its
    peak memory is the build's, the questions' stage has its own."""
    from assistant.surfaces.api import Assistant

    seeds, index = work / f"seeds-{size}", work / f"index-{size}"
    loaded = np.load(work / "sentences.npz", allow_pickle=True)
    vectors = dict(zip(loaded["texts"], loaded["vectors"], strict=True))
    stand_ins = stand_in_embedders(Assistant(seeds=seeds, index=index).embedders, vectors)
    # Without a model to wait for, steps as large as Chroma's batch limit write faster.
    builder = Assistant(seeds=seeds, index=index, embedders=stand_ins, index_batch=2048)
    report, stages = profiled_sync(builder)
    result = {
        "passages": report.passages,
        "articles": len(report.articles),
        "pipeline_pps_without_model": report.passages / report.seconds,
        "sync_stages_s": stages,
        "peak_mb": peak_mb(),
    }
    if size == 10_000:
        result.update(incremental(builder, seeds, index))
    return result


def profiled_sync(assistant) -> tuple:
    """The sync's report, and its seconds per stage (`assistant/timing.py`)."""
    from assistant.timing import Profile, profiling

    profile = Profile()
    with profiling(profile), profile.question():
        report = assistant.sync()
    return report, {name: ms / 1000 for name, ms in profile.questions[0].items()}


# A month of the corpora's dates (write_article spreads them over 2025): about a twelfth of
# the passages, filtered by Chroma's metadata and the keyword index's date mask.
DATE_FILTER = {"since": "2025-03-01", "until": "2025-03-31"}


def filtered_latencies(assistant, asked: list[str]) -> dict:
    """Each question asked without and with `DATE_FILTER`, one after the other (so both
    meet the same load), after a warm-up of each."""
    for question in asked[:WARM_UP]:
        assistant.ask(question)
        assistant.ask(question, **DATE_FILTER)
    plain, dated = [], []
    for question in asked:
        for times, filters in ((plain, {}), (dated, DATE_FILTER)):
            started = time.perf_counter()
            assistant.ask(question, **filters)
            times.append((time.perf_counter() - started) * 1000)
    return {
        "paired_p50_ms": float(np.percentile(plain, 50)),
        "paired_p95_ms": float(np.percentile(plain, 95)),
        "dated_p50_ms": float(np.percentile(dated, 50)),
        "dated_p95_ms": float(np.percentile(dated, 95)),
    }


def incremental(builder, seeds: Path, index: Path) -> dict:
    """No-change sync in process and through the CLI, then a one-article edit."""
    started = time.perf_counter()
    builder.sync()
    in_process = time.perf_counter() - started
    command = [
        sys.executable,
        "-m",
        "assistant",
        "--seeds",
        str(seeds),
        "--index",
        str(index),
        "index",
    ]
    started = time.perf_counter()
    cli = subprocess.run(command, capture_output=True, text=True, check=False)
    cli_seconds = time.perf_counter() - started
    if cli.returncode != 0:
        raise RuntimeError(cli.stderr)
    edited = sorted(seeds.iterdir())[7]
    text = edited.read_text(encoding="utf-8")
    paragraphs = text.split("\n\n")
    paragraphs[2] += " Diese Ergänzung wurde nachträglich eingefügt."
    edited.write_text("\n\n".join(paragraphs), encoding="utf-8")
    report = builder.sync()
    return {
        "no_change_sync_s": in_process,
        "no_change_cli_s": cli_seconds,
        "no_change_cli_output": cli.stdout.strip(),
        "one_edit_sync_s": report.seconds,
        "one_edit_passages_embedded": report.passages_embedded,
        "one_edit_passages_in_article": next(
            r.passages for r in report.articles if r.id == edited.name
        ),
    }


def measure_memory(size: int, work: Path) -> dict:
    """What a question needs resident at `size`, part by part: the resident memory each
    part adds as it is opened (its own process, the index built by the assistant's stage),
    and of that what Python allocated (tracemalloc: numpy arrays and Python objects; the
    rest is native: model runtimes, Chroma's HNSW, memory-mapped pages read)."""
    import tracemalloc

    parts: dict[str, tuple[float, float, float]] = {}
    tracemalloc.start()

    def part(name: str, open_it):
        (before_rss, before_anon), before_py = resident_mb(), tracemalloc.get_traced_memory()[0]
        value = open_it()
        rss, anon, python = parts.get(name, (0.0, 0.0, 0.0))  # opened in steps: added up
        after_rss, after_anon = resident_mb()
        parts[name] = (
            rss + after_rss - before_rss,
            anon + after_anon - before_anon,
            python + (tracemalloc.get_traced_memory()[0] - before_py) / 2**20,
        )
        return value

    start = rss_mb()
    part("imports", lambda: __import__("assistant.surfaces.api"))
    from assistant.index.generations import open_live
    from assistant.index.keywords import open_keywords
    from assistant.index.sync import expected_manifest
    from assistant.speech.statement_index import StatementIndex
    from assistant.surfaces.api import Assistant

    assistant = Assistant(seeds=work / f"seeds-{size}", index=work / f"index-{size}")
    embedders = part("models", lambda: assistant.embedders)
    vectors = part("models", lambda: [e.embed_questions(["Wer sprach?"])[0] for e in embedders])
    settings = assistant.settings
    store = part(
        "records, vector-file listings, Chroma client",
        lambda: open_live(settings.index, expected_manifest(settings, embedders)),
    )
    part("statements", lambda: StatementIndex.load(store.folder, store.articles))
    part("keyword index", lambda: open_keywords(store))
    for model, vector in enumerate(vectors):
        part(f"Chroma HNSW {model}", lambda m=model, v=vector: store.query(m, v, 40))
    traced_peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return {
        "system": "memory",
        "size": size,
        "start_mb": start,
        "parts": parts,
        "end_mb": rss_mb(),
        "peak_mb": peak_mb(),
        "python_peak_mb": traced_peak,
    }


def save_sentence_vectors(assistant, path: Path) -> None:
    """Every sentence of the 1k index with its real vector, for the stand-in embedder."""
    store = assistant.retriever().store
    texts, vectors, by_language = [], [], {}
    passages = list(store.all_passages())
    for first in range(0, len(passages), 500):
        batch = passages[first : first + 500]
        found = store.sentence_vectors(0, [p for p, _ in batch])
        for passage, language in batch:
            for ordinal, (start, end) in enumerate(passage.sentences):
                text = passage.excerpt(start, end).strip()
                vector = found.get((passage.id, ordinal))
                if vector is not None and len(text.split()) >= 4:
                    texts.append(text)
                    vectors.append(vector)
                    by_language.setdefault(language, []).append(text)
    by_language = {k: sorted(set(v)) for k, v in by_language.items()}
    np.savez(path, texts=np.array(texts, dtype=object), vectors=np.stack(vectors),
             by_language=json.dumps(by_language))  # fmt: skip


def measure_baseline(size: int, work: Path) -> dict:
    from langchain_chroma import Chroma
    from langchain_core.documents import Document
    from langchain_huggingface import HuggingFaceEmbeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from assistant.models import default_model
    from assistant.settings import Settings

    model_dir = default_model.ensure_default_model(Settings().model_cache)
    embeddings = HuggingFaceEmbeddings(
        model_name=str(model_dir),
        model_kwargs={"device": "cpu"},
        encode_kwargs={"normalize_embeddings": True},
    )
    seeds = work / f"seeds-{size}"
    splitter = RecursiveCharacterTextSplitter(chunk_size=500, chunk_overlap=50)
    documents = [
        Document(page_content=chunk, metadata={"source": path.name})
        for path in sorted(seeds.iterdir())
        for chunk in splitter.split_text(path.read_text(encoding="utf-8"))
    ]
    folder = work / f"baseline-{size}"
    result: dict = {"system": "baseline", "size": size, "passages": len(documents)}
    if size <= 1000:
        started = time.perf_counter()
        store = Chroma.from_documents(documents, embeddings, persist_directory=str(folder))
        result["index_pps"] = len(documents) / (time.perf_counter() - started)
    else:
        store = Chroma(embedding_function=embeddings, persist_directory=str(folder))
    result.update(latencies(lambda q: store.similarity_search(q, k=5), questions()))
    result["peak_mb"] = peak_mb()
    return result


def build_baseline_store(size: int, work: Path) -> dict:
    """The baseline's collection for 10k-100k passages. Embedding them with torch would
    take hours here: it gets hashed unit vectors, as only its query cost is measured. Runs
    beside the assistant's stage of the same size (its time is not measured)."""
    try:
        import chromadb
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        splitter = RecursiveCharacterTextSplitter(chunk_size=500, chunk_overlap=50)
        chunks = [
            (chunk, path.name)
            for path in sorted((work / f"seeds-{size}").iterdir())
            for chunk in splitter.split_text(path.read_text(encoding="utf-8"))
        ]
        folder = work / f"baseline-{size}"
        collection = chromadb.PersistentClient(str(folder)).get_or_create_collection("langchain")
        for first in range(0, len(chunks), 5000):
            batch = chunks[first : first + 5000]
            collection.add(
                ids=[str(first + i) for i in range(len(batch))],
                documents=[text for text, _ in batch],
                metadatas=[{"source": source} for _, source in batch],
                embeddings=np.stack([_hashed_vector(text, 384) for text, _ in batch]),
            )
    finally:
        _building_marker(work, size).unlink(missing_ok=True)
    return {"peak_mb": peak_mb()}


def _building_marker(work: Path, size: int) -> Path:
    return work / f"baseline-{size}.building"


def wait_for_baseline_build(work: Path, size: int) -> None:
    """Wait until the baseline's store of this size is filled, if it is being filled."""
    deadline = time.monotonic() + 1800
    while _building_marker(work, size).exists() and time.monotonic() < deadline:
        time.sleep(1)


# --- the run ---------------------------------------------------------------------------------


def stage_command(system: str, size: int, work: Path) -> list[str]:
    return [sys.executable, __file__, "--stage", system, "--size", str(size), "--work", str(work)]


def run_stage(system: str, size: int, work: Path) -> dict:
    done = subprocess.run(stage_command(system, size, work), capture_output=True, text=True)
    return stage_result(system, size, done.returncode, done.stdout, done.stderr)


def stage_result(system: str, size: int, code: int, out: str, err: str) -> dict:
    if code != 0:
        raise RuntimeError(f"{system} at {size} failed:\n{err[-3000:]}")
    return json.loads(out.strip().splitlines()[-1])


def run_size(size: int, work: Path, baseline: bool) -> list[dict]:
    """The assistant's stage, then the baseline's; at 10k+ the baseline's collection is
    filled meanwhile in another process (that fill is not measured)."""
    builder = None
    if size > 1000:
        loaded = np.load(work / "sentences.npz", allow_pickle=True)
        build_mixed_corpus(work / f"seeds-{size}", size, json.loads(str(loaded["by_language"])))
        if baseline:
            _building_marker(work, size).touch()
            command = stage_command("baseline-build", size, work)
            builder = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    build = run_stage("assistant-build", size, work) if size > 1000 else {}
    results = [run_stage("assistant", size, work)]
    if build:
        ours = results[-1]
        ours["peak_query_mb"], ours["peak_build_mb"] = ours["peak_mb"], build.pop("peak_mb")
        ours["peak_mb"] = max(ours["peak_query_mb"], ours["peak_build_mb"])
        ours.update(build)
    print(json.dumps(results[-1]), flush=True)
    if baseline:
        build = {}
        if builder is not None:
            out, err = (stream.decode() for stream in builder.communicate())
            build = stage_result("baseline-build", size, builder.returncode, out, err)
        results.append(run_stage("baseline", size, work))
        results[-1]["peak_mb"] = max(results[-1]["peak_mb"], build.get("peak_mb", 0))
        print(json.dumps(results[-1]), flush=True)
    if size > 1000:
        try:  # a breakdown only: its failure must not cost the run's figures
            results.append(run_stage("memory", size, work))
            print(json.dumps(results[-1]), flush=True)
        except RuntimeError as err:
            print(f"memory breakdown at {size} failed: {err}", file=sys.stderr)
    return results


def report_text(results: list[dict]) -> str:
    """The run as a Markdown table, with the assistant/baseline ratios and the sync times."""

    def cell(row: dict | None, key: str, fmt: str = "{:.1f}") -> str:
        value = (row or {}).get(key)
        return "-" if value is None else fmt.format(value)

    memory = [r for r in results if r["system"] == "memory"]
    results = [r for r in results if r["system"] != "memory"]
    sizes = sorted({r["size"] for r in results})
    lines = [
        "| passages | system | passages indexed | index passages/s | raw embedder "
        "passages/s | ratio | query p50 ms | p95 ms | open index s | peak MB |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for size in sizes:
        for r in (r for r in results if r["size"] == size):
            lines.append(
                f"| {size:,} | {r['system']} | {r['passages']:,} | {cell(r, 'index_pps')} | "
                f"{cell(r, 'raw_embed_pps')} | {cell(r, 'index_ratio', '{:.2f}')} | "
                f"{cell(r, 'p50_ms')} | {cell(r, 'p95_ms')} | {cell(r, 'open_index_s', '{:.2f}')}"
                f" | {cell(r, 'peak_mb', '{:.0f}')} |"
            )
    ratios = []
    for size in sizes:
        ours = next((r for r in results if r["size"] == size and r["system"] == "assistant"), None)
        base = next((r for r in results if r["size"] == size and r["system"] == "baseline"), None)
        if ours and base:
            ratios.append(
                f"{size:,}: query p50 {ours['p50_ms'] / base['p50_ms']:.2f}x, "
                f"p95 {ours['p95_ms'] / base['p95_ms']:.2f}x, "
                f"peak memory {ours['peak_mb'] / base['peak_mb']:.2f}x"
                + (
                    f", index throughput {ours['index_pps'] / base['index_pps']:.2f}x"
                    if "index_pps" in ours and "index_pps" in base
                    else ""
                )
            )
    if ratios:
        lines.append("\nassistant / baseline: " + "; ".join(ratios))
    for r in results:
        if "no_change_sync_s" in r:
            lines.append(
                f"\n{r['articles']:,} articles: no-change sync {r['no_change_sync_s']:.2f} s in "
                f"process, {r['no_change_cli_s']:.2f} s as `assistant index` "
                f"({r['no_change_cli_output']}); one edited article: "
                f"{r['one_edit_passages_embedded']} of its {r['one_edit_passages_in_article']} "
                f"passages re-embedded, sync {r['one_edit_sync_s']:.2f} s"
            )
        if "raw_embed_all_pps" in r:
            lines.append(
                f"\n{r['size']:,}: the raw embedders give {r['raw_embed_pps']:.1f} passages/s "
                "with the primary model's sentence vectors (pooled from the same pass) and "
                f"the others' passage vectors alone, {r['raw_embed_all_pps']:.1f} with the "
                "others' sentence vectors too (each sentence a text of its own, as the index "
                f"needs them): index throughput {r['index_ratio']:.2f}x and "
                f"{r['index_ratio_all']:.2f}x theirs"
            )
        if "pipeline_pps_without_model" in r:
            lines.append(
                f"\n{r['size']:,}: pipeline alone (stand-in embedder) indexes "
                f"{r['pipeline_pps_without_model']:.0f} passages/s (while the baseline's store "
                "is filled beside it; everything else is measured after)"
            )
        if "dated_p50_ms" in r:
            lines.append(
                f"\n{r['size']:,}: with a date filter (one month, `--since {DATE_FILTER['since']}"
                f" --until {DATE_FILTER['until']}`), each question asked with and without it in "
                f"turn: p50 {r['paired_p50_ms']:.0f} -> {r['dated_p50_ms']:.0f} ms "
                f"({r['dated_p50_ms'] / r['paired_p50_ms']:.2f}x), p95 {r['paired_p95_ms']:.0f} "
                f"-> {r['dated_p95_ms']:.0f} ms ({r['dated_p95_ms'] / r['paired_p95_ms']:.2f}x)"
            )
    lines.append(stages_text(results))
    for r in memory:
        parts = "; ".join(
            f"{name} +{rss:.0f} ({anon:.0f} / {python:.0f})"
            for name, (rss, anon, python) in r["parts"].items()
        )
        lines.append(
            f"\n{r['size']:,}: what a question needs resident, MB each part adds as it is "
            f"opened (of it anonymous / allocated by Python; the rest is pages of files): "
            f"start {r['start_mb']:.0f}; {parts}; total {r['end_mb']:.0f}"
        )
    return "\n".join(lines)


def stages_text(results: list[dict]) -> str:
    """Where the assistant's question time goes: each stage's own time (stages inside it
    apart), p50 / p95 ms per size."""
    ours = [r for r in results if r["system"] == "assistant" and "stages" in r]
    if not ours:
        return ""
    names = sorted({n for r in ours for n in r["stages"]} - {"other", "total"})
    names.sort(key=lambda n: -ours[-1]["stages"].get(n, (0, 0))[0])
    header = " | ".join(f"{r['size']:,}: p50 / p95 ms" for r in ours)
    lines = [
        "\nWhere a question's time goes (each stage's own time; `assistant/timing.py`):\n",
        f"| stage | {header} |",
        "|---|" + "---|" * len(ours),
    ]
    for name in [*names, "other", "total"]:
        cells = " | ".join(
            "{:.1f} / {:.1f}".format(*r["stages"].get(name, (0.0, 0.0))) for r in ours
        )
        lines.append(f"| {name} | {cells} |")
    for r in ours:
        if "sync_stages_s" in r:
            spent = sorted(r["sync_stages_s"].items(), key=lambda item: -item[1])
            lines.append(
                f"\n{r['size']:,}: the sync's seconds by stage: "
                + ", ".join(f"{name} {s:.1f}" for name, s in spent)
            )
        anonymous = r.get("anonymous_mb", {})
        memory = ", ".join(
            f"{k} {v:.0f}" + (f" ({anonymous[k]:.0f})" if k in anonymous else "")
            for k, v in r.get("memory_mb", {}).items()
        )
        lines.append(f"\n{r['size']:,}: resident MB at each step (of it anonymous): {memory}")
        if "peak_build_mb" in r:
            lines.append(
                f"\n{r['size']:,}: peak MB of the build {r['peak_build_mb']:.0f}, of the "
                f"questions {r['peak_query_mb']:.0f} (each its own process, as the baseline's)"
            )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument(
        "--write-docs", action="store_true", help="write the table into docs/benchmarks.md"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the corpora and indexes (for a closer look)"
    )
    parser.add_argument(
        "--stage",
        choices=["assistant", "assistant-build", "baseline", "baseline-build", "memory"],
    )
    parser.add_argument("--size", type=int)
    parser.add_argument("--work", type=Path)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if args.stage:
        stages = {"assistant": measure_assistant, "baseline": measure_baseline,
                  "baseline-build": build_baseline_store, "memory": measure_memory,
                  "assistant-build": build_assistant_store}  # fmt: skip
        print(json.dumps(stages[args.stage](args.size, args.work)))
        return
    sizes = sorted(int(s) for s in args.sizes.split(","))
    if sizes[0] > 1000:
        sizes.insert(0, 1000)  # the larger corpora are made of its sentences
    work = Path(tempfile.mkdtemp(prefix="assistant-scale-"))
    started = time.perf_counter()
    results = []
    try:
        for size in sizes:
            results += run_size(size, work, baseline=not args.no_baseline)
    finally:
        if args.keep:
            print(f"kept {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    text = report_text(results)
    print("\n" + text)
    print(f"\nbenchmark ran {time.perf_counter() - started:.0f} s")
    if args.write_docs:
        write_section("scale", text)


if __name__ == "__main__":
    main()
