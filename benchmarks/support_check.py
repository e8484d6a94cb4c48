"""What the citation support check catches and misses, on crafted answers over the seed.

    python benchmarks/support_check.py

Each crafted answer is played by a scripted chat model (LangChain's fake, the LLM seam)
through the real pipeline: retrieval, citation repair, support check.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from assistant.surfaces.api import Assistant

SEED = Path(__file__).resolve().parents[1] / "seeds" / "000_bdd157e6eb167cd2.txt"
QUESTION = "What did Rubio say about Russia and the ceasefire?"


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        seeds = Path(scratch) / "seeds"
        seeds.mkdir()
        shutil.copy(SEED, seeds)
        base = Assistant(seeds=seeds, index=Path(scratch) / "index")
        base.sync()
        hits = base.retrieve(QUESTION)
        has = _passage_number(hits, "Rubio zufolge ist nun Russland am Zug")
        ceasefire = _passage_number(hits, "30-tägigen Waffenruhe")
        other = next(n for n in range(1, len(hits) + 1) if n not in (has, ceasefire))
        cases = [
            ("exact German quote", f"Rubio zufolge ist nun Russland am Zug [{has}].", True),
            ("English paraphrase", f"Rubio said that it is now Russia's move [{has}].", True),
            ("true fact, wrong passage", f"Rubio said it is now Russia's move [{other}].", False),
            ("30-day ceasefire", f"Ukraine agreed to a 30-day ceasefire [{ceasefire}].", True),
            ("number changed (60 days)", f"Ukraine agreed to a 60-day truce [{ceasefire}].", False),
            ("negated fact", f"Rubio said Russia is not expected to respond [{has}].", False),
            ("invented, plausible words", f"Rubio said Russia already accepted [{has}].", False),
            ("unrelated invention", f"The talks took place in Paris [{has}].", False),
            ("no citation", "Russia will certainly agree.", False),
            ("citation to no passage", "Rubio said it is Russia's turn [9].", False),
        ]  # fmt: skip
        store = base.retriever().store
        print(f"{'case':28s} {'expected':>9s} {'flag':>9s} {'cosine':>7s}  verdict")
        for name, reply, should_pass in cases:
            model = GenericFakeChatModel(messages=iter([AIMessage(reply)]))
            assistant = Assistant(base.settings, embedders=base.embedders, chat_model=model)
            sentence = assistant.ask(QUESTION).sentences[0]
            cosine = _best_cosine(base, store, hits, sentence)
            verdict = "ok" if sentence.supported == should_pass else "MISSED"
            print(
                f"{name:28s} {_label(should_pass):>9s} {_label(sentence.supported):>9s} "
                f"{cosine:7.3f}  {verdict}"
            )


def _best_cosine(base, store, hits, sentence) -> float:
    """The highest cosine between the sentence and any sentence of a passage it cites."""
    if not sentence.citations:
        return float("nan")
    cited = [hits[n - 1].passage for n in sentence.citations]
    vectors = store.sentence_vectors(0, cited)
    text = re.sub(r"\s*\[\d+\]", "", sentence.text)
    (mine,) = base.embedders[0].embed_passages([text])
    return max(float(v @ mine) for v in vectors.values())


def _passage_number(hits, text: str) -> int:
    return next(n for n, hit in enumerate(hits, start=1) if text in hit.passage.text)


def _label(supported: bool) -> str:
    return "supported" if supported else "flagged"


if __name__ == "__main__":
    main()
