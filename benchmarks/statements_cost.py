"""What reading statements (who said what) costs at index time: the same articles indexed from
scratch with statement extraction switched off ("before") and on ("after"), alternately, in
one process, with the models loaded once; passages per second for each, and the share of
throughput the extraction takes.

    python benchmarks/statements_cost.py                   # XQuAD German + news-dev
    python benchmarks/statements_cost.py --rounds 3

Reads ../shared/data/xquad/xquad.de.json and ../shared/data/news-dev/ beside the checkout.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from unittest import mock

from assistant.index import sync
from assistant.models.embeddings import make_embedders
from assistant.settings import Settings
from assistant.surfaces.api import Assistant

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def write_articles(folder: Path) -> None:
    """The 48 German XQuAD articles and the 62 news-dev articles, as .txt files."""
    xquad = json.loads((SHARED / "xquad" / "xquad.de.json").read_text(encoding="utf-8"))
    for n, article in enumerate(xquad["data"]):
        paragraphs = [p["context"] for p in article["paragraphs"]]
        text = f"{article['title']}\n\n" + "\n\n".join(paragraphs)
        (folder / f"xquad_{n:02d}.txt").write_text(text, encoding="utf-8")
    for path in sorted((SHARED / "news-dev").glob("[a-z][a-z]_[0-9][0-9][0-9]_*.txt")):
        (folder / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")


def index_once(seeds: Path, embedders, extract: bool) -> tuple[float, int, int]:
    """Seconds, passages and statements of one sync from scratch."""
    with tempfile.TemporaryDirectory() as index:
        assistant = Assistant(seeds=seeds, index=Path(index), embedders=embedders)
        off = mock.patch.object(sync, "statements_of_many", lambda articles, passages: {})
        started = time.perf_counter()
        if extract:
            report = assistant.sync()
        else:
            with off:
                report = assistant.sync()
        return time.perf_counter() - started, report.passages, report.statements


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2, help="before/after pairs (default 2)")
    args = parser.parse_args()
    embedders = make_embedders(Settings())
    with tempfile.TemporaryDirectory() as scratch:
        seeds = Path(scratch)
        write_articles(seeds)
        index_once(seeds, embedders, extract=True)  # warm-up: model threads, caches
        rates: dict[bool, list[float]] = {False: [], True: []}
        for _ in range(args.rounds):
            for extract in (False, True):
                seconds, passages, statements = index_once(seeds, embedders, extract)
                rates[extract].append(passages / seconds)
                label = "after " if extract else "before"
                print(f"{label}: {passages} passages, {statements} statements, "
                      f"{seconds:.1f} s, {passages / seconds:.1f} passages/s")  # fmt: skip
    before, after = statistics.median(rates[False]), statistics.median(rates[True])
    print(f"median passages/s: before {before:.1f}, after {after:.1f}; "
          f"throughput lost to statements: {100 * (1 - after / before):.1f}%")  # fmt: skip


if __name__ == "__main__":
    main()
