"""XQuAD through the CLI: recall@5 (de->de, en->de), cited-sentence hit rate, speed.

Builds a seeds folder of the 48 German XQuAD articles (title line + paragraphs), runs
`assistant index` and `assistant eval` as a user would, and prints one table. Reads
XQuAD from ../shared/data/xquad/ beside the checkout, or from `--data FOLDER`.

    python benchmarks/xquad.py                 # all questions
    python benchmarks/xquad.py --half tune     # the articles used to tune weights
    python benchmarks/xquad.py --half test     # the held-out articles: report these
    python benchmarks/xquad.py --half test --write-docs   # and write docs/benchmarks.md

Settings can be varied through ASSISTANT_* variables (e.g. ASSISTANT_LEXICAL_WEIGHT=0).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from report import markdown_table, write_section

# XQuAD's files (xquad.de.json, xquad.en.json), by default from the shared folder beside
# the checkout; `--data` points elsewhere.
XQUAD = Path(__file__).resolve().parents[2] / "shared" / "data" / "xquad"


def add_data_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data", type=Path, default=XQUAD, help=f"folder with XQuAD's files (default {XQUAD})"
    )


def build_corpus(seeds: Path, data: Path = XQUAD) -> dict[str, list[dict]]:
    """Write one .txt per German article; return QA items per language with gold spans."""
    german = json.loads((data / "xquad.de.json").read_text(encoding="utf-8"))["data"]
    english = json.loads((data / "xquad.en.json").read_text(encoding="utf-8"))["data"]
    items: dict[str, list[dict]] = {"de": [], "en": []}
    for number, (article_de, article_en) in enumerate(zip(german, english, strict=True)):
        article_id = f"{number:02d}.txt"
        paragraphs = [p["context"].strip() for p in article_de["paragraphs"]]
        text = "\n\n".join(paragraphs)
        title = article_de["title"].replace("_", " ")
        (seeds / article_id).write_text(f"{title}\n{text}\n", encoding="utf-8")
        offset = 0
        for para_de, para_en, paragraph in zip(
            article_de["paragraphs"], article_en["paragraphs"], paragraphs, strict=True
        ):
            start = text.index(paragraph, offset)
            offset = start + len(paragraph)
            for qa_de, qa_en in zip(para_de["qas"], para_en["qas"], strict=True):
                gold = {
                    "answer": qa_de["answers"][0]["text"],
                    "article_id": article_id,
                    "start": start,
                    "end": offset,
                    "half": "tune" if number % 2 == 0 else "test",
                }
                items["de"].append({"question": qa_de["question"], **gold})
                items["en"].append({"question": qa_en["question"], **gold})
    return items


def run_cli(args: list[str], env: dict) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "assistant", *args]
    return subprocess.run(command, env=env, check=True, capture_output=True, text=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--half", choices=["all", "tune", "test"], default="all")
    parser.add_argument(
        "--write-docs", action="store_true", help="write the table into docs/benchmarks.md"
    )
    add_data_option(parser)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        seeds, index = Path(scratch) / "seeds", Path(scratch) / "index"
        seeds.mkdir()
        items = build_corpus(seeds, args.data)
        env = {**os.environ, "ASSISTANT_SEEDS": str(seeds), "ASSISTANT_INDEX": str(index)}
        started = time.perf_counter()
        indexed = run_cli(["index"], env)
        wall_seconds = time.perf_counter() - started
        print(indexed.stdout.strip())
        rows = []
        for language in ("de", "en"):
            qa_file = Path(scratch) / f"qa-{language}.jsonl"
            chosen = [i for i in items[language] if args.half in ("all", i["half"])]
            qa_file.write_text(
                "\n".join(
                    json.dumps({k: v for k, v in i.items() if k != "half"}, ensure_ascii=False)
                    for i in chosen
                ),
                encoding="utf-8",
            )
            metrics = json.loads(run_cli(["eval", str(qa_file), "--json", "-k", "5"], env).stdout)
            rows.append((f"{language} -> de", metrics))
    # "... N passages (N embedded) in S s." from `assistant index`
    passages = int(indexed.stdout.split(" passages")[0].rsplit(" ", 1)[-1])
    sync_seconds = float(indexed.stdout.rsplit(" in ", 1)[1].split(" s")[0])
    print(
        f"\nXQuAD ({args.half} half): {passages} passages indexed in {sync_seconds:.1f} s "
        f"= {passages / sync_seconds:.1f} passages/s ({wall_seconds:.1f} s with start-up)"
    )
    print(
        f"{'questions':12s} {'n':>5s} {'recall@5':>9s} {'mrr@5':>7s} {'overlap@5':>10s} "
        f"{'cited hit':>10s} {'abstained':>10s} {'p50 ms':>8s} {'p95 ms':>8s}"
    )
    for name, m in rows:
        print(
            f"{name:12s} {m['questions']:5d} {m['recall@5']:9.3f} {m['mrr@5']:7.3f} "
            f"{m['span_overlap@5']:10.3f} {m['cited_hit_rate']:10.3f} {m['abstained']:10.3f} "
            f"{m['latency_ms_p50']:8.1f} {m['latency_ms_p95']:8.1f}"
        )
    print(
        "recall@5 / MRR@5: a passage of the gold article holding the answer text; "
        "overlap@5: a passage overlapping the gold paragraph (a looser measure)."
    )
    if args.write_docs:
        write_section(f"xquad-{args.half}", docs_table(rows, passages, sync_seconds))


def docs_table(rows: list[tuple[str, dict]], passages: int, sync_seconds: float) -> str:
    """The run as docs/benchmarks.md shows it: one row per question language."""
    names = {"de -> de": "German → German", "en -> de": "English → German"}
    table = markdown_table(
        ["questions", "n", "recall@5", "MRR@5", "overlap@5", "cited sentence holds the answer",
         "wrongly abstained", "p50 / p95 ms"],
        [
            [names[name], str(m["questions"]), f"{m['recall@5']:.3f}", f"{m['mrr@5']:.3f}",
             f"{m['span_overlap@5']:.3f}", f"{m['cited_hit_rate']:.3f}",
             f"{m['abstained']:.1%}", f"{m['latency_ms_p50']:.0f} / {m['latency_ms_p95']:.0f}"]
            for name, m in rows
        ],
    )  # fmt: skip
    return f"{table}\n\nIndexing the {passages} passages: {passages / sync_seconds:.1f} passages/s."


if __name__ == "__main__":
    main()
