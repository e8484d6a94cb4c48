"""The naive pipeline beside the assistant: multilingual-e5 over ~500-character chunks, the
top chunk shown as the answer.

    python benchmarks/naive_e5.py                  # news-dev, news3-dev, the XQuAD tune half
    python benchmarks/naive_e5.py --write-docs     # and the table into docs/benchmarks.md

The naive pipeline cuts each article's text at whitespace into chunks of at most 500
characters, embeds them with the project's e5 (its passage prompt; the question with its
query prompt) and ranks them by cosine. It holds the answer when a gold string is in its
top chunk (top 1) or in one of its top five (top 5); for XQuAD the chunk must come from
the answering article. Its questions are the rows of `fitting_rows.py` asked as written
(news: every answerable question, a follow-up without its history; XQuAD: every other
question of the tune half), and the assistant's figures beside it are from the same rows:
one of its top 5 passages holds a gold string, its cited quotes do.
"""

from __future__ import annotations

import argparse
import tempfile
from collections import defaultdict
from pathlib import Path

import numpy as np
from fitting import RefusalValues, Row, figures
from fitting_rows import CACHE, NEWS_SETS, SETS, SHARED_DATA, XQUAD_SET, normalised, rows_of
from news_dev import copy_articles
from report import markdown_table, measured_on, write_section
from xquad import XQUAD, build_corpus

from assistant.fitted import AnswerTypes, fitted
from assistant.ingest.articles import read_articles
from assistant.models.embeddings import make_embedder
from assistant.settings import Settings
from assistant.surfaces.evaluation import read_qa_file

CHUNK = 500
TOP = 5


def chunks(text: str, size: int = CHUNK) -> list[str]:
    """`text` cut at whitespace into pieces of at most `size` characters (a longer word
    alone)."""
    out: list[str] = []
    current = ""
    for word in text.split():
        if current and len(current) + 1 + len(word) > size:
            out.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        out.append(current)
    return out


class NaiveIndex:
    """Every article's chunks with their e5 vectors."""

    def __init__(self, seeds: Path) -> None:
        self.embedder = make_embedder("default", Settings())
        articles, _ = read_articles(seeds)
        self.chunks = [(a.id, c) for a in articles for c in chunks(a.text)]
        self.vectors = self.embedder.embed_passages([c for _, c in self.chunks])

    def top(self, question: str, k: int = TOP) -> list[tuple[str, str]]:
        """The `k` chunks closest to `question`, closest first, as (article id, text)."""
        vector = self.embedder.embed_questions([question])[0]
        order = np.argsort(-(self.vectors @ vector), kind="stable")[:k]
        return [self.chunks[i] for i in order]


def _holds(found: list[tuple[str, str]], gold: tuple[str, ...], article: str | None) -> bool:
    return any(
        normalised(g).lower() in normalised(text).lower()
        for article_id, text in found
        if article is None or article_id == article
        for g in gold
    )


def naive_news(name: str, scratch: Path) -> dict[str, tuple[float, float]]:
    folder = SHARED_DATA / name
    copy_articles(folder, scratch)
    index = NaiveIndex(scratch)
    hits = []
    for item in read_qa_file(folder / "questions.jsonl"):
        if item.kind == "offcorpus":
            continue
        found = index.top(item.question)
        hits.append((_holds(found[:1], item.answers, None), _holds(found, item.answers, None)))
    return {name: tuple(np.mean(hits, axis=0).round(3))}


def naive_xquad(scratch: Path) -> dict[str, tuple[float, float]]:
    items = build_corpus(scratch, XQUAD)
    index = NaiveIndex(scratch)
    out = {}
    for language in ("de", "en"):
        tune = [item for item in items[language] if item["half"] == "tune"][::2]
        hits = []
        for item in tune:
            found = index.top(item["question"])
            gold = (item["answer"],)
            hits.append((_holds(found[:1], gold, item["article_id"]),
                         _holds(found, gold, item["article_id"])))  # fmt: skip
        out[f"{XQUAD_SET} {language}→de"] = tuple(np.mean(hits, axis=0).round(3))
    return out


def assistant_figures(rows: list[Row]) -> dict[str, tuple[float, float]]:
    """Per set (XQuAD per question language): the share of answerable questions whose top
    5 passages hold a gold string, and whose cited quotes do (shipped values)."""
    groups: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        name = row.set
        if name == XQUAD_SET:
            name = f"{XQUAD_SET} {row.kind.removeprefix('xquad-')}→de"
        groups[name].append(row)
    anyway = fitted(AnswerTypes).answer_anyway
    out = {}
    for name, group in groups.items():
        answerable = [r for r in group if r.variant == "asked" and r.label == 1]
        top = float(np.mean([r.retrieved_holds for r in answerable]))
        cited = figures(group, RefusalValues.shipped(), anyway)["quotes_hold"]
        out[name] = (round(top, 3), cited)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=CACHE)
    parser.add_argument(
        "--write-docs", action="store_true", help="write the table into docs/benchmarks.md"
    )
    args = parser.parse_args()
    naive: dict[str, tuple[float, float]] = {}
    for name in NEWS_SETS:
        with tempfile.TemporaryDirectory() as scratch:
            naive |= naive_news(name, Path(scratch))
    with tempfile.TemporaryDirectory() as scratch:
        naive |= naive_xquad(Path(scratch))
    ours = assistant_figures([row for name in SETS for row in rows_of(name, args.cache)])
    header = ["set", "naive e5: top chunk holds", "naive e5: top 5 hold",
              "assistant: top 5 passages hold", "assistant: cited quotes hold"]  # fmt: skip
    rows = [[name, *(f"{x:.3f}" for x in naive[name]), *(f"{x:.3f}" for x in ours[name])]
            for name in naive]  # fmt: skip
    print(markdown_table(header, rows))
    if args.write_docs:
        note = f"`python benchmarks/naive_e5.py`, {measured_on()}."
        write_section("naive-e5", f"{markdown_table(header, rows)}\n\n{note}\n")


if __name__ == "__main__":
    main()
