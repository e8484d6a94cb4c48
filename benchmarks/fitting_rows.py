"""The rows the refusal fitting learns from (`fitting.Row`), per question set, cached.

    python benchmarks/fitting_rows.py                # every set, from the cache when there
    python benchmarks/fitting_rows.py --refresh      # retrieve again (about 15 minutes)

Sets: news-dev and news3-dev (each question as asked, follow-ups with their history, and
each answerable one again with its answering articles left out of retrieval), and the
XQuAD tune half (every other question of the even-numbered articles, German and English,
asked of the 48 German articles with and without its own article). Each set gets its own
index in a temporary folder. The rows go to one JSON file per set under `--cache`
(default: the system's temporary folder), named for the set and the commit, so a refit
never retrieves again and a new commit does.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import tempfile
import unicodedata
from collections.abc import Iterator
from pathlib import Path

from fitting import Row
from news_dev import copy_articles
from report import REPO
from xquad import XQUAD, build_corpus

from assistant.answering.answer import AbstainPolicy
from assistant.answering.answerability import answerability_features
from assistant.answering.pipeline import period_unreported
from assistant.answering.quoting import ExtractiveAnswerer, _typed_answer, rank_sentences
from assistant.question.routing import route_question
from assistant.surfaces.api import Assistant
from assistant.surfaces.evaluation import read_qa_file

SHARED_DATA = REPO.parent / "shared" / "data"
NEWS_SETS = ("news-dev", "news3-dev")
XQUAD_SET = "xquad-tune"
SETS = (*NEWS_SETS, XQUAD_SET)
CACHE = Path(tempfile.gettempdir()) / "assistant-fitting"
K = 5


def normalised(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


class _Asker:
    """Asks one index's questions the way the pipeline does, up to the refusal decision."""

    def __init__(self, assistant: Assistant) -> None:
        self.pipeline = assistant._pipeline(use_llm=False)
        settings = assistant.settings
        self.quote_weights = [m.quote_weight for m in settings.dense_models]
        self.floors = (settings.abstain_below, settings.abstain_below_cross_lingual)
        self.policy = AbstainPolicy(*self.floors)
        # Quotes whatever the evidence, so that a row records what an answer would hold.
        self.quoter = ExtractiveAnswerer(
            AbstainPolicy(-2.0, -2.0), self.quote_weights, lambda *_: 1.0
        )

    def row(
        self,
        name: str,
        question: str,
        history: list,
        without: frozenset[str],
        gold: tuple[str, ...],
        gold_article: str | None,
        as_of: dt.date | None = None,
        **labels,
    ) -> Row:
        retriever = self.pipeline.retriever
        route = route_question(question, history, retriever.statements, as_of=as_of)
        found = retriever.find(route, K, without)

        def holds(texts: list[tuple[str, str]]) -> bool:
            return any(
                normalised(g).lower() in normalised(text).lower()
                for article, text in texts
                if gold_article is None or article == gold_article
                for g in gold
            )

        top = [(h.article.id, h.passage.text) for h in found.hits[:K]]
        base = {"set": name, "question": question, "retrieved_holds": holds(top), **labels}
        if not found.hits:
            return Row(features=None, evidence=False, typed=False, fixed=True, holds=False, **base)
        evidence = found.evidence
        ranking = rank_sentences(evidence, self.quote_weights)
        features = (
            tuple(float(x) for x in answerability_features(evidence, ranking, self.floors))
            if ranking.sentences
            else None
        )
        if found.person is not None:
            answer = self.pipeline._person_answer(question, found)
            fixed = answer.abstained
        else:
            answer = self.quoter.answer(question, evidence)
            fixed = None if ranking.sentences else True
        # Refused whatever the values.
        if period_unreported(route, found, [c.date for c in answer.citations]):
            fixed = True
        quoted = [(c.article_id, c.quote) for c in answer.citations]
        return Row(
            features=features,
            evidence=self.policy.any_evidence(evidence),
            typed=bool(ranking.sentences) and _typed_answer(evidence, ranking, 1.0),
            fixed=fixed,
            holds=not answer.abstained and holds(quoted),
            **base,
        )


def news_rows(name: str, folder: Path, scratch: Path) -> Iterator[Row]:
    seeds = scratch / "seeds"
    seeds.mkdir()
    copy_articles(folder, seeds)
    assistant = Assistant(seeds=seeds, index=scratch / "index")
    assistant.sync()
    asker = _Asker(assistant)
    for item in read_qa_file(folder / "questions.jsonl"):
        answerable = item.kind != "offcorpus"
        # Relative dates ("last week") are read against the day the set asked it, as the CLI does.
        as_of = dt.date.fromisoformat(item.as_of) if item.as_of else None
        asked = dict(kind=item.kind, gold=item.answers, gold_article=None, as_of=as_of)
        history = list(item.history)
        yield asker.row(name, item.question, history, frozenset(), label=int(answerable),
                        variant="asked", **asked)  # fmt: skip
        if answerable:
            yield asker.row(name, item.question, history, item.articles, label=0,
                            variant="removed", **asked)  # fmt: skip


def xquad_rows(scratch: Path) -> Iterator[Row]:
    seeds = scratch / "seeds"
    seeds.mkdir()
    items = build_corpus(seeds, XQUAD)
    assistant = Assistant(seeds=seeds, index=scratch / "index")
    assistant.sync()
    asker = _Asker(assistant)
    for language in ("de", "en"):
        tune = [item for item in items[language] if item["half"] == "tune"]
        for item in tune[::2]:  # every other question: half the time
            own = frozenset({item["article_id"]})
            asked = dict(kind=f"xquad-{language}", gold=(item["answer"],),
                         gold_article=item["article_id"])  # fmt: skip
            for without, label, variant in ((frozenset(), 1, "asked"), (own, 0, "removed")):
                yield asker.row(XQUAD_SET, item["question"], [], without, label=label,
                                variant=variant, **asked)  # fmt: skip


def cache_file(cache: Path, name: str) -> Path:
    """The set's file under `cache`, named for the last commit that changed the package
    (uncommitted changes are not seen: `--refresh` then)."""
    done = subprocess.run(
        ["git", "-C", str(REPO), "log", "-1", "--format=%h", "--", "assistant", "prompts"],
        capture_output=True,
        text=True,
        check=True,
    )
    return cache / f"{name}-{done.stdout.strip()}.json"


def rows_of(name: str, cache: Path = CACHE, refresh: bool = False) -> list[Row]:
    """The rows of set `name` (one of `SETS`), from the cache unless `refresh`."""
    path = cache_file(cache, name)
    if path.exists() and not refresh:
        return [Row.of(r) for r in json.loads(path.read_text(encoding="utf-8"))]
    with tempfile.TemporaryDirectory() as scratch:
        if name == XQUAD_SET:
            rows = list(xquad_rows(Path(scratch)))
        else:
            rows = list(news_rows(name, SHARED_DATA / name, Path(scratch)))
    cache.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([r.as_record() for r in rows]), encoding="utf-8")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=CACHE)
    parser.add_argument("--refresh", action="store_true", help="retrieve again")
    parser.add_argument("--sets", default=",".join(SETS))
    args = parser.parse_args()
    for name in args.sets.split(","):
        rows = rows_of(name, args.cache, args.refresh)
        print(f"{name}: {len(rows)} rows in {cache_file(args.cache, name)}")


if __name__ == "__main__":
    main()
