"""Any list of news question sets through the CLI: one row per set and a pooled row.

Each set is a folder in the news-dev format (articles `xx_NNN_slug.txt` and
`questions.jsonl`). Every set gets its own index in a temporary folder; its questions go
through `assistant eval --json` as a user would ask them (follow-ups with their history).

    python benchmarks/news_sets.py                                  # news-dev and news3-dev
    python benchmarks/news_sets.py ../shared/data/news3-dev OTHER_SET --json
    python benchmarks/news_sets.py --write-docs      # the table into docs/benchmarks.md

The articles are copied into the temporary folder for the run, never into the project.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from news_dev import copy_articles
from report import measured_on, write_section

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
DEFAULT_SETS = [SHARED_DATA / "news-dev", SHARED_DATA / "news3-dev"]
KINDS = ["speaker", "crosslingual", "followup", "time", "fact"]
COLUMNS = ["quotes hold the answer", "first citation right article", *KINDS, "off-corpus refused",
           "answerable wrongly refused", "questions"]  # fmt: skip


def evaluate_set(folder: Path, k: int) -> dict:
    """`assistant eval --json` of one set, on an index of its own articles."""
    with tempfile.TemporaryDirectory() as scratch:
        seeds, index = Path(scratch) / "seeds", Path(scratch) / "index"
        seeds.mkdir()
        copy_articles(folder, seeds)
        env = {**os.environ, "ASSISTANT_SEEDS": str(seeds), "ASSISTANT_INDEX": str(index)}
        command = [sys.executable, "-m", "assistant"]
        subprocess.run([*command, "index"], env=env, check=True, capture_output=True)
        questions = str(folder / "questions.jsonl")
        evaluated = subprocess.run(
            [*command, "eval", questions, "--json", "-k", str(k)],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
    return json.loads(evaluated.stdout)


def write_question_set(articles_of: Path, questions: list[dict], into: Path) -> Path:
    """A set in the news format: the articles of set folder `articles_of` and `questions`
    (its questions.jsonl), in a new folder of `into` named like `articles_of`."""
    made = into / articles_of.name
    made.mkdir(parents=True)
    copy_articles(articles_of, made)
    lines = "\n".join(json.dumps(row, ensure_ascii=False) for row in questions)
    (made / "questions.jsonl").write_text(lines + "\n", encoding="utf-8")
    return made


def counts(metrics: dict) -> dict[str, tuple[float, int]]:
    """Each column as (hits, out of), so that sets can be pooled by their question counts."""
    by_kind = metrics["by_kind"]
    overall = metrics["overall"]
    offcorpus = by_kind.get("offcorpus", {}).get("questions", 0)
    answerable = overall["questions"] - offcorpus
    row = {
        "quotes hold the answer": (overall["quotes_hold_answer"] or 0) * answerable,
        "first citation right article": (overall["first_cite_right"] or 0) * answerable,
        "answerable wrongly refused": (overall["wrong_abstain"] or 0) * answerable,
    }
    out_of = dict.fromkeys(row, answerable)
    for kind in KINDS:
        measures = by_kind.get(kind)
        if measures:
            row[kind] = (measures["quotes_hold_answer"] or 0) * measures["questions"]
            out_of[kind] = measures["questions"]
    if offcorpus:
        row["off-corpus refused"] = by_kind["offcorpus"]["offcorpus_abstain"] * offcorpus
        out_of["off-corpus refused"] = offcorpus
    row["questions"], out_of["questions"] = overall["questions"], 0
    return {column: (round(row[column]), out_of[column]) for column in row}


def pooled(rows: list[dict[str, tuple[float, int]]]) -> dict[str, tuple[float, int]]:
    total: dict[str, tuple[float, int]] = {}
    for row in rows:
        for column, (hits, out_of) in row.items():
            before = total.get(column, (0, 0))
            total[column] = (before[0] + hits, before[1] + out_of)
    return total


def _cell(column: str, value: tuple[float, int] | None) -> str:
    if value is None:
        return "-"
    hits, out_of = value
    if column == "questions":
        return str(hits)
    if column in KINDS or column in ("off-corpus refused", "answerable wrongly refused"):
        return f"{hits}/{out_of}"
    return f"{hits / out_of:.3f}" if out_of else "-"


def table(named_rows: list[tuple[str, dict]]) -> str:
    lines = ["| set | " + " | ".join(COLUMNS) + " |", "|---" * (len(COLUMNS) + 1) + "|"]
    for name, row in named_rows:
        lines.append(f"| {name} | " + " | ".join(_cell(c, row.get(c)) for c in COLUMNS) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", type=Path, nargs="*", default=DEFAULT_SETS)
    parser.add_argument("-k", type=int, default=5)
    parser.add_argument("--json", action="store_true", help="print every set's metrics as JSON")
    parser.add_argument(
        "--write-docs", action="store_true", help="write the table into docs/benchmarks.md"
    )
    args = parser.parse_args()
    metrics = {folder.name: evaluate_set(folder, args.k) for folder in args.sets}
    if args.json:
        print(json.dumps(metrics, indent=2))
        return
    rows = [(name, counts(m)) for name, m in metrics.items()]
    rows.append(("pooled", pooled([row for _, row in rows])))
    print(table(rows))
    if args.write_docs:
        note = f"`python benchmarks/news_sets.py`, {measured_on()}, k={args.k}."
        write_section("news-sets", f"{table(rows)}\n\n{note}\n")


if __name__ == "__main__":
    main()
