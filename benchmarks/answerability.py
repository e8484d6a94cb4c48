"""Fit and measure the answerability model on negatives made the honest way.

    python benchmarks/answerability.py            # about 5 minutes
    python benchmarks/answerability.py --cached --features dense_margin,name_share
    python benchmarks/answerability.py --cached --write    # ships the fitted model

Builds two indexes (the 48 XQuAD German articles; news-dev's 62 articles) and, for each
question, the features of `assistant/answerability.py` twice: with every article indexed
(answerable) and with its own answering articles left out of retrieval (unanswerable).
news-dev's off-corpus questions are unanswerable as they are. Fits a logistic regression
on the XQuAD tune half plus the even-numbered news-dev questions, and reports, on the
held-out XQuAD test half and odd-numbered news-dev questions, how many answerable
questions are answered and unanswerable ones refused per threshold, with the expected
calibration error. With `--write` (all features), the model, the data and its scores go to
assistant/fitted/answerability.json (or `--out`).
"""

from __future__ import annotations

import argparse
import json
import pickle
import shutil
import tempfile
from pathlib import Path

import numpy as np
from news_dev import NEWS_DEV, copy_articles
from sklearn.linear_model import LogisticRegression
from xquad import XQUAD, build_corpus

from assistant.answering.answerability import FEATURES, answerability_features
from assistant.answering.quoting import rank_sentences
from assistant.fitted import FOLDER, Answerability, fitted, ordered, write_fitted
from assistant.surfaces.api import Assistant
from assistant.surfaces.evaluation import expected_calibration_error

# A 9-passage corpus (the seed) must be judged like a large one: questions it answers and
# questions it does not, for a report only (not fitted on).
SEED_ANSWERED = (
    "What did Rubio say about Russia?",
    "Who will talk to the G7?",
    "Wie lange soll die Waffenruhe dauern?",
    "What did Palissa write on Facebook?",
    "Was sagte Mike Waltz?",
)
SEED_NOT_ANSWERED = (
    "What is the recipe for a good lasagne?",
    "What did Rubio say about Greenland?",
    "What did Xi Jinping say about the ceasefire?",
    "Who won the Super Bowl?",
    "Was sagte Olaf Scholz zur Rente?",
)
THRESHOLDS = (0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5)
FITTED_ON = (
    "XQuAD tune half (every other question, German and English, over the 48 German "
    "articles) and the even-numbered news-dev questions (its 62 articles), each asked with "
    "every article indexed (answerable) and with its answering articles left out of "
    "retrieval (not answerable), plus news-dev's off-corpus questions as asked (not "
    "answerable); follow-ups left out. Held out: XQuAD's test half and the odd-numbered "
    "news-dev questions."
)


def features_of(assistant: Assistant, question: str, without: frozenset[str]) -> np.ndarray:
    retriever = assistant.retriever()
    settings = assistant.settings
    evidence = retriever.evidence(retriever.encode(question), settings.top_k, without)
    ranking = rank_sentences(evidence, [m.quote_weight for m in settings.dense_models])
    if not ranking.sentences:
        return None
    floors = (settings.abstain_below, settings.abstain_below_cross_lingual)
    return answerability_features(evidence, ranking, floors)


def xquad_rows(scratch: Path) -> list[tuple]:
    """(features, answerable, half, set) for both languages' questions, with and without
    their own article."""
    seeds = scratch / "xquad-seeds"
    seeds.mkdir()
    items = build_corpus(seeds, XQUAD)
    assistant = Assistant(seeds=seeds, index=scratch / "xquad-index")
    assistant.sync()
    rows = []
    for language in ("de", "en"):
        for item in items[language][::2]:  # every other question: half the time
            own = frozenset({item["article_id"]})
            for without, label in ((frozenset(), 1), (own, 0)):
                found = features_of(assistant, item["question"], without)
                if found is not None:
                    rows.append((found, label, item["half"], f"xquad-{language}"))
    return rows


def news_rows(scratch: Path) -> list[tuple]:
    seeds = scratch / "news-seeds"
    seeds.mkdir()
    copy_articles(NEWS_DEV, seeds)
    assistant = Assistant(seeds=seeds, index=scratch / "news-index")
    assistant.sync()
    rows = []
    lines = (NEWS_DEV / "questions.jsonl").read_text(encoding="utf-8").splitlines()
    for number, entry in enumerate(json.loads(line) for line in lines):
        if entry.get("history"):
            continue  # follow-ups need the conversation: scored by `assistant eval`
        half = "tune" if number % 2 == 0 else "test"
        answering = frozenset(a for a in [entry["article"], *entry["alt_articles"]] if a)
        cases = (
            [(frozenset(), 0)]
            if entry["kind"] == "offcorpus"
            else [(frozenset(), 1), (answering, 0)]
        )
        for without, label in cases:
            found = features_of(assistant, entry["q"], without)
            if found is not None:
                rows.append((found, label, half, f"news-{entry['kind']}"))
    return rows


