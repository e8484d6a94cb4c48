"""Calibrate the support threshold: does a German passage support an English sentence?

    python benchmarks/support_calibration.py --half tune

XQuAD's English and German paragraphs are translations of each other. An English sentence
is "supported" by the German sentences of its own paragraph and "not supported" by those
of the next paragraph of the same article (same topic, other facts): a hard negative, like
an LLM citing a related but wrong passage. Scores are what the checker compares: the
sentence embedded alone against the index's sentence vectors.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import numpy as np
from xquad import XQUAD, build_corpus

from assistant.ingest.passages import split_sentences
from assistant.surfaces.api import Assistant


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--half", choices=["tune", "test"], default="tune")
    args = parser.parse_args()
    english = json.loads((XQUAD / "xquad.en.json").read_text(encoding="utf-8"))["data"]
    with tempfile.TemporaryDirectory() as scratch:
        seeds = Path(scratch) / "seeds"
        seeds.mkdir()
        items = build_corpus(seeds, XQUAD)
        assistant = Assistant(seeds=seeds, index=Path(scratch) / "index")
        assistant.sync()
        store = assistant.retriever().store
        vectors = store.sentence_vectors(0, [p for p, _ in store.all_passages()])
        by_paragraph = _vectors_by_paragraph(store, vectors, items["de"])
        positives, negatives = [], []
        for number, article in enumerate(english):
            if (number % 2 == 0) != (args.half == "tune"):
                continue
            article_id = f"{number:02d}.txt"
            paragraphs = [p["context"] for p in article["paragraphs"]]
            for index, paragraph in enumerate(paragraphs):
                spans = split_sentences(paragraph, "en")
                sentences = [paragraph[s.start : s.end] for s in spans if s.end - s.start > 30]
                if not sentences:
                    continue
                own = by_paragraph.get((article_id, index))
                other = by_paragraph.get((article_id, (index + 1) % len(paragraphs)))
                if own is None or other is None:
                    continue
                embedded = assistant.embedders[0].embed_passages(sentences)
                positives.extend((embedded @ own.T).max(axis=1))
                negatives.extend((embedded @ other.T).max(axis=1))
    positives, negatives = np.array(positives), np.array(negatives)
    print(f"{len(positives)} English sentences vs German paragraphs ({args.half} half)")
    print("threshold  supported kept (own paragraph)  flagged (next paragraph)")
    for threshold in (0.78, 0.80, 0.82, 0.84, 0.86, 0.88):
        print(
            f"  {threshold:.2f}     {np.mean(positives >= threshold):.3f}"
            f"                        {np.mean(negatives < threshold):.3f}"
        )


def _vectors_by_paragraph(store, vectors, items) -> dict[tuple[str, int], np.ndarray]:
    """Sentence vectors grouped by (article, paragraph index), from the gold spans."""
    spans = sorted({(i["article_id"], i["start"], i["end"]) for i in items})
    index_of = {}
    for article_id in {a for a, _, _ in spans}:
        ordered = [(s, e) for a, s, e in spans if a == article_id]
        for index, (start, end) in enumerate(ordered):
            index_of[(article_id, start, end)] = index
    grouped: dict[tuple[str, int], list[np.ndarray]] = {}
    for passage, _ in store.all_passages():
        for ordinal, (start, _) in enumerate(passage.sentences):
            for (article_id, p_start, p_end), index in index_of.items():
                if article_id == passage.article_id and p_start <= start < p_end:
                    vector = vectors.get((passage.id, ordinal))
                    if vector is not None:
                        grouped.setdefault((article_id, index), []).append(vector)
    return {key: np.stack(rows) for key, rows in grouped.items()}


if __name__ == "__main__":
    main()
