"""The answering path, one stage after another (as a LangChain `Runnable`: `chain.py`).

question (+ history) → route (standalone question, language, answer type, person asked
about) → findings (the usual evidence; for a person question, the verdict on the person) →
answer (`Answerer`: quotes or an LLM; a person question's refusals decided before either) →
checked answer. A question asking how a person's view changed is answered by the person's
statements by date (`timeline.py`), whichever answerer is chosen.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from assistant.answering.answer import AbstainPolicy, Answer, Answerer, abstention, dated_answer
from assistant.answering.answerability import answer_confidence
from assistant.answering.llm_answer import LLMAnswerer
from assistant.answering.person_answers import Confidence, PersonAnswers
from assistant.answering.quoting import (
    ExtractiveAnswerer,
    QuoteRanking,
    off_topic_refusal,
    quote_statements,
    rank_sentences,
)
from assistant.answering.support import SupportChecker
from assistant.answering.timeline import Timeline, read_timeline, refused_timeline
from assistant.ingest.dates import DateRange, date_span
from assistant.models.embeddings import PassageEmbeddings
from assistant.question.routing import Route, route_question
from assistant.retrieval.hybrid import Evidence, Findings, HybridRetriever
from assistant.timing import stage

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel


# The most a refusal of days no article on the topic is dated in states as its confidence
# (the chance the articles answer: their quotes are of other days).
_UNREPORTED_CONFIDENCE = 0.2


@dataclass(frozen=True)
class AnswerPipeline:
    """The stages for one index and one choice of answerer (made once, used per question).

    `chat_model` is None for the extractive answerer; then follow-ups are made standalone
    without an LLM too. `people` reads person questions' findings and decides their
    refusals, the same for either answerer.
    """

    retriever: HybridRetriever
    answerer: Answerer
    people: PersonAnswers
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
        as_of: dt.date | None = None,
        dates: DateRange | None = None,
        articles: frozenset[str] | None = None,
    ) -> Answer:
        """Answer a checked question (see `question.py`) from the articles; those in
        `without` left out (benchmarks: a question whose article is not indexed); only those
        dated in `dates` and among `articles` (ids, `sources.choose_articles`) when given;
        relative dates in the question read against `as_of` (default today). An answer to a
        question about dates states each citation's date and what dates left out
        (`dated_answer`)."""
        statements = self.retriever.statements
        with stage("route"):
            route = route_question(
                question,
                history,
                statements,
                self.chat_model,
                self.llm_label,
                as_of,
                dates,
                articles,
            )
        found = self.retriever.find(route, k, without)
        if self.chat_model is not None and period_unreported(
            route, found, [hit.article.date for hit in found.hits]
        ):
            # An LLM would cite these passages only: it is not asked (nor streams) an
            # answer that would be refused.
            answer = abstention(question, list(found.hits), _UNREPORTED_CONFIDENCE)
            return dated_answer(answer, found.dates)
        answer = self._answer(question, route, found, on_token)
        if period_unreported(route, found, [citation.date for citation in answer.citations]):
            # What the answer would have quoted is what the articles say nearest.
            confidence = min(answer.confidence or 0.0, _UNREPORTED_CONFIDENCE)
            answer = abstention(question, list(answer.retrieved), confidence, answer.citations)
        return dated_answer(answer, found.dates)

    def _answer(
        self,
        question: str,
        route: Route,
        found: Findings,
        on_token: Callable[[str], None] | None,
    ) -> Answer:
        if not found.hits:
            return abstention(question, [])
        if found.person is not None and route.view_change:
            return self._timeline(route, found).answer
        if found.person is not None:
            return self._person_answer(question, found)
        answer = self.answerer.answer(question, found.evidence, on_token)
        with stage("support"):
            return self._checker(found.evidence).checked(answer)

    def timeline(self, route: Route, k: int) -> Timeline:
        """The person's statements on the route's topic by date (`route.person` is set and
        `route.view_change`); `k`: passages of the usual retrieval weighed besides them."""
        return self._timeline(route, self.retriever.find(route, k))

    def _timeline(self, route: Route, found: Findings) -> Timeline:
        """The timeline, or the person question's refusal (never named; quoted, but not on
        this) as a timeline without entries."""
        statements = self.people.read(found)
        topic = route.person.topic
        refusal = self.people.refusal(route.asked, statements)
        if refusal is not None:
            return refused_timeline(refusal, statements.name, topic)
        return read_timeline(route.asked, statements, topic)

    def _person_answer(self, question: str, found: Findings) -> Answer:
        """A person question's answer, the same path for either answerer: its refusals are
        decided first; then the answerer writes from the person's statements. A written
        answer each of whose sentences the person's statements support is shown; one the
        LLM declines is the "quoted, but not on this" refusal; any other shows the person's
        statements quoted, as without an LLM."""
        statements = self.people.read(found)
        refusal = self.people.refusal(question, statements)
        if refusal is not None:
            return refusal
        answer = self.answerer.answer_person(question, statements)
        if answer.abstained:
            return off_topic_refusal(question, statements)
        with stage("support"):
            checker = self._checker(statements.evidence, statements.citable())
            checked = checker.checked(answer)
            if all(sentence.supported for sentence in checked.sentences):
                return checked
        quoted = quote_statements(question, statements)
        with stage("support"):
            return checker.checked(quoted)

    def _checker(
        self, evidence: Evidence, citable: dict[tuple[str, int], str] | None = None
    ) -> SupportChecker:
        return SupportChecker.for_evidence(
            evidence, self.checker_embedder, self.support_threshold, citable
        )


def period_unreported(route: Route, found: Findings, quoted: Sequence[str | None]) -> bool:
    """Whether the articles an answer quotes (their dates: `quoted`) are all dated outside
    the days of a year the question names ("in July 2024"), no article on its topic being
    dated in them: they report other days, so what they say is not what was said or done
    then. An undated article may be of those days, so an answer quoting one stands."""
    dates = found.dates
    if not route.time.year_given or dates is None or dates.unmatched is None:
        return False
    spans = [date_span(date) for date in quoted]
    return bool(spans) and all(
        span is not None and not dates.unmatched.holds(span) for span in spans
    )


def answer_confidences(policy: AbstainPolicy, quote_weights: Sequence[float]) -> Confidence:
    """An answer's confidence from its evidence (and the quote model's ranking of it, when
    already made): `answerability.answer_confidence` under the policy's floors."""
    floors = (policy.same_language, policy.cross_lingual)

    def confidence(evidence: Evidence, ranking: QuoteRanking | None = None) -> float:
        ranking = ranking or rank_sentences(evidence, quote_weights)
        with stage("answerability"):
            return answer_confidence(evidence, ranking, floors)

    return confidence


def make_answerer(
    policy: AbstainPolicy,
    quote_weights: Sequence[float],
    chat_model: BaseChatModel | None,
    llm_label: str,
) -> Answerer:
    """The LLM answerer when a chat model is given, else the extractive one; both give
    each answer its confidence (`answerability.answer_confidence`)."""
    confidence = answer_confidences(policy, quote_weights)
    if chat_model is not None:
        return LLMAnswerer(chat_model, llm_label, policy, confidence)
    return ExtractiveAnswerer(policy, quote_weights, confidence)


def make_person_answers(policy: AbstainPolicy, quote_weights: Sequence[float]) -> PersonAnswers:
    """Person questions' reading and refusals, with the answerers' quote model and
    confidence."""
    return PersonAnswers(quote_weights, answer_confidences(policy, quote_weights))
