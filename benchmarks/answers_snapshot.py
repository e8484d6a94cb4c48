"""Every question of a set through `assistant ask --json`, written to a JSON-lines file:
diff two of them to show a refactoring left the answers unchanged.

- `--set xquad` (default): every XQuAD question (German and English, all 48 articles) and a
  few seed questions, over the German articles plus the seed;
- `--set news-dev` / `--set news3-dev`: that folder's articles and questions (follow-ups
  asked with their history), from ../shared/data/ or `--data`.

    python benchmarks/answers_snapshot.py before.jsonl --repo ../old-checkout
    python benchmarks/answers_snapshot.py after.jsonl --set news-dev
    python benchmarks/answers_snapshot.py --compare before.jsonl after.jsonl

Chroma answers a top-k query from an HNSW graph built by inserting vectors in parallel: two
builds of the same articles hold different graphs, and so did two processes on one index
before syncs ended with `store.apply_chroma_log` (a few percent of XQuAD questions changed
a fused score this way, with the same code and index), so the candidates at the edge of the
top 40 can differ. With `--exact` (the default) the index's collections
are switched to a search breadth above the corpus size, which makes the search exhaustive
and the snapshot depend on the vectors alone; the measurement then compares code, not
graphs.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from news_dev import copy_articles
from xquad import XQUAD, build_corpus

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
SEED_QUESTIONS = [
    "What did Rubio say about Russia?",
    "Who will talk to the G7?",
    "Wie lange soll die Waffenruhe dauern?",
    "Was sagte Mike Waltz?",
    "What did Palissa write on Facebook?",
    "How long is the proposed ceasefire?",
]
EXHAUSTIVE_EF = 100_000


def snapshot(out: Path, repo: Path, question_set: str, data: Path, exact: bool) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        seeds, index = Path(scratch) / "seeds", Path(scratch) / "index"
        seeds.mkdir()
        if question_set == "xquad":
            items = build_corpus(seeds, data)
            shutil.copy(REPO / "seeds" / "000_bdd157e6eb167cd2.txt", seeds)
            questions = [i["question"] for lang in ("de", "en") for i in items[lang]]
            questions += SEED_QUESTIONS
            follow_ups = []
        else:
            copy_articles(data, seeds)
            lines = (data / "questions.jsonl").read_text(encoding="utf-8").splitlines()
            news = [json.loads(line) for line in lines if line.strip()]
            questions = [q["q"] for q in news if not q.get("history")]
            follow_ups = [q for q in news if q.get("history")]
        env = {**os.environ, "ASSISTANT_SEEDS": str(seeds), "ASSISTANT_INDEX": str(index)}
        env["PYTHONPATH"] = str(repo)  # the checkout under test, not the installed one
        command = [sys.executable, "-m", "assistant"]
        subprocess.run([*command, "index"], env=env, check=True, cwd=repo)
        if exact:
            _exhaustive_search(index)
        answers = _ask(command, ["-"], env, repo, "\n".join(questions) + "\n")
        for number, item in enumerate(follow_ups):
            history = Path(scratch) / f"history-{number}.json"
            history.write_text(json.dumps(item["history"]), encoding="utf-8")
            answers += _ask(command, ["--history", str(history), item["q"]], env, repo, "")
    out.write_text(answers.replace(str(seeds), "SEEDS"), encoding="utf-8")
    print(f"{len(answers.splitlines())} answers written to {out}")


def _ask(command: list[str], arguments: list[str], env: dict, repo: Path, text: str) -> str:
    asked = subprocess.run(
        [*command, "ask", "--json", *arguments],
        env=env,
        cwd=repo,
        input=text,
        capture_output=True,
        text=True,
        check=True,
    )
    return asked.stdout


def _exhaustive_search(index: Path) -> None:
    import chromadb
    from chromadb.config import Settings

    for folder in index.glob("gen-*/chroma"):
        client = chromadb.PersistentClient(str(folder), Settings(anonymized_telemetry=False))
        for collection in client.list_collections():
            collection.modify(configuration={"hnsw": {"ef_search": EXHAUSTIVE_EF}})


def compare(before: Path, after: Path) -> None:
    """Print how many answers differ, and in what: text, citations, retrieved passages, or
    only scores (by how much)."""
    old = [json.loads(line) for line in before.read_text(encoding="utf-8").splitlines()]
    new = [json.loads(line) for line in after.read_text(encoding="utf-8").splitlines()]
    assert len(old) == len(new), "the snapshots hold different question lists"
    differ, largest = {}, 0.0
    for a, b in zip(old, new, strict=True):
        for key in a.keys() | b.keys():
            if a.get(key) != b.get(key):
                differ[key] = differ.get(key, 0) + 1
        for ra, rb in zip(a.get("retrieved", []), b.get("retrieved", []), strict=False):
            largest = max(largest, abs(ra["score"] - rb["score"]))
    same = sum(a == b for a, b in zip(old, new, strict=True))
    print(f"{same} of {len(old)} answers identical; fields that differ: {differ or 'none'}; ")
    print(f"largest retrieved-score difference {largest:.6f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, nargs="?")
    parser.add_argument("--repo", type=Path, default=REPO, help="checkout whose code answers")
    parser.add_argument("--set", choices=["xquad", "news-dev", "news3-dev"], default="xquad")
    parser.add_argument("--data", type=Path, help="the set's folder (default: ../shared/data/)")
    parser.add_argument("--graph", action="store_true", help="keep Chroma's default search")
    parser.add_argument("--compare", nargs=2, type=Path, metavar=("BEFORE", "AFTER"))
    args = parser.parse_args()
    if args.compare:
        compare(*args.compare)
    elif args.out:
        data = args.data or (XQUAD if args.set == "xquad" else SHARED_DATA / args.set)
        snapshot(args.out, args.repo.resolve(), args.set, data, exact=not args.graph)
    else:
        parser.error("give an output file or --compare BEFORE AFTER")


if __name__ == "__main__":
    main()
