"""Why the cited quotes miss the answer: every answerable question of the news sets,
classified by where the answer was lost.

    python benchmarks/quote_misses.py                       # news-dev and news3-dev
    python benchmarks/quote_misses.py --set news3-dev -v    # and each miss, with its quotes
    python benchmarks/quote_misses.py --json out.json       # every question's class

Classes, checked in this order (a gold string "in" a text: its NFC, whitespace-normalised
form occurs there, as `assistant eval` scores it):

- `right`: the cited quotes hold a gold string;
- `refused-person`: a refusal of a person question (the person routing decided it);
- `refused`: any other refusal (the confidence or the similarity floors);
- `not-retrieved`: no retrieved passage holds a gold string;
- `not-cited`: a retrieved passage holds one, but no cited passage does;
- `wrong-sentence`: a cited passage holds one, but the quoted sentences of it are others.

Each set gets its own index under `--cache` (kept, so a second run only asks); questions
are asked through the Python API as `assistant eval` asks them (follow-ups with their
history), k=5.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import unicodedata
from collections import Counter
from pathlib import Path

from news_dev import copy_articles
from report import REPO

from assistant.question.routing import route_question
from assistant.surfaces.api import Assistant
from assistant.surfaces.evaluation import NewsItem, read_qa_file

SHARED_DATA = REPO.parent / "shared" / "data"
SETS = ("news-dev", "news3-dev")
CACHE = Path("/tmp/quote-misses")
CLASSES = ["right", "refused-person", "refused", "not-retrieved", "not-cited", "wrong-sentence"]
KINDS = ["speaker", "crosslingual", "followup", "time", "fact"]
K = 5


def _normalised(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def _holds(text: str, gold: tuple[str, ...]) -> bool:
    text = _normalised(text)
    return any(_normalised(g) in text for g in gold)


def classify(assistant: Assistant, item: NewsItem) -> dict:
    """Ask `item` and say where its answer was lost (one of `CLASSES`)."""
    history = list(item.history)
    answer = assistant.ask(item.question, history, K, use_llm=False, as_of=item.as_of)
    as_of = dt.date.fromisoformat(item.as_of) if item.as_of else None
    route = route_question(item.question, history, assistant._hybrid().statements, as_of=as_of)
    passages = {h.passage.id: h.passage.text for h in answer.retrieved}
    quotes = " ".join(c.quote for c in answer.citations)
    cited = [passages.get(c.passage_id, "") for c in answer.citations]
    if not answer.abstained and _holds(quotes, item.answers):
        kind = "right"
    elif answer.abstained:
        kind = "refused-person" if route.person is not None else "refused"
    elif not any(_holds(text, item.answers) for text in passages.values()):
        kind = "not-retrieved"
    elif not any(_holds(text, item.answers) for text in cited):
        kind = "not-cited"
    else:
        kind = "wrong-sentence"
    return {
        "gold_distance": _gold_distance(answer, item.answers) if kind == "wrong-sentence" else None,
        "question": item.question,
        "standalone": route.text,
        "kind": item.kind,
        "person": route.person is not None,
        "class": kind,
        "gold": list(item.answers),
        "article": sorted(item.articles),
        "time": repr(route.time) if route.time else "",
        "cited": [c.article_id for c in answer.citations],
        "quotes": [f"[{c.article_id}] {c.quote}" for c in answer.citations],
    }


def _gold_distance(answer, gold: tuple[str, ...]) -> int | None:
    """Of a wrong-sentence miss: how many sentences from the nearest cited sentence of its
    article the nearest sentence holding a gold string lies (+1: the next one)."""
    spans = {}
    for hit in answer.retrieved:
        for start, end in hit.passage.sentences:
            spans[(hit.article.id, start)] = (end, hit.passage.excerpt(start, end))
    distances = []
    for c in answer.citations:
        ordered = sorted((s, e, t) for (a, s), (e, t) in spans.items() if a == c.article_id)
        starts = [s for s, _, _ in ordered]
        cited = [i for i, s in enumerate(starts) if c.start <= s < c.end]
        golden = [i for i, (_, _, t) in enumerate(ordered) if _holds(t, gold)]
        distances += [g - i for i in cited for g in golden]
    return min(distances, key=abs) if distances else None


def set_rows(name: str, cache: Path, kinds: list[str] | None = None) -> list[dict]:
    """Every answerable question of set `name` (of `kinds` if given), classified."""
    folder = SHARED_DATA / name
    seeds, index = cache / name / "seeds", cache / name / "index"
    seeds.mkdir(parents=True, exist_ok=True)
    copy_articles(folder, seeds)
    assistant = Assistant(seeds=seeds, index=index)
    assistant.sync()
    items = [i for i in read_qa_file(folder / "questions.jsonl") if i.kind != "offcorpus"]
    items = [i for i in items if kinds is None or i.kind in kinds]
    return [{"set": name, **classify(assistant, item)} for item in items]


def table(rows: list[dict]) -> str:
    """Counts per set and question kind (and all kinds), one column per class."""
    lines = ["| set | kind | " + " | ".join(CLASSES) + " | questions |"]
    lines.append("|---" * (len(CLASSES) + 3) + "|")
    for name in dict.fromkeys(r["set"] for r in rows):
        of_set = [r for r in rows if r["set"] == name]
        for kind in [*KINDS, "all"]:
            group = [r for r in of_set if kind in ("all", r["kind"])]
            if not group:
                continue
            count = Counter(r["class"] for r in group)
            cells = " | ".join(str(count[c]) for c in CLASSES)
            lines.append(f"| {name} | {kind} | {cells} | {len(group)} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", choices=SETS, action="append", help="default: both")
    parser.add_argument("--cache", type=Path, default=CACHE, help="where the indexes are kept")
    parser.add_argument("--kind", choices=KINDS, action="append", help="default: every kind")
    parser.add_argument("-v", "--verbose", action="store_true", help="print every miss")
    parser.add_argument("--json", type=Path, help="write every question's class here")
    args = parser.parse_args()
    rows = [row for name in args.set or SETS for row in set_rows(name, args.cache, args.kind)]
    if args.verbose:
        for r in rows:
            if r["class"] != "right":
                person = " (person)" if r["person"] else ""
                print(f"\n{r['set']} {r['kind']}{person} {r['class']}: {r['question']}")
                if r["standalone"] != r["question"]:
                    print(f"  standalone: {r['standalone']}")
                print(f"  gold: {r['gold']} in {r['article']}")
                print(f"  sentences from a quote: {r['gold_distance']}")
                if r["time"]:
                    print(f"  time: {r['time']}")
                for quote in r["quotes"]:
                    print(f"  quote: {quote}")
    if args.json:
        args.json.write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
    print(table(rows))


if __name__ == "__main__":
    main()
