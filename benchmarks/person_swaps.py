"""Person questions with another person's topic, generated from the news sets: each
answerable question "What did X say about T?" is asked again as the question of the set
whose topic comes closest to T (multilingual-e5) among those about someone else, with that
person's name replaced by X's ("What did X say about T'?"). Most of these ask what X never
said on a topic near X's own, the hardest refusals; some X did speak to. Every generated
question was labelled by hand, reading the articles (`benchmarks/data/person_swaps.jsonl`:
set, the two questions' line numbers, label; the sets' texts stay in ../shared).

    python benchmarks/person_swaps.py --for-labelling OUT.jsonl   # the questions, X's words
    python benchmarks/person_swaps.py                             # through the CLI
"""

from __future__ import annotations

import argparse
import json
import os
import re
import tempfile
from pathlib import Path

import numpy as np
from news_dev import copy_articles
from news_sets import DEFAULT_SETS, evaluate_set, write_question_set
from report import figures_table, measured_on, write_section

LABELS = Path(__file__).parent / "data" / "person_swaps.jsonl"
ANSWERABLE = {"speaker", "crosslingual", "fact", "time"}
# A name's particles before the replaced surname ("von der Leyen") go with it.
PARTICLES = re.compile(r"(?:\b(?:von|van|der|den|de|da|di|del|dos|du|la|le)\s+)*\x00")


def person_questions(folder: Path, scratch: Path) -> tuple[list[dict], object]:
    """The set's answerable questions that ask what a quoted person said on a topic, each
    with its line number, the person as asked, the topic and the topic's e5 vector; and the
    assistant over the set's articles (indexed into `scratch`)."""
    from assistant import Assistant
    from assistant.question.routing import route_question

    seeds = scratch / "seeds"
    seeds.mkdir()
    copy_articles(folder, seeds)
    assistant = Assistant(seeds=seeds, index=scratch / "index")
    assistant.sync()
    retriever = assistant._hybrid()
    found = []
    lines = (folder / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines):
        row = json.loads(line)
        if row["kind"] not in ANSWERABLE or row.get("history"):
            continue
        route = route_question(row["q"], [], retriever.statements)
        person = route.person
        if person is None or not person.quoted or not person.topic.strip():
            continue
        if person.name not in row["q"]:
            continue
        vector = retriever.encode(person.topic).vectors[0]
        found.append({"line": number, "row": row, "name": person.name, "vector": vector})
    return found, assistant


def surname(name: str) -> str:
    return name.split()[-1].lower()


def swaps(found: list[dict]) -> list[dict]:
    """For each person question, the other person's question whose topic is closest, asked
    of this person: {"x": line, "y": line, "q", "lang", "person"}."""
    made, seen = [], set()
    for asked in found:
        others = [o for o in found if surname(o["name"]) != surname(asked["name"])]
        if not others:
            continue
        closeness = [float(asked["vector"] @ o["vector"]) for o in others]
        other = others[int(np.argmax(closeness))]
        key = (surname(asked["name"]), other["line"])
        if key in seen:
            continue
        seen.add(key)
        question = PARTICLES.sub(asked["name"], other["row"]["q"].replace(other["name"], "\0", 1))
        made.append({"x": asked["line"], "y": other["line"], "q": question,
                     "lang": other["row"]["lang"], "person": asked["name"]})  # fmt: skip
    return made


def for_labelling(folder: Path, out) -> None:
    """Each generated question with the person's statements (all of them, by article), for
    a reader to label: does any article say what the person said on this topic?"""
    with tempfile.TemporaryDirectory() as scratch:
        found, assistant = person_questions(folder, Path(scratch))
        for swap in swaps(found):
            timeline = assistant.timeline(swap["person"])
            said = [
                {"article": e.article_id, "date": e.date, "quotes": [c.quote for c in e.citations]}
                for e in timeline.entries
            ]
            out.write(json.dumps({"set": folder.name, **swap, "statements": said},
                                 ensure_ascii=False) + "\n")  # fmt: skip


def labelled(folder: Path) -> list[dict]:
    """The labelled generated questions of the set, in the news question format."""
    labels = {
        (row["x"], row["y"]): row["label"]
        for row in map(json.loads, LABELS.read_text(encoding="utf-8").splitlines())
        if row["set"] == folder.name
    }
    with tempfile.TemporaryDirectory() as scratch:
        found, _ = person_questions(folder, Path(scratch))
    made = []
    for swap in swaps(found):
        label = labels.get((swap["x"], swap["y"]))
        if label not in ("said", "not said"):
            continue
        kind = "offcorpus" if label == "not said" else "speaker"
        made.append({"q": swap["q"], "lang": swap["lang"], "answers": [], "article": None,
                     "alt_articles": [], "kind": kind})  # fmt: skip
    return made


def measured(folder: Path, k: int) -> dict:
    made = labelled(folder)
    with tempfile.TemporaryDirectory() as scratch:
        metrics = evaluate_set(write_question_set(folder, made, Path(scratch)), k)
    said, unsaid = metrics["by_kind"].get("speaker", {}), metrics["by_kind"].get("offcorpus", {})
    return {
        "said": said.get("questions", 0),
        "wrongly refused": said.get("wrong_abstain"),
        "not said": unsaid.get("questions", 0),
        "refused": unsaid.get("offcorpus_abstain"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", type=Path, nargs="*", default=DEFAULT_SETS)
    parser.add_argument("-k", type=int, default=5)
    parser.add_argument("--for-labelling", type=Path, help="write the questions to label")
    parser.add_argument(
        "--write-docs", action="store_true", help="write the table into docs/benchmarks.md"
    )
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if args.for_labelling:
        with args.for_labelling.open("w", encoding="utf-8") as out:
            for folder in args.sets:
                for_labelling(folder, out)
        return
    table = figures_table({folder.name: measured(folder, args.k) for folder in args.sets})
    print(table)
    if args.write_docs:
        note = f"`python benchmarks/person_swaps.py`, {measured_on()}, k={args.k}."
        write_section("person-swaps", f"{table}\n\n{note}\n")


if __name__ == "__main__":
    main()
