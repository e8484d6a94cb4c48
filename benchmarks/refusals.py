"""Answered and refused: every XQuAD question asked of all 48 German articles (it should be
answered) and again with its own article left out (it should be refused), through the
answering pipeline; the same for news-dev (its off-corpus questions should be refused).

    python benchmarks/refusals.py                 # XQuAD test half + all of news-dev
    python benchmarks/refusals.py --half tune
    python benchmarks/refusals.py --write-docs    # and write the table into docs/benchmarks.md

Prints, per set of questions: answered when answerable, refused when not. XQuAD's German
and English questions are reported apart; news-dev's answerable questions are all but the
off-corpus ones (follow-ups asked with their history).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from news_dev import NEWS_DEV, copy_articles
from report import markdown_table, write_section
from xquad import XQUAD, build_corpus

from assistant.surfaces.api import Assistant
from assistant.surfaces.evaluation import read_qa_file


def refusals(assistant: Assistant, asked: list[tuple[str, list, frozenset[str]]]) -> float:
    """The share of questions refused."""
    pipeline = assistant._pipeline(use_llm=False)  # the chain's own stages, `without` added
    refused = [
        pipeline.run(q, history, 5, without=without).abstained for q, history, without in asked
    ]
    return sum(refused) / len(refused)


def xquad(scratch: Path, half: str) -> list[list[str]]:
    """One row per question language: answerable refused, refused with the article removed."""
    seeds = scratch / "xquad"
    seeds.mkdir()
    items = build_corpus(seeds, XQUAD)
    assistant = Assistant(seeds=seeds, index=scratch / "xquad-index")
    assistant.sync()
    rows = []
    names = {"de": "German", "en": "English"}
    for language, questions in items.items():
        chosen = [q for q in questions if half == "all" or q["half"] == half]
        answerable = [(q["question"], [], frozenset()) for q in chosen]
        removed = [(q["question"], [], frozenset({q["article_id"]})) for q in chosen]
        wrong, gone = refusals(assistant, answerable), refusals(assistant, removed)
        print(f"XQuAD {language} -> de ({len(chosen)} questions): wrongly refused "
              f"{wrong:.3f}, refused with own article removed {gone:.3f}")  # fmt: skip
        rows.append([f"XQuAD {names[language]} → German", str(len(chosen)), f"{wrong:.1%}",
                     f"{gone:.1%} (own article removed)"])  # fmt: skip
    return rows


def news(scratch: Path) -> list[list[str]]:
    """Rows for news-dev's answerable questions and its off-corpus ones."""
    seeds = scratch / "news"
    seeds.mkdir()
    copy_articles(NEWS_DEV, seeds)
    assistant = Assistant(seeds=seeds, index=scratch / "news-index")
    assistant.sync()
    items = read_qa_file(NEWS_DEV / "questions.jsonl")
    answerable = [
        (i.question, list(i.history), frozenset()) for i in items if i.kind != "offcorpus"
    ]
    offcorpus = [(i.question, list(i.history), frozenset()) for i in items if i.kind == "offcorpus"]
    removed = [
        (i.question, list(i.history), frozenset(i.articles)) for i in items if i.kind != "offcorpus"
    ]
    wrong, refused = refusals(assistant, answerable), refusals(assistant, offcorpus)
    gone = refusals(assistant, removed)
    print(
        f"news-dev: wrongly refused {wrong:.3f} of {len(answerable)}, off-corpus refused "
        f"{refused:.3f} of {len(offcorpus)}, refused with the answering articles removed "
        f"{gone:.3f}"
    )
    return [
        ["news-dev answerable", str(len(answerable)), f"{wrong:.1%}",
         f"{gone:.1%} (answering articles removed)"],
        ["news-dev off-corpus", str(len(offcorpus)), "-", f"{refused:.1%}"],
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--half", choices=["all", "tune", "test"], default="test")
    parser.add_argument(
        "--write-docs", action="store_true", help="write the table into docs/benchmarks.md"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        rows = news(Path(scratch))
        rows = xquad(Path(scratch), args.half) + rows
    if args.write_docs:
        table = markdown_table(
            ["questions", "n", "answerable, refused", "refused when unanswerable"], rows
        )
        write_section("refusals" if args.half == "test" else f"refusals-{args.half}", table)


if __name__ == "__main__":
    main()
