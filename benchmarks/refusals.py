"""Answered and refused: every XQuAD question asked of all 48 German articles (it should be
answered) and again with its own article left out (it should be refused), through the
answering pipeline; the same for news-dev (its off-corpus questions should be refused).

    python benchmarks/refusals.py                 # XQuAD test half + all of news-dev
    python benchmarks/refusals.py --half tune

Prints, per set of questions: answered when answerable, refused when not. XQuAD's German
and English questions are reported apart; news-dev's answerable questions are all but the
off-corpus ones (follow-ups asked with their history).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from news_dev import NEWS_DEV, copy_articles
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


def xquad(scratch: Path, half: str) -> None:
    seeds = scratch / "xquad"
    seeds.mkdir()
    items = build_corpus(seeds, XQUAD)
    assistant = Assistant(seeds=seeds, index=scratch / "xquad-index")
    assistant.sync()
    for language, questions in items.items():
        chosen = [q for q in questions if half == "all" or q["half"] == half]
        answerable = [(q["question"], [], frozenset()) for q in chosen]
        removed = [(q["question"], [], frozenset({q["article_id"]})) for q in chosen]
        print(f"XQuAD {language} -> de ({len(chosen)} questions): "
              f"wrongly refused {refusals(assistant, answerable):.3f}, "
              f"refused with own article removed {refusals(assistant, removed):.3f}")  # fmt: skip


def news(scratch: Path) -> None:
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--half", choices=["all", "tune", "test"], default="test")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        news(Path(scratch))
        xquad(Path(scratch), args.half)


if __name__ == "__main__":
    main()
