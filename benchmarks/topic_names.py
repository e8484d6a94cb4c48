"""The person-topic name rule (`TopicNames.min_closeness`) fitted leave-one-set-out.

    python benchmarks/topic_names.py            # the table (rows from person_rows.py)
    python benchmarks/topic_names.py --write    # ship the cut-off fitted on both sets, if
                                                # neither does worse left out
    python benchmarks/topic_names.py --write-docs   # the table into docs/benchmarks.md

A person question whose topic names something no passage holds ("the takeover of WalkMe")
is refused as off the person's topic when no word near the topic comes within the cut-off
of that name. The cut-off is chosen among `CUTOFFS` as the one with the largest share of
the unanswerable questions refused (off-corpus, and answerable ones asked with their
answering articles left out) less the share of answerable ones refused, averaged over the
sets fitted on, and no set's answerable questions refused `MAX_EXTRA_WRONG` more often than
with the rule off; at equal scores, the lowest. (Subtracting the wrong refusals keeps a
rule read off a few questions from spending the whole allowance.) For each
news set: its figures with the rule off, with the cut-off fitted on both sets (in-set) and
with the one fitted on the other set only (left out).
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from pathlib import Path

from fitting import MAX_EXTRA_WRONG
from fitting_rows import CACHE, NEWS_SETS
from person_rows import rows_of
from report import markdown_table, measured_on, write_section

from assistant.fitted import FOLDER, TopicNames, write_fitted

SCRIPT = "benchmarks/topic_names.py"
CUTOFFS = tuple(round(0.30 + 0.01 * i, 2) for i in range(51))  # 0.30 to 0.80 (USE cosine)


def refused(row: Mapping, cutoff: float) -> bool:
    """Whether the row is refused with the name rule at `cutoff`: as recorded (rule off),
    or a person found on topic whose topic's least-held name nothing near comes close to."""
    closeness = row["name_closeness"]
    named_off = row["verdict"] == "on_topic" and closeness is not None and closeness < cutoff
    return row["refused"] or named_off


def figures(rows: Sequence[Mapping], cutoff: float) -> dict:
    """A set's figures at `cutoff`: over answerable questions as asked, the share whose
    quotes hold a gold answer and the share refused; the share of off-corpus questions
    refused, and of questions asked without their answering articles."""

    def share(chosen: list[Mapping], hit) -> float | None:
        return round(sum(map(hit, chosen)) / len(chosen), 3) if chosen else None

    asked = [r for r in rows if r["variant"] == "asked"]
    answerable = [r for r in asked if r["label"] == 1]
    return {
        "quotes_hold": share(answerable, lambda r: r["holds"] and not refused(r, cutoff)),
        "wrongly_refused": share(answerable, lambda r: refused(r, cutoff)),
        "offcorpus_refused": share(
            [r for r in asked if r["kind"] == "offcorpus"], lambda r: refused(r, cutoff)
        ),
        "removed_refused": share(
            [r for r in rows if r["variant"] == "removed"], lambda r: refused(r, cutoff)
        ),
        "counts": (len(answerable), sum(r["kind"] == "offcorpus" for r in asked)),
    }


def _wrong_right(rows: Sequence[Mapping], cutoff: float) -> tuple[float, float]:
    """The share of answerable rows refused, and of the others."""
    answerable = [refused(r, cutoff) for r in rows if r["label"] == 1]
    others = [refused(r, cutoff) for r in rows if r["label"] == 0]
    return sum(answerable) / max(len(answerable), 1), sum(others) / max(len(others), 1)


def fit(rows_by_set: Mapping[str, Sequence[Mapping]]) -> float:
    """The cut-off with the best `_score` within `MAX_EXTRA_WRONG` more wrong refusals
    than the rule off on every set; the lowest such."""
    base = [_wrong_right(rows, 0.0)[0] for rows in rows_by_set.values()]
    best, best_score = 0.0, _score(rows_by_set, 0.0)
    for cutoff in CUTOFFS:
        per_set = [_wrong_right(rows, cutoff) for rows in rows_by_set.values()]
        if any(w - b > MAX_EXTRA_WRONG for (w, _), b in zip(per_set, base, strict=True)):
            continue
        score = _score(rows_by_set, cutoff)
        if score > best_score:
            best, best_score = cutoff, score
    return best


