"""The refusal values (answerability model, confidence and similarity floors) fitted
leave-one-set-out.

    python benchmarks/leave_one_out.py                # the table (rows from fitting_rows.py)
    python benchmarks/leave_one_out.py --write-docs   # and into docs/benchmarks.md
    python benchmarks/leave_one_out.py --write        # ship the values fitted on every set,
                                                      # if no set does worse left out

For each of news-dev, news3-dev and the XQuAD tune half: the figures under the shipped
values, under values fitted on every set (in-set) and under values fitted on the other sets
only (left out). A value that helps only the set it was read from shows as an in-set figure
the left-out one does not reach. `--write` writes the values fitted on every set to
assistant/fitted/answerability.json, confidence_floor.json and floors.json only when, on
every set, the left-out figures are no worse than the shipped ones (quotes holding the
answer, answerable questions refused, unanswerable ones refused); either way it prints the
comparison. The similarity floors move together (their gap kept), by one of
`fitting.FLOOR_SHIFTS`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from fitting import (
    FLOOR_SHIFTS,
    MAX_EXTRA_WRONG,
    THRESHOLDS,
    RefusalValues,
    Row,
    figures,
    fit,
    leave_one_out,
)
from fitting_rows import CACHE, SETS, rows_of
from report import markdown_table, measured_on, write_section

from assistant.fitted import FOLDER, Answerability, AnswerTypes, ConfidenceFloor, Floors, fitted
from assistant.fitted import write_fitted as write_values

SCRIPT = "benchmarks/leave_one_out.py"
# Each measure, which way is better (True: higher) and the questions it counts.
MEASURES = {
    "quotes_hold": ("quotes hold the answer", True, "answerable"),
    "wrongly_refused": ("answerable refused", False, "answerable"),
    "offcorpus_refused": ("off-corpus refused", True, "offcorpus"),
    "removed_refused": ("refused, answering articles removed", True, "removed"),
}
FITTED_ON = (
    "news-dev and news3-dev (each question as asked, follow-ups with their history; each "
    "answerable one again with its answering articles left out of retrieval: not answerable; "
    "off-corpus questions: not answerable) and the XQuAD tune half (every other question of "
    "the even-numbered articles, German and English, over the 48 German articles, with and "
    "without its own article); each set weighing the same. The confidence floor (of {low} "
    "to {high}) and the move of both similarity floors (of {shifts}): the pair refusing the "
    "most unanswerable questions (mean over the sets) while adding at most {extra:.0%} "
    "wrongly refused answerable questions to any set."
)


def worse(left_out: dict, shipped: dict) -> list[str]:
    """The measures on which `left_out` does worse than `shipped`."""
    out = []
    for key, (label, higher, _) in MEASURES.items():
        a, b = left_out[key], shipped[key]
        if a is not None and b is not None and (a < b if higher else a > b):
            out.append(label)
    return out


def table(results: dict[str, dict[str, dict]]) -> str:
    rows = []
    for name, by_values in results.items():
        for key, (label, _, counted) in MEASURES.items():
            cells = [by_values[v][key] for v in ("shipped", "in-set", "left out")]
            if all(c is None for c in cells):
                continue
            gap = f"{cells[2] - cells[1]:+.3f}" if None not in (cells[1], cells[2]) else "-"
            formatted = ("-" if c is None else f"{c:.3f}" for c in cells)
            rows.append([name, label, str(by_values["shipped"][counted]), *formatted, gap])
    header = ["set", "measure", "n", "shipped", "in-set", "left out", "left out - in-set"]
    return markdown_table(header, rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, default=CACHE)
    parser.add_argument("--write", action="store_true", help="ship the values if no set is worse")
    parser.add_argument(
        "--write-docs", action="store_true", help="write the table into docs/benchmarks.md"
    )
    args = parser.parse_args()
    rows_by_set: dict[str, list[Row]] = {name: rows_of(name, args.cache) for name in SETS}
    anyway = fitted(AnswerTypes).answer_anyway
    shipped = RefusalValues.shipped()
    everywhere = fit(rows_by_set, anyway)
    held_out = leave_one_out(rows_by_set, anyway)
    results = {
        name: {
            "shipped": figures(rows, shipped, anyway),
            "in-set": figures(rows, everywhere, anyway),
            "left out": figures(rows, held_out[name], anyway),
        }
        for name, rows in rows_by_set.items()
    }
    print(table(results))
    floors = (
        "Fitted values (confidence floor, similarity-floor shift): shipped "
        + "; ".join(
            f"{label} {v.min_confidence}, {v.floor_shift:+.2f}"
            for label, v in [("", shipped), ("fitted on every set", everywhere)]
            + [(f"left out {n}", v) for n, v in held_out.items()]
        ).lstrip()
        + "."
    )
    losses = {n: worse(r["left out"], r["shipped"]) for n, r in results.items()}
    losses = {n: lost for n, lost in losses.items() if lost}
    verdict = "Left out worse than shipped: " + (
        "; ".join(f"{n} ({', '.join(lost)})" for n, lost in losses.items())
        if losses
        else "nowhere."
    )
    print(f"\n{floors}\n{verdict}")
    if args.write_docs:
        note = (
            "`python benchmarks/leave_one_out.py`: the answerability model, the confidence and "
            "similarity floors; in-set: fitted on all three sets, left out: on the other two; "
            f"{measured_on()}."
        )
        write_section("leave-one-out", f"{table(results)}\n\n{floors} {verdict}\n\n{note}\n")
    if args.write:
        if losses:
            print("not written: a set does worse left out than under the shipped values")
            return
        write_refusal_values(everywhere, results, FOLDER)


def write_refusal_values(values: RefusalValues, results: dict, folder: Path) -> None:
    """The values fitted on every set, as the shipped files in `folder`, with each set's
    in-set and left-out figures as their score."""
    fitted_on = FITTED_ON.format(
        low=THRESHOLDS[0], high=THRESHOLDS[-1], shifts=FLOOR_SHIFTS, extra=MAX_EXTRA_WRONG
    )
    score = {
        name: {"in_set": r["in-set"], "left_out": r["left out"]} for name, r in results.items()
    }
    write_values(folder / Answerability.FILE, values.answerability(), fitted_on=fitted_on,
                 script=SCRIPT, score=score)  # fmt: skip
    write_values(folder / ConfidenceFloor.FILE, values.confidence_floor(), fitted_on=fitted_on,
                 script=SCRIPT, score=score)  # fmt: skip
    write_values(folder / Floors.FILE, values.floors(), fitted_on=fitted_on, script=SCRIPT,
                 score=score)  # fmt: skip
    print(f"wrote {Answerability.FILE}, {ConfidenceFloor.FILE} and {Floors.FILE} in {folder}")


if __name__ == "__main__":
    main()