def seed_rows(scratch: Path) -> list[tuple]:
    seeds = scratch / "seed-seeds"
    seeds.mkdir()
    shutil.copy(Path(__file__).resolve().parents[1] / "seeds" / "000_bdd157e6eb167cd2.txt", seeds)
    assistant = Assistant(seeds=seeds, index=scratch / "seed-index")
    assistant.sync()
    labelled = [(q, 1) for q in SEED_ANSWERED] + [(q, 0) for q in SEED_NOT_ANSWERED]
    rows = []
    for question, label in labelled:
        found = features_of(assistant, question, frozenset())
        if found is not None:
            rows.append((found, label, "seed", "seed-9-passages"))
    return rows


def answered_refused(rows: list[tuple], chance: np.ndarray) -> dict[str, list]:
    """Per threshold: the share of answerable rows answered and of the others refused
    (None where there are none)."""
    labels = np.array([r[1] for r in rows])

    def share(hits: np.ndarray) -> float | None:
        return round(float(np.mean(hits)), 3) if len(hits) else None

    return {
        str(t): [share(chance[labels == 1] >= t), share(chance[labels == 0] < t)]
        for t in THRESHOLDS
    }


def report(name: str, rows: list[tuple], chance: np.ndarray) -> None:
    answered = ", ".join(
        f"{t}: {'-' if a is None else f'{a:.3f}'} / {'-' if r is None else f'{r:.3f}'}"
        for t, (a, r) in answered_refused(rows, chance).items()
    )
    print(f"  {name:24} n={len(rows):4d}  answered / refused at threshold  {answered}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--cached", action="store_true", help="refit on the features of the last run"
    )
    parser.add_argument(
        "--features", default=",".join(FEATURES), help="comma-separated subset to fit"
    )
    parser.add_argument("--write", action="store_true", help="write the fitted model (see --out)")
    parser.add_argument(
        "--out",
        type=Path,
        default=FOLDER / Answerability.FILE,
        help="where --write writes (default: the shipped file)",
    )
    args = parser.parse_args()
    names = args.features.split(",")
    if args.write and names != list(FEATURES):
        parser.error("--write needs the model of every feature: leave out --features")
    chosen = [FEATURES.index(name) for name in names]
    rows = [(r[0][chosen], *r[1:]) for r in all_rows(args.cached)]
    tune = [r for r in rows if r[2] == "tune"]
    model = LogisticRegression(max_iter=2000).fit(
        np.stack([r[0] for r in tune]), [r[1] for r in tune]
    )
    weights = model.coef_[0].round(4).tolist()
    bias = round(float(model.intercept_[0]), 4)
    print("features:", names)
    print("weights:", weights, "bias:", bias)
    shipped = ordered(Answerability, "weights", FEATURES)
    print("shipped:", shipped, "bias:", fitted(Answerability).bias)
    score = scores(model, rows)
    if args.write:
        fitted_model = Answerability(weights=dict(zip(names, weights, strict=True)), bias=bias)
        write_fitted(
            args.out,
            fitted_model,
            fitted_on=FITTED_ON,
            script="benchmarks/answerability.py",
            score=score,
        )
        print(f"wrote {args.out}")


def all_rows(cached: bool) -> list[tuple]:
    """Every question's rows, computed (and kept for `--cached`) or those of the last run."""
    cache = Path(tempfile.gettempdir()) / "answerability-rows.pkl"
    if cache.exists() and cached:
        return pickle.loads(cache.read_bytes())
    with tempfile.TemporaryDirectory() as scratch:
        rows = xquad_rows(Path(scratch)) + news_rows(Path(scratch))
        rows += seed_rows(Path(scratch))
    cache.write_bytes(pickle.dumps(rows))
    return rows


def scores(model: LogisticRegression, rows: list[tuple]) -> dict:
    """Print, per half and set of questions, how many are answered and refused per
    threshold, and each half's calibration error; return them (held-out sets only)."""
    score: dict[str, dict] = {"expected_calibration_error": {}, "held_out_answered_refused": {}}
    for half, label in (("tune", "tune"), ("test", "held_out"), ("seed", "seed")):
        group = [r for r in rows if r[2] == half]
        print(f"{label}:")
        for name in sorted({r[3] for r in group}):
            chosen = [r for r in group if r[3] == name]
            chance = model.predict_proba(np.stack([r[0] for r in chosen]))[:, 1]
            report(name, chosen, chance)
            if label == "held_out":
                score["held_out_answered_refused"][name] = answered_refused(chosen, chance)
        chance = model.predict_proba(np.stack([r[0] for r in group]))[:, 1]
        error = expected_calibration_error(chance, np.array([r[1] for r in group]))
        score["expected_calibration_error"][label] = round(float(error), 3)
        print(f"  expected calibration error: {error:.3f}")
    return score


if __name__ == "__main__":
    main()
