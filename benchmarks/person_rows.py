"""The rows the person-topic refusal is fitted on (`topic_names.py`), per news set, cached.

    python benchmarks/person_rows.py                 # both news sets, from the cache when there
    python benchmarks/person_rows.py --refresh       # retrieve again (a few minutes a set)

Every question of the set is asked as the pipeline asks it (follow-ups with their history,
relative dates read against their `as_of`), and each answerable one again with its
answering articles left out of retrieval (then it is not answerable). A row records whether
it was refused and whether its quotes hold a gold answer, and for a person question the
retriever's verdict on the person with how closely the words near the topic hold its
least-held name (`HybridRetriever.name_closeness`), all with the name rule off
(`TopicNames.min_closeness` 0), so that any cut-off can be judged from the rows. Rows go to
one JSON file per set and commit under `--cache` (default: the system's temporary folder).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import tempfile
from collections.abc import Iterator
from pathlib import Path

from fitting_rows import CACHE, NEWS_SETS, SHARED_DATA, cache_file, normalised
from news_dev import copy_articles

from assistant.answering.pipeline import period_unreported
from assistant.fitted import TopicNames, overridden
from assistant.question.routing import route_question
from assistant.retrieval.hybrid import HybridRetriever
from assistant.surfaces.api import Assistant
from assistant.surfaces.evaluation import read_qa_file

K = 5


class _Recorder:
    """Wraps a retriever's `_speaks_elsewhere`, keeping the name closeness it saw."""

    def __init__(self, retriever: HybridRetriever) -> None:
        self.closeness: float | None = None
        self.retriever = retriever
        self.original = retriever._speaks_elsewhere
        retriever._speaks_elsewhere = self

    def __call__(self, evidence, topic, elsewhere, speaker, holding) -> bool:
        said = self.retriever.speaker_texts(evidence.hits, holding)
        near = said + [hit.passage.text for hit in elsewhere.hits]
        self.closeness = self.retriever.name_closeness(topic, near)
        return self.original(evidence, topic, elsewhere, speaker, holding)


def news_rows(name: str, scratch: Path) -> Iterator[dict]:
    folder = SHARED_DATA / name
    seeds = scratch / "seeds"
    seeds.mkdir()
    copy_articles(folder, seeds)
    assistant = Assistant(seeds=seeds, index=scratch / "index")
    assistant.sync()
    pipeline = assistant._pipeline(use_llm=False)
    recorder = _Recorder(pipeline.retriever)
    for item in read_qa_file(folder / "questions.jsonl"):
        as_of = dt.date.fromisoformat(item.as_of) if item.as_of else None
        variants = [("asked", frozenset())]
        variants += [("removed", item.articles)] if item.kind != "offcorpus" else []
        for variant, without in variants:
            recorder.closeness = None
            route = route_question(
                item.question, list(item.history), recorder.retriever.statements, as_of=as_of
            )
            found = recorder.retriever.find(route, K, without)
            answer = pipeline._answer(item.question, route, found, None)
            unreported = period_unreported(route, found, [c.date for c in answer.citations])
            quotes = " ".join(normalised(c.quote).lower() for c in answer.citations)
            person = found.person
            yield {
                "set": name,
                "question": item.question,
                "kind": item.kind,
                "variant": variant,
                "label": int(item.kind != "offcorpus" and variant == "asked"),
                "verdict": None if person is None else person.verdict.value,
                "name_closeness": recorder.closeness,
                "refused": answer.abstained or unreported,
                "holds": not answer.abstained
                and not unreported
                and any(normalised(g).lower() in quotes for g in item.answers),
            }


def rows_of(name: str, cache: Path = CACHE, refresh: bool = False) -> list[dict]:
    """The rows of news set `name`, from the cache unless `refresh`."""
    path = cache_file(cache, name).with_name(f"person-{cache_file(cache, name).name}")
    if path.exists() and not refresh:
        return json.loads(path.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as scratch, overridden(TopicNames, min_closeness=0.0):
        rows = list(news_rows(name, Path(scratch)))
    cache.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=CACHE)
    parser.add_argument("--refresh", action="store_true", help="retrieve again")
    parser.add_argument("--sets", default=",".join(NEWS_SETS))
    args = parser.parse_args()
    for name in args.sets.split(","):
        rows = rows_of(name, args.cache, args.refresh)
        print(f"{name}: {len(rows)} person-refusal rows")


if __name__ == "__main__":
    main()
