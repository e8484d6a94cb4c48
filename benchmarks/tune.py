"""Sweep retrieval and answer parameters on one half of XQuAD (questions embedded once).

    python benchmarks/tune.py --half tune

Prints recall@5 per BM25 weight, cited-sentence hit rate per sentence-scoring choice, and
the abstention trade-off per threshold (a question is made unanswerable by leaving its
own article out of the ranking).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
from xquad import build_corpus

from assistant.api import Assistant
from assistant.articles import detect_language
from assistant.keywords import content_words
from assistant.retrieval import _fuse


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--half", choices=["all", "tune", "test"], default="tune")
    parser.add_argument("--max-quotes", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        seeds = Path(scratch) / "seeds"
        seeds.mkdir()
        items = build_corpus(seeds)
        assistant = Assistant(seeds=seeds, index=Path(scratch) / "index", candidates=40)
        assistant.sync()
        retriever = assistant.retriever()
        sentence_vectors = _all_sentence_vectors(assistant)
        for language in ("de", "en"):
            chosen = [i for i in items[language] if args.half in ("all", i["half"])]
            _sweep(assistant, retriever, chosen, language, sentence_vectors, args.max_quotes)


def _all_sentence_vectors(assistant: Assistant) -> dict[tuple[str, int], np.ndarray]:
    store = assistant.retriever().store
    return store.sentence_vectors([p for p, _ in store.all_passages()])


def _sweep(assistant, retriever, items, language, sentence_vectors, max_quotes) -> None:
    weights = [(s, w) for s in (0.0, 0.3, 0.5, 0.7) for w in (0.0, 0.2, 0.3)]
    recall = dict.fromkeys(weights, 0)
    shares = [0.5, 1.0]
    margins = [1.0, 1.5, 2.0, 2.5]  # in standard deviations of the sentence similarities
    overlaps = [0.0, 0.05, 0.1]  # share of the question's words found in the sentence
    cited = {(s, o, m): 0 for s in shares for o in overlaps for m in margins}
    quotes_used = dict.fromkeys(cited, 0)
    best_answerable, best_unanswerable = [], []
    vectors = assistant.embedder.embed_questions([i["question"] for i in items])
    for item, vector in zip(items, vectors, strict=True):
        candidates = retriever._candidates(item["question"], vector, language)
        stored = retriever.store.get([c.passage_id for c in candidates])
        passages = [stored[c.passage_id][0] for c in candidates]
        for second, lexical in weights:
            order = np.argsort(-_fuse(candidates, second, lexical), kind="stable")[:5]
            recall[(second, lexical)] += any(_hits(item, passages[i]) for i in order)
        settings = assistant.settings
        fused = _fuse(candidates, settings.second_dense_weight, settings.lexical_weight)
        order = np.argsort(-fused)[:5]
        top = [(candidates[i], passages[i]) for i in order]
        best_answerable.append(max(c.dense for c, _ in top))
        others = [
            c.dense
            for c, p in zip(candidates, passages, strict=True)
            if p.article_id != item["article_id"]
        ]
        best_unanswerable.append(max(others) if others else 0.0)
        sentences = []
        seen = set()
        asked = content_words(item["question"], language)
        for candidate, p in top:
            for ordinal, (start, end) in enumerate(p.sentences):
                text = p.text[start - p.start : end - p.start]
                if (p.article_id, start) in seen or len(text.split()) < 4:
                    continue
                seen.add((p.article_id, start))
                sim = float(sentence_vectors[(p.id, ordinal)] @ vector)
                shared = len(asked & content_words(text, candidate.language)) / max(len(asked), 1)
                sentences.append((sim, candidate.dense, shared, text))
        spread = float(np.std([s for s, _, _, _ in sentences]))
        for share, overlap, margin in cited:
            scores = np.array([s + share * d + overlap * w for s, d, w, _ in sentences])
            order = np.argsort(-scores, kind="stable")[:max_quotes]
            chosen = [i for i in order if scores[i] >= scores[order[0]] - margin * spread]
            quotes = " ".join(sentences[i][3] for i in chosen).lower()
            cited[(share, overlap, margin)] += item["answer"].lower() in quotes
            quotes_used[(share, overlap, margin)] += len(chosen)
    n = len(items)
    print(
        f"\n{language} -> de, {n} questions (question language detected as "
        f"{detect_language(items[0]['question'])!r} for the first)"
    )
    print(
        "  recall@5 by (second dense, BM25) weight: "
        + ", ".join(f"{w}: {recall[w] / n:.3f}" for w in weights)
    )
    print("  cited hit rate (quotes per answer) by passage share, word overlap and margin:")
    for share in shares:
        for overlap in overlaps:
            key = (share, overlap)
            print(
                f"    share {share:4}, overlap {overlap:4}: "
                + ", ".join(
                    f"m{m}: {cited[(*key, m)] / n:.3f} ({quotes_used[(*key, m)] / n:.2f})"
                    for m in margins
                )
            )
    answerable, unanswerable = np.array(best_answerable), np.array(best_unanswerable)
    print("  abstain threshold: answered (answerable) / abstained (own article removed)")
    for threshold in (0.75, 0.76, 0.77, 0.78, 0.80, 0.81, 0.82, 0.83):
        print(
            f"    {threshold:.2f}: {np.mean(answerable >= threshold):.3f} / "
            f"{np.mean(unanswerable < threshold):.3f}"
        )


def _hits(item: dict, passage) -> bool:
    if item["answer"].lower() in passage.text.lower():
        return True
    return (
        item["article_id"] == passage.article_id
        and passage.start < item["end"]
        and item["start"] < passage.end
    )


if __name__ == "__main__":
    main()
