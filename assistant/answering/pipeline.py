"""The answering path, one stage after another, and the same as a LangChain `Runnable`.

question (+ history) → standalone question → encoded once → evidence (fused hits with their
sentence vectors) → answer (`Answerer`: quotes or an LLM) → checked answer.
"""

from __future__ import annotations

import dataclasses
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import Runnable, RunnableConfig

from assistant.answering.answer import AbstainPolicy, Answer, Answerer, abstention
from assistant.answering.answerability import answer_confidence
from assistant.answering.llm_answer import LLMAnswerer
from assistant.answering.quoting import ExtractiveAnswerer, QuoteRanking, rank_sentences
from assistant.answering.support import SupportChecker
from assistant.models.embeddings import PassageEmbeddings
from assistant.question.follow_ups import standalone_question
from assistant.question.person import read_person_question
from assistant.retrieval.hybrid import Evidence, HybridRetriever


@dataclass(frozen=True)
class AnswerPipeline:
    """The stages for one index and one choice of answerer (made once, used per question).

    `chat_model` is None for the extractive answerer; then follow-ups are made standalone
    without an LLM too.
    """

    retriever: HybridRetriever
    answerer: Answerer
    checker_embedder: PassageEmbeddings
    support_threshold: float
    chat_model: BaseChatModel | None = None
    llm_label: str = ""

    def run(
        self,
        question: str,
        history: Sequence[dict],
        k: int,
        on_token: Callable[[str], None] | None = None,
        without: frozenset[str] = frozenset(),
    ) -> Answer:
        """Answer a checked question (see `question.py`) from the articles; those in
        `without` left out (benchmarks: a question whose article is not indexed)."""
        query = standalone_question(question, history, self.chat_model, self.llm_label)
        encoded = self.retriever.encode(query)
        person = read_person_question(query, encoded.language, self.retriever.statements)
        if person is not None and not person.mentioned:
            evidence = self.retriever.evidence(encoded, k, without)
            evidence = dataclasses.replace(evidence, speaker=person.name, unknown_speaker=True)
        elif person is not None and person.quoted:
            topic = self.retriever.encode(person.topic)
            evidence = self.retriever.speaker_evidence(encoded, topic, person.name, k, without)
        else:
            evidence = self.retriever.evidence(encoded, k, without)
        if not evidence.hits:
            return abstention(question, [])
        answer = self.answerer.answer(question, evidence, on_token)
        checker = SupportChecker.for_evidence(
            evidence, self.checker_embedder, self.support_threshold
        )
        return checker.checked(answer)


def make_answerer(
    policy: AbstainPolicy,
    quote_weights: Sequence[float],
    chat_model: BaseChatModel | None,
    llm_label: str,
) -> Answerer:
    """The LLM answerer when a chat model is given, else the extractive one; both give
    each answer its confidence (`answerability.answer_confidence`)."""
    floors = (policy.same_language, policy.cross_lingual)

    def confidence(evidence: Evidence, ranking: QuoteRanking | None = None) -> float:
        ranking = ranking or rank_sentences(evidence, quote_weights)
        return answer_confidence(evidence, ranking, floors)

    if chat_model is not None:
        return LLMAnswerer(chat_model, llm_label, policy, confidence)
    return ExtractiveAnswerer(policy, quote_weights, confidence)


class AnswerChain(Runnable[dict, Any]):
    """The assistant as a LangChain `Runnable`.

    Input: ``{"question": str, "history": [{"role", "content"}, ...], "k": int}`` (history
    and k optional). Output: the `Answer`, or its JSON form (`as_json=True`). `.stream()`
    yields an LLM's reply piece by piece (str), then the `Answer`; without an LLM, only the
    `Answer`. LangChain callbacks and tracing see one run per question.
    """

    def __init__(self, ask: Callable[..., Answer], as_json: bool = False) -> None:
        self._ask = ask
        self._as_json = as_json

    def invoke(self, input: dict, config: RunnableConfig | None = None, **kwargs: Any) -> Any:
        return self._call_with_config(self._answer, input, config, **kwargs)

    def stream(
        self, input: dict, config: RunnableConfig | None = None, **kwargs: Any
    ) -> Iterator[Any]:
        pieces: queue.Queue[str | None] = queue.Queue()
        outcome: dict[str, Any] = {}

        def work() -> None:
            try:
                outcome["answer"] = self.invoke(input, config, on_token=pieces.put)
            except Exception as err:  # handed to the caller's thread below
                outcome["error"] = err
            finally:
                pieces.put(None)

        threading.Thread(target=work, daemon=True).start()
        while (piece := pieces.get()) is not None:
            yield piece
        if "error" in outcome:
            raise outcome["error"]
        yield outcome["answer"]

    def _answer(self, input: dict, on_token: Callable[[str], None] | None = None) -> Any:
        if not isinstance(input, dict):
            input = {"question": input}  # a bare question string
        answer = self._ask(
            input.get("question"), input.get("history"), input.get("k"), on_token=on_token
        )
        return answer.as_json() if self._as_json else answer
