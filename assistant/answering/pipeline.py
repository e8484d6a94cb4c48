"""The answering path, one stage after another (as a LangChain `Runnable`: `chain.py`).

question (+ history) → standalone question → encoded once → evidence (fused hits with their
sentence vectors) → answer (`Answerer`: quotes or an LLM) → checked answer.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from assistant.answering.answer import AbstainPolicy, Answer, Answerer, abstention
from assistant.answering.answerability import answer_confidence
from assistant.answering.llm_answer import LLMAnswerer
from assistant.answering.quoting import ExtractiveAnswerer, QuoteRanking, rank_sentences
from assistant.answering.support import SupportChecker
from assistant.models.embeddings import PassageEmbeddings
from assistant.question.follow_ups import standalone_question
from assistant.question.person import read_person_question
from assistant.retrieval.hybrid import Evidence, HybridRetriever

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel


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
