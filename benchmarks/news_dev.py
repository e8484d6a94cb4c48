"""news-dev through the CLI: index its 62 articles, ask its 100 questions (follow-ups with
their history), print the per-kind table of `assistant eval`.

    python benchmarks/news_dev.py                     # ../shared/data/news-dev/
    python benchmarks/news_dev.py --data FOLDER --json
    python benchmarks/news_dev.py --write-docs        # the table into docs/benchmarks.md

The articles are copyrighted excerpts kept for measurement only: they are copied into a
temporary folder for the run and never into the project.
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

from report import markdown_table, write_section

NEWS_DEV = Path(__file__).resolve().parents[2] / "shared" / "data" / "news-dev"


def copy_articles(data: Path, seeds: Path) -> None:
    """news-dev's articles (not its questions or notes) into the folder `seeds`."""
    for article in sorted(data.glob("[a-z][a-z]_[0-9][0-9][0-9]_*.txt")):
        shutil.copy(article, seeds / article.name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=NEWS_DEV, help=f"default {NEWS_DEV}")
    parser.add_argument("--json", action="store_true", help="print the metrics as JSON")
    parser.add_argument("-k", type=int, default=5)
    parser.add_argument(
        "--write-docs", action="store_true", help="write the table into docs/benchmarks.md"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        seeds, index = Path(scratch) / "seeds", Path(scratch) / "index"
        seeds.mkdir()
        copy_articles(args.data, seeds)
        env = {**os.environ, "ASSISTANT_SEEDS": str(seeds), "ASSISTANT_INDEX": str(index)}
        command = [sys.executable, "-m", "assistant"]
        indexed = subprocess.run([*command, "index"], env=env, check=True, capture_output=True)
        print(indexed.stdout.decode().strip(), file=sys.stderr)
        questions = str(args.data / "questions.jsonl")
        flags = ["-k", str(args.k), *(["--json"] if args.json or args.write_docs else [])]
        evaluated = subprocess.run(
            [*command, "eval", questions, *flags],
            env=env,
            check=True,
            stdout=subprocess.PIPE if args.write_docs else None,
            text=True,
        )
    if args.write_docs:
        table = docs_table(json.loads(evaluated.stdout), args.k)
        print(evaluated.stdout.strip() if args.json else table)
        write_section("news-dev", table)


# The columns and rows of docs/benchmarks.md: `assistant eval`'s kinds and measures.
_KINDS = {"speaker": "speaker", "crosslingual": "cross-lingual", "fact": "fact",
          "followup": "follow-up", "offcorpus": "off-corpus"}  # fmt: skip
_MEASURES = {
    "questions": "questions",
    "quotes_hold_answer": "cited quotes hold a gold string",
    "first_cite_right": "first citation from an answering article",
    "gold_in_top_k": "an answering article retrieved (top {k})",
    "wrong_abstain": "answerable questions refused",
    "offcorpus_abstain": "off-corpus questions refused",
    "quoted_chars": "quoted characters per answer",
    "confidence_ece": "confidence calibration error",
}


def docs_table(metrics: dict, k: int) -> str:
    """`assistant eval --json`'s news metrics as one column per kind, one row per measure."""
    columns = {"all": metrics["overall"]}
    columns |= {_KINDS.get(kind, kind): m for kind, m in metrics["by_kind"].items()}
    ordered = ["all", *(k for k in _KINDS.values() if k in columns)]

    def cell(value: float | int | None, measure: str) -> str:
        if value is None:
            return "-"
        if measure in ("questions", "quoted_chars"):
            return f"{value:.0f}"
        return f"{value:.3f}"

    rows = [
        [label.format(k=k), *(cell(columns[kind][measure], measure) for kind in ordered)]
        for measure, label in _MEASURES.items()
    ]
    return markdown_table(["measure", *ordered], rows)


if __name__ == "__main__":
    main()
