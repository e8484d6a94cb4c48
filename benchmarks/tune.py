"""Sweep retrieval and answer parameters on one half of XQuAD (questions embedded once).

    python benchmarks/tune.py --half tune
    python benchmarks/tune.py --half tune --write             # ships the fitted quote model
    python benchmarks/tune.py --half tune --write --out /tmp/quote_model.json

Prints recall@5 and MRR@5 per (USE, BM25) weight (e5 at 1); fits the logistic model that picks the
sentences to quote (answering/quoting.py) and shows, for it and for the shipped weights, how
often the best sentence and the quoted ones hold the answer per quote share; and the
abstention trade-off per threshold (a question is made unanswerable by leaving its own
article out of the ranking). With `--write`, the fitted quote model, with the quote share
given (`--quote-share`, default the shipped one), the data and its score on them, goes to
assistant/fitted/quote_model.json (or `--out`).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from xquad import add_data_option, build_corpus

from assistant.answering.quoting import quotable_sentences
from assistant.fitted import FOLDER, QuoteModel, fitted, write_fitted
from assistant.language.tokens import content_words
from assistant.question.answer_types import answer_type
from assistant.retrieval.hybrid import EncodedQuestion, fuse
from assistant.surfaces.api import Assistant
from assistant.surfaces.evaluation import holds_answer

_QUOTE_SHARES = (0.1, 0.2, 0.3, 0.5)
_ARTICLES = {
    "tune": "the even-numbered articles (tune half)",
    "test": "the odd-numbered articles (test half)",
    "all": "every article",
}
_MAX_QUOTES = 3


def main() -> None:
    shipped_model = fitted(QuoteModel)
    parser = argparse.ArgumentParser()
    parser.add_argument("--half", choices=["all", "tune", "test"], default="tune")
    add_data_option(parser)
    parser.add_argument(
        "--write", action="store_true", help="write the fitted quote model (see --out)"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=FOLDER / QuoteModel.FILE,
        help="where --write writes (default: the shipped file)",
    )
    parser.add_argument(
        "--quote-share",
        type=float,
        default=shipped_model.quote_share,
        help="the quote share --write writes and scores (default: the shipped one)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        seeds = Path(scratch) / "seeds"
        seeds.mkdir()
        items = build_corpus(seeds, args.data)
        assistant = Assistant(seeds=seeds, index=Path(scratch) / "index", candidates=40)
        assistant.sync()
        quoting = {}
        for language in ("de", "en"):
            chosen = [i for i in items[language] if args.half in ("all", i["half"])]
            quoting[language] = _sweep(assistant, chosen, language)
    models = Assistant().settings.dense_models
    shipped = [m.quote_weight for m in models] + [shipped_model.word_share_weight]
    weights, bias = _fit(quoting)
    print(f"\nquote model fitted on this half (both languages): weights {weights}, bias {bias}")
    print(f"shipped: weights {shipped}, bias {shipped_model.bias}")
    for language, questions in quoting.items():
        print(f"\n{language} -> de: best sentence holds the answer / quoted ones do (quotes each)")
        runs = (("fitted", (weights, bias)), ("shipped", (shipped, shipped_model.bias)))
        for name, (w, b) in runs:
            top = _cited(questions, w, b, share=1.0)[0]
            shares = ", ".join(
                f"share {s}: {hit:.3f} ({used:.2f})"
                for s in _QUOTE_SHARES
                for hit, used in [_cited(questions, w, b, s)]
            )
            print(f"  {name:8} best {top:.3f}; {shares}")
    if args.write:
        fitted_model = QuoteModel(
            similarity_weights={m.model: w for m, w in zip(models, weights[:-1], strict=True)},
            word_share_weight=weights[-1],
            bias=bias,
            quote_share=args.quote_share,
        )
        write_quote_model(args.out, fitted_model, quoting, args.half)
        print(f"\nwrote {args.out}")


def write_quote_model(path: Path, model: QuoteModel, quoting: dict[str, list], half: str) -> None:
    """Write the quote model with what it was fitted on and how it scores there: per
    language, how often the best sentence and the quoted ones hold the answer."""
    weights = [*model.similarity_weights.values(), model.word_share_weight]
    score = {}
    for language, questions in quoting.items():
        best = _cited(questions, weights, model.bias, share=1.0)[0]
        held, used = _cited(questions, weights, model.bias, model.quote_share)
        score[language] = {
            "best_sentence_holds_answer": round(best, 3),
            "quotes_hold_answer": round(held, 3),
            "quotes_per_answer": round(used, 2),
        }
    counts = ", ".join(f"{len(rows)} {language}" for language, rows in quoting.items())
    fitted_on = (
        f"XQuAD questions on {_ARTICLES[half]}: {counts}, asked of all 48 German articles; "
        "every quotable sentence of each question's top 5 passages, labelled by whether it "
        "holds the answer text. quote_share given (--quote-share), not fitted."
    )
    write_fitted(
        path,
        model,
        fitted_on=fitted_on,
        script="benchmarks/tune.py",
        score={half: score},
    )


def _sweep(assistant: Assistant, items: list[dict], language: str) -> list:
    """Print recall and abstention figures; return each question's quotable sentences as
    (features, sentence texts, answer)."""
    retriever = assistant.retriever()
    settings = assistant.settings
    weights = [(s, w) for s in (0.0, 0.3, 0.4, 0.5, 0.7) for w in (0.0, 0.2, 0.3)]
    recall, reciprocal_rank = dict.fromkeys(weights, 0), dict.fromkeys(weights, 0.0)
    best_answerable, best_unanswerable, quoting = [], [], []
    questions = [i["question"] for i in items]
    # Each model embeds all questions at once (faster than one by one).
    per_model = [embedder.embed_questions(questions) for embedder in assistant.embedders]
    for item, *vectors in zip(items, *per_model, strict=True):
        kind = answer_type(item["question"], language)
        encoded = EncodedQuestion(item["question"], language, tuple(vectors), kind)
        candidates = retriever.candidates(encoded)
        stored = retriever.store.get([c.passage_id for c in candidates])
        passages = [stored[c.passage_id][0] for c in candidates]
        for use, lexical in weights:
            order = np.argsort(-fuse(candidates, [1.0, use], lexical), kind="stable")[:5]
            ranks = [
                rank
                for rank, i in enumerate(order, start=1)
                if holds_answer(item["answer"], item["article_id"], passages[i])
            ]
            recall[(use, lexical)] += bool(ranks)
            reciprocal_rank[(use, lexical)] += 1 / ranks[0] if ranks else 0.0
        shipped = [m.weight for m in settings.dense_models]
        fused = fuse(candidates, shipped, settings.lexical_weight)
        top = [candidates[i] for i in np.argsort(-fused, kind="stable")[:5]]
        best_answerable.append(max(c.dense[0] for c in top))
        others = [
            c.dense[0]
            for c, p in zip(candidates, passages, strict=True)
            if p.article_id != item["article_id"]
        ]
        best_unanswerable.append(max(others) if others else 0.0)
        evidence = retriever.evidence(encoded, 5)
        sentences, features = quotable_sentences(
            evidence.hits,
            content_words(item["question"], language),
            evidence.sentences,
            words=evidence.words,
        )
        quoting.append((features, [s.text.lower() for s in sentences], item["answer"].lower()))
    n = len(items)
    print(f"\n{language} -> de, {n} questions")
    print("  recall@5 / MRR@5 by (USE, BM25) weight:")
    for w in weights:
        print(f"    {w}: {recall[w] / n:.3f} / {reciprocal_rank[w] / n:.3f}")
    answerable, unanswerable = np.array(best_answerable), np.array(best_unanswerable)
    print("  abstain threshold: answered (answerable) / abstained (own article removed)")
    for threshold in (0.75, 0.76, 0.77, 0.78, 0.80, 0.81, 0.82, 0.83):
        print(
            f"    {threshold:.2f}: {np.mean(answerable >= threshold):.3f} / "
            f"{np.mean(unanswerable < threshold):.3f}"
        )
    return quoting


def _fit(quoting: dict[str, list]) -> tuple[list[float], float]:
    """Logistic regression: does a quotable sentence hold the answer, given its features."""
    rows = [(f, t, a) for questions in quoting.values() for f, t, a in questions if len(t)]
    features = np.concatenate([f for f, _, _ in rows])
    labels = np.concatenate([[answer in text for text in texts] for _, texts, answer in rows])
    model = LogisticRegression(max_iter=1000).fit(features, labels)
    return model.coef_[0].round(2).tolist(), round(float(model.intercept_[0]), 2)


def _cited(questions: list, weights, bias: float, share: float) -> tuple[float, float]:
    """Share of questions whose quoted sentences hold the answer, and quotes per answer,
    quoting as the answerer does: the best sentence, then others up to `share` of its chance."""
    hit = used = 0
    for features, texts, answer in questions:
        if not texts:
            continue
        chance = 1.0 / (1.0 + np.exp(-(features @ np.asarray(weights) + bias)))
        order = np.argsort(-chance, kind="stable")[:_MAX_QUOTES]
        chosen = [i for i in order if chance[i] >= share * chance[order[0]]]
        hit += answer in " ".join(texts[i] for i in chosen)
        used += len(chosen)
    return hit / len(questions), used / len(questions)


if __name__ == "__main__":
    main()
