"""The quote model on the news sets it was not fitted on: each of its values moved, answers
measured end to end.

    python benchmarks/quote_model_sweep.py                # the table (about 4 minutes)
    python benchmarks/quote_model_sweep.py --write-docs   # and into docs/benchmarks.md

The quote model (assistant/fitted/quote_model.json) is fitted by `tune.py` on the XQuAD tune
half alone, so news-dev and news3-dev are both left out of it. Each row asks every question
of both sets in process, on an index of each set's own articles, with one value of the
shipped model changed (`fitted.overridden`): each similarity weight and the word-share
weight halved and raised by half, the bias moved by 1, the quote share 0.1 and 0.35. A value
that helps news only where it was read from would show here as a shipped row beaten on one
set and not the other; a shipped row that no change beats on both sets is a fit that holds on
news it has never seen.
"""

from __future__ import annotations

import argparse
import tempfile
from collections.abc import Iterator
from pathlib import Path

from fitting_rows import SHARED_DATA
from news_dev import copy_articles
from report import markdown_table, measured_on, write_section

from assistant.fitted import QuoteModel, fitted, overridden
from assistant.surfaces.api import Assistant
from assistant.surfaces.evaluation import evaluate_news, read_qa_file

SCRIPT = "benchmarks/quote_model_sweep.py"
SETS = ("news-dev", "news3-dev")
K = 5


def variants(shipped: QuoteModel) -> Iterator[tuple[str, dict]]:
    """(label, changed values) for the shipped model and each one-value change of it."""
    yield "shipped", {}
    for name, weight in shipped.similarity_weights.items():
        for factor in (0.5, 1.5):
            weights = {**shipped.similarity_weights, name: round(weight * factor, 2)}
            label = "e5" if name == "default" else name
            yield f"{label} weight x{factor}", {"similarity_weights": weights}
    for factor in (0.5, 1.5):
        value = round(shipped.word_share_weight * factor, 2)
        yield f"word share weight x{factor}", {"word_share_weight": value}
    for step in (-1.0, 1.0):
        yield f"bias {step:+.0f}", {"bias": round(shipped.bias + step, 2)}
    for share in (0.1, 0.35):
        yield f"quote share {share}", {"quote_share": share}


def measure(folders: dict[str, Path], changes: dict) -> dict[str, dict]:
    """Each set's overall news measures with the quote model's `changes` (an assistant made
    under them: its answerer takes the similarity weights when made)."""
    figures = {}
    with overridden(QuoteModel, **changes):
        for name, folder in folders.items():
            assistant = Assistant(seeds=folder / "seeds", index=folder / "index")
            items = read_qa_file(SHARED_DATA / name / "questions.jsonl")
            figures[name] = evaluate_news(assistant, items, K)["overall"]
    return figures


def row(label: str, shipped: QuoteModel, changes: dict, figures: dict[str, dict]) -> list[str]:
    values = {**vars(shipped), **changes}
    weights = " / ".join(f"{w:g}" for w in values["similarity_weights"].values())
    word, bias, share = values["word_share_weight"], values["bias"], values["quote_share"]
    cells = [label, f"{weights} / {word:g}, {bias:g}, {share:g}"]
    for name in SETS:
        measures = figures[name]
        cells.append(
            f"{measures['quotes_hold_answer']:.3f} / {measures['wrong_abstain']:.3f} / "
            f"{measures['offcorpus_abstain']:.3f}"
        )
    return cells


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    shipped = fitted(QuoteModel)
    with tempfile.TemporaryDirectory() as scratch:
        folders = {name: Path(scratch) / name for name in SETS}
        for name, folder in folders.items():
            (folder / "seeds").mkdir(parents=True)
            copy_articles(SHARED_DATA / name, folder / "seeds")
            Assistant(seeds=folder / "seeds", index=folder / "index").sync()
        rows = []
        for label, changes in variants(shipped):
            rows.append(row(label, shipped, changes, measure(folders, changes)))
            print(" | ".join(rows[-1]), flush=True)
    measures = "quotes hold / wrongly refused / off-corpus refused"
    header = ["quote model", "weights (e5 / USE / word share), bias, share",
              *(f"{name}: {measures}" for name in SETS)]  # fmt: skip
    table = markdown_table(header, rows)
    print(f"\n{table}")
    if args.write_docs:
        write_section("quote-model-sweep", f"{table}\n\n`python {SCRIPT}`, {measured_on()}, k={K}.")


if __name__ == "__main__":
    main()
