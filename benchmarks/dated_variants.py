"""Dated variants of the news sets' questions, generated from the sets themselves: each
answerable question that names no day is asked again naming a month,

- the month its answering article is dated in: the answer should come from that article;
- the nearest month in which other articles are dated but none names any of the
  question's names (capitalised words, but the first, that the answering article holds)
  and no answering article is dated: those days report other stories, so the articles do
  not say what was said or done then, and the question should be refused.

No variant is written by hand, so every set's variants are held out for any rule not read
from them. The variants go through the CLI as `news_sets.py` sends a set (an index of the
set's articles, `assistant eval --json`).

    python benchmarks/dated_variants.py                   # news-dev and news3-dev
    python benchmarks/dated_variants.py --write-docs      # the table into docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import tempfile
from pathlib import Path

from babel.dates import format_skeleton
from news_sets import DEFAULT_SETS, evaluate_set, write_question_set
from report import figures_table, measured_on, write_section

from assistant.ingest.dates import date_span
from assistant.question.dates import read_time

PREPOSITIONS = json.loads((Path(__file__).parent / "data" / "month_prepositions.json").read_text())
ANSWERABLE_KINDS = {"speaker", "crosslingual", "fact"}
_WORD = re.compile(r"[^\W\d_][\w\-]*")
_HEADER_DATE = re.compile(r"date (\d{4}(?:-\d{2}){0,2})\b")


def article_months(folder: Path) -> tuple[dict[str, tuple], dict[str, str]]:
    """Each article's date span (from its `date` header line) and its text, lower-cased."""
    spans, texts = {}, {}
    for path in sorted(folder.glob("[a-z][a-z]_[0-9][0-9][0-9]_*.txt")):
        text = path.read_text(encoding="utf-8")
        found = _HEADER_DATE.match(text)
        spans[path.name] = date_span(found.group(1)) if found else None
        texts[path.name] = text.lower()
    return spans, texts


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def asked_in(question: str, language: str, month: dt.date) -> str:
    """The question with "in <month year>" joined to its end, in its own language."""
    words = format_skeleton("yMMMM", month, locale=language)
    body = question.rstrip(" ?")
    return f"{body} {PREPOSITIONS[language]} {words}" + (" ?" if language == "fr" else "?")


def question_names(question: str, answering_text: str) -> set[str]:
    """The question's capitalised words but the first that the answering article holds."""
    words = _WORD.findall(question)[1:]
    return {
        w.lower() for w in words if w[0].isupper() and len(w) >= 3 and w.lower() in answering_text
    }


def variants(folder: Path) -> list[dict]:
    """The set's dated variants, in the news question format (kind "time": answerable;
    "offcorpus": the month's articles report other stories)."""
    spans, texts = article_months(folder)
    months = sorted({month_of(span[0]) for span in spans.values() if span})
    made = []
    for line in (folder / "questions.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        if row["kind"] not in ANSWERABLE_KINDS or row.get("history") or row.get("as_of"):
            continue
        language, article = row["lang"], row["article"]
        answering = {article, *row.get("alt_articles", [])}
        if spans.get(article) is None or read_time(row["q"], language).named is not None:
            continue
        own = month_of(spans[article][0])
        if read_time(asked_in(row["q"], language, own), language).named is None:
            continue
        made.append({**row, "q": asked_in(row["q"], language, own), "kind": "time"})
        names = question_names(row["q"], texts[article])
        if not names:
            continue
        for month in sorted(months, key=lambda m: abs((m - own).days)):
            asked = asked_in(row["q"], language, month)
            named = read_time(asked, language).named
            if named is None:
                continue
            dated_then = [a for a, span in spans.items() if span and named.holds(span)]
            if not dated_then or answering & set(dated_then):
                continue
            if any(name in texts[a] for a in dated_then for name in names):
                continue
            made.append({"q": asked, "lang": language, "answers": [], "article": None,
                         "alt_articles": [], "kind": "offcorpus"})  # fmt: skip
            break
    return made


def write_variants(folder: Path, into: Path) -> Path:
    """The set's articles and its variants' questions.jsonl in a folder `into`/<set name>."""
    return write_question_set(folder, variants(folder), into)


def measured(folder: Path, k: int) -> dict:
    """The variants' figures: answered from a gold string, wrongly refused, refused."""
    metrics = evaluate_set(folder, k)
    dated, other = metrics["by_kind"].get("time", {}), metrics["by_kind"].get("offcorpus", {})
    return {
        "own month": dated.get("questions", 0),
        "quotes hold the answer": dated.get("quotes_hold_answer"),
        "wrongly refused": dated.get("wrong_abstain"),
        "other stories' month": other.get("questions", 0),
        "refused": other.get("offcorpus_abstain"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", type=Path, nargs="*", default=DEFAULT_SETS)
    parser.add_argument("-k", type=int, default=5)
    parser.add_argument(
        "--write-docs", action="store_true", help="write the table into docs/benchmarks.md"
    )
    parser.add_argument(
        "--keep", type=Path, help="write the variants (news format) into this folder and stop"
    )
    args = parser.parse_args()
    if args.keep:
        for folder in args.sets:
            print(write_variants(folder, args.keep))
        return
    figures = {}
    for folder in args.sets:
        with tempfile.TemporaryDirectory() as scratch:
            figures[folder.name] = measured(write_variants(folder, Path(scratch)), args.k)
    table = figures_table(figures)
    print(table)
    if args.write_docs:
        note = f"`python benchmarks/dated_variants.py`, {measured_on()}, k={args.k}."
        write_section("dated-variants", f"{table}\n\n{note}\n")


if __name__ == "__main__":
    main()
