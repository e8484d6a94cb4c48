"""Who-said-what against the hand-checked sample (`speaker_sample.py`): the articles are read
again from ../shared, the statement reader runs on them as indexing does, and each sampled
sentence's reading is compared with its label. Printed per language, per set and overall:

- read: sampled sentences the reader makes statements of;
- speaker precision: of those, the share whose speaker is the labelled one;
- speech precision: of those, the share that is anyone's speech at all;
- recall: of the sentences labelled with a speaker, the share read with that speaker.

A speaker is the labelled one when, after folding case and accents, one name's words are
all among the other's ("Pope Leo" for "Pope Leo XIV"), or a one-word name is among the
other's words ("Lagarde" for "Christine Lagarde"); two full names sharing a word are not
the same ("Giulia Cecchettin" is not "Gino Cecchettin"). The sample is stratified
(statements are over-drawn), so recall is the sample's, not the articles'.

    python benchmarks/speakers.py                  # the table
    python benchmarks/speakers.py --errors         # and every wrong or missed reading
    python benchmarks/speakers.py --write-docs     # the table into docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from report import markdown_table, write_section
from speaker_sample import SAMPLE, SETS, ReadArticle, load_sample, read_article

from assistant.language.folding import fold

NONE = "none"


@dataclass(frozen=True)
class Reading:
    """One sampled sentence: its label and what the reader made of it."""

    set_name: str
    language: str
    label: str
    speaker: str | None  # None: not read as a statement

    @property
    def right(self) -> bool:
        return self.speaker is not None and self.label != NONE and same(self.speaker, self.label)


def same(read: str, label: str) -> bool:
    """Whether the speaker read names the person labelled (see the module's docstring)."""
    words_read, words_label = _words(read), _words(label)
    if not words_read or not words_label:
        return False
    if len(words_read) > 1 and len(words_label) > 1:
        # Both in full: one within the other, not a shared word ("Giulia Cecchettin" is
        # not "Gino Cecchettin", "Banque de France" not "François Villeroy de Galhau").
        shorter, longer = sorted((words_read, words_label), key=len)
        return set(shorter) <= set(longer)
    return words_read[-1] in words_label or words_label[-1] in words_read


def _words(name: str) -> list[str]:
    return [folded for w in re.split(r"[\s.]+", name) if (folded := fold(w))]


def readings(sample: list[dict], folders: tuple[Path, ...] = SETS) -> list[Reading]:
    """Each sampled sentence's label and reading, by the current reader."""
    folder_of = {folder.name: folder for folder in folders}
    articles: dict[tuple[str, str], ReadArticle] = {}
    found = []
    for row in sample:
        key = (row["set"], row["file"])
        if key not in articles:
            articles[key] = read_article(row["set"], folder_of[row["set"]] / row["file"])
        article = articles[key]
        statement = article.statements.get(row["start"] - article.offset)
        speaker = statement.speaker if statement else None
        found.append(Reading(row["set"], row["file"][:2], row["label"], speaker))
    return found


def measures(found: list[Reading]) -> dict[str, str]:
    read = [r for r in found if r.speaker is not None]
    speech = [r for r in found if r.label != NONE]
    right = sum(r.right for r in found)

    def share(hits: int, out_of: int) -> str:
        return f"{hits / out_of:.3f} ({hits}/{out_of})" if out_of else "-"

    return {
        "sentences": str(len(found)),
        "read": str(len(read)),
        "speaker precision": share(right, len(read)),
        "speech precision": share(sum(r.label != NONE for r in read), len(read)),
        "recall": share(right, len(speech)),
    }


def table(found: list[Reading]) -> str:
    groups: dict[str, list[Reading]] = defaultdict(list)
    for r in found:
        groups[r.language].append(r)
    for r in found:
        groups[r.set_name].append(r)
    order = sorted(k for k in groups if len(k) == 2) + sorted(k for k in groups if len(k) > 2)
    rows = [(name, measures(groups[name])) for name in order]
    rows.append(("all", measures(found)))
    header = ["", *rows[0][1]]
    return markdown_table(header, [[name, *m.values()] for name, m in rows])


def errors(sample: list[dict], found: list[Reading]) -> str:
    lines = []
    for row, r in zip(sample, found, strict=True):
        if r.right or (r.speaker is None and r.label == NONE):
            continue
        kind = "missed" if r.speaker is None else "wrong"
        lines.append(
            f"{kind:6} {row['set']}/{row['file']}:{row['start']}  read {r.speaker!r}, "
            f"label {r.label!r}"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=Path, default=SAMPLE, help=f"default {SAMPLE}")
    parser.add_argument("--errors", action="store_true", help="list wrong and missed readings")
    parser.add_argument(
        "--write-docs", action="store_true", help="write the table into docs/benchmarks.md"
    )
    args = parser.parse_args()
    sample = load_sample(args.sample)
    unlabelled = [r for r in sample if not r.get("label")]
    if unlabelled:
        raise SystemExit(f"{len(unlabelled)} sentences of {args.sample} have no label yet")
    found = readings(sample)
    result = table(found)
    print(result)
    if args.errors:
        print(errors(sample, found))
    if args.write_docs:
        note = (
            f"`python benchmarks/speakers.py`: {len(sample)} hand-checked sentences of "
            "news-dev and news3-dev (benchmarks/data/speaker_sample.jsonl)."
        )
        write_section("speakers", f"{result}\n\n{note}\n")


if __name__ == "__main__":
    main()