def _score(rows_by_set: Mapping[str, Sequence[Mapping]], cutoff: float) -> float:
    """The share of unanswerable rows refused less that of answerable ones, averaged over
    the sets."""
    shares = [_wrong_right(rows, cutoff) for rows in rows_by_set.values()]
    return sum(right - wrong for wrong, right in shares) / len(shares)


def table(results: Mapping[str, Mapping[str, dict]]) -> str:
    header = ["set", "cut-off", "off-corpus refused", "answerable refused", "quotes hold",
              "refused, answering articles removed"]  # fmt: skip
    rows = []
    for name, by_fit in results.items():
        for label, (cutoff, found) in by_fit.items():
            answerable, offcorpus = found["counts"]
            rows.append([
                name, f"{label} ({cutoff:.2f})",
                f"{found['offcorpus_refused']:.3f} of {offcorpus}",
                f"{found['wrongly_refused']:.3f} of {answerable}",
                f"{found['quotes_hold']:.3f}", f"{found['removed_refused']:.3f}",
            ])  # fmt: skip
    return markdown_table(header, rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=CACHE)
    parser.add_argument("--write", action="store_true", help="ship the cut-off if no set is worse")
    parser.add_argument(
        "--write-docs", action="store_true", help="write the table into docs/benchmarks.md"
    )
    args = parser.parse_args()
    rows_by_set = {name: rows_of(name, args.cache) for name in NEWS_SETS}
    everywhere = fit(rows_by_set)
    results = {}
    for name, rows in rows_by_set.items():
        left_out = fit({other: r for other, r in rows_by_set.items() if other != name})
        results[name] = {
            "rule off": (0.0, figures(rows, 0.0)),
            "own set": (fit({name: rows}), figures(rows, fit({name: rows}))),
            "both sets": (everywhere, figures(rows, everywhere)),
            "left out": (left_out, figures(rows, left_out)),
        }
    print(table(results))
    worse = [
        name
        for name, by_fit in results.items()
        if _worse(by_fit["left out"][1], by_fit["rule off"][1])
    ]
    verdict = "Left out worse than the rule off: " + (", ".join(worse) if worse else "nowhere.")
    print(verdict)
    if args.write_docs:
        note = f"`python benchmarks/topic_names.py`; {measured_on()}."
        write_section("topic-names", f"{table(results)}\n\n{verdict}\n\n{note}\n")
    if args.write and not worse:
        score = {
            name: {label: found for label, (_, found) in by_fit.items()}
            for name, by_fit in results.items()
        }
        fitted_on = (
            "news-dev and news3-dev: each question as asked and each answerable one again with "
            "its answering articles left out (benchmarks/person_rows.py); the cut-off of "
            f"{CUTOFFS[0]} to {CUTOFFS[-1]} with the largest share of unanswerable questions "
            "refused less that of answerable ones (mean over the sets), adding at most "
            f"{MAX_EXTRA_WRONG:.0%} wrongly refused answerable questions to either set; the "
            "lowest such. Scores: each set with the rule off, the cut-off fitted on it alone, "
            "on both sets, and on the other set only (left out)."
        )
        write_fitted(FOLDER / TopicNames.FILE, TopicNames(min_closeness=everywhere),
                     fitted_on=fitted_on, script=SCRIPT, score=score)  # fmt: skip
        print(f"wrote {TopicNames.FILE}: min_closeness {everywhere}")


def _worse(left_out: dict, off: dict) -> bool:
    """Whether the left-out figures lose quotes or refuse answerable questions more (by more
    than `MAX_EXTRA_WRONG`) than the rule off, or refuse fewer unanswerable ones."""
    return (
        left_out["wrongly_refused"] - off["wrongly_refused"] > MAX_EXTRA_WRONG
        or left_out["offcorpus_refused"] < off["offcorpus_refused"]
        or left_out["removed_refused"] < off["removed_refused"]
    )


if __name__ == "__main__":
    main()
