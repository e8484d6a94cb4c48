"""Chroma's log after a build: the records each collection's HNSW files lack, what the first
search of a new process costs, whether two processes find the same passages, and the build.

    python benchmarks/chroma_log.py --passages 10000 --runs 3
    python benchmarks/chroma_log.py --code /path/to/other/checkout   # another version's code

Each run builds startup.py's generated corpus (made-up articles, a stand-in embedder that
hashes texts under the real models' signatures) into a new index, in a process of its own
(wall time, CPU and peak memory), and counts the records of each collection's log above
what its vector segment has applied (`chroma_records.unapplied_records`). Then, each in a
fresh process: the store opened and each model's collection searched once for a hashed
question (the first search's seconds, and the hits: two such processes are compared), and
`assistant ask` (wall; it loads the real models for the question). Last, one article more
is indexed (an incremental sync) and the log counted again. `--code` makes the measured
processes import `assistant` from another checkout; `--reuse` measures an index built by
an earlier run without building it again (with `--runs 1`: a run ends with a sync that
changes the index); medians of `--runs`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

from startup import GENERATED_QUESTION, _live, measure

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from assistant.index.chroma_records import unapplied_records  # noqa: E402

# A fresh process: the first search of each model's collection, timed, and every hit.
_SEARCH = """
import json, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[2])
from startup import _hashed_vector
from assistant.index.store import PassageStore
started = time.perf_counter()
store = PassageStore(Path(sys.argv[1]))
opened = time.perf_counter()
hits, first = [], []
for model in range(store.models):
    dimension = len(store.vectors(model, [min(store.ids())]).popitem()[1])
    for number, text in enumerate(json.loads(sys.argv[3])):
        before = time.perf_counter()
        hits.append(store.query(model, _hashed_vector(text, dimension), 10))
        if number == 0:
            first.append(time.perf_counter() - before)
print(json.dumps({"open_s": opened - started, "first_search_s": first, "hits": hits}))
store.close()
"""
_TEXTS = ["harbour expansion Anna Berg", "Bahnverbindung Jonas Keller", "rail link costs",
          "Lindau council budget", "Hafenerweiterung Kritik"]  # fmt: skip
_INCREMENTAL = """
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from startup import stand_in_embedders
from assistant.surfaces.api import Assistant
report = Assistant(seeds=Path(sys.argv[1]), index=Path(sys.argv[2]),
                   embedders=stand_in_embedders()).sync()
print(report.passages_embedded, report.seconds)
"""


def _env(code: Path) -> dict:
    return os.environ | {"PYTHONPATH": str(code), "HF_HUB_OFFLINE": "1"}


def _python(code: Path, script: str, *args: str) -> str:
    done = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True,
                          env=_env(code), check=True)  # fmt: skip
    return done.stdout.strip().splitlines()[-1]


def _unapplied(index: Path) -> dict[str, int]:
    return unapplied_records(_live(index) / "chroma" / "chroma.sqlite3")


def one_run(code: Path, work: Path, passages: int, question: str, reuse: bool) -> dict:
    """Build (unless `reuse`), count, search twice, ask, add an article and count again."""
    os.environ.update(_env(code))  # `measure` runs its commands in this environment
    index, seeds = work / f"index-{passages}", work / f"generated-{passages}"
    benchmarks = str(REPO / "benchmarks")
    result: dict = {}
    if not reuse:
        shutil.rmtree(index, ignore_errors=True)
        (work / f"index-{passages}.json").unlink(missing_ok=True)
        result["build"] = measure([sys.executable, str(REPO / "benchmarks" / "startup.py"),
                                   "--stage", "generated", "--size", str(passages), "--work",
                                   str(work)])  # fmt: skip
    result["unapplied"] = _unapplied(index)
    searches = [
        json.loads(_python(code, _SEARCH, str(_live(index)), benchmarks, json.dumps(_TEXTS)))
        for _ in range(2)
    ]
    result["first_search_s"] = [sum(s["first_search_s"]) for s in searches]
    result["open_s"] = [s["open_s"] for s in searches]
    result["same_hits"] = searches[0]["hits"] == searches[1]["hits"]
    ask = [sys.executable, "-m", "assistant", "--seeds", str(seeds), "--index", str(index)]
    result["ask"] = measure([*ask, "ask", question])
    extra = seeds / "article-extra.txt"
    extra.write_text((seeds / "article-00000.txt").read_text() + "\n\nOne more paragraph.\n")
    try:
        embedded, seconds = _python(code, _INCREMENTAL, str(seeds), str(index), benchmarks).split()
    finally:
        extra.unlink()
    result["incremental"] = {"embedded": int(embedded), "seconds": float(seconds),
                             "unapplied": _unapplied(index)}  # fmt: skip
    return result


def summary(runs: list[dict]) -> dict:
    def median(values: list[float]) -> float:
        return round(statistics.median(values), 3)

    built = [r["build"] for r in runs if "build" in r]
    return {
        "build_wall_s": median([b["wall_s"] for b in built]) if built else None,
        "build_cpu_s": median([b["cpu_s"] for b in built]) if built else None,
        "build_peak_mib": median([b["peak_mib"] for b in built]) if built else None,
        "unapplied": [r["unapplied"] for r in runs],
        "first_search_s": median([s for r in runs for s in r["first_search_s"]]),
        "open_s": median([s for r in runs for s in r["open_s"]]),
        "same_hits": [r["same_hits"] for r in runs],
        "ask_wall_s": median([r["ask"]["wall_s"] for r in runs]),
        "ask_cpu_s": median([r["ask"]["cpu_s"] for r in runs]),
        "incremental_s": median([r["incremental"]["seconds"] for r in runs]),
        "incremental_unapplied": [r["incremental"]["unapplied"] for r in runs],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--passages", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path("/tmp/flush-work"))
    parser.add_argument("--code", type=Path, default=REPO, help="the checkout measured")
    parser.add_argument("--question", default=GENERATED_QUESTION, help="asked by `ask`")
    parser.add_argument("--reuse", action="store_true", help="measure the index of a run before")
    parser.add_argument("--json", type=Path, help="also write every run to this file")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    runs = []
    for number in range(args.runs):
        runs.append(
            one_run(args.code.resolve(), args.work, args.passages, args.question, args.reuse)
        )
        print(f"run {number + 1}: {json.dumps(runs[-1])}", file=sys.stderr)
    if args.json:
        args.json.write_text(json.dumps(runs, indent=1))
    print(json.dumps(summary(runs), indent=1))


if __name__ == "__main__":
    main()
