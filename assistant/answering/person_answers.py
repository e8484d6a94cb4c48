"""Person questions ("What did X say about Y?") take one path, whichever answerer writes.

Retrieval gives its verdict on the person (`PersonFinding`); here the quote model ranks the
person's statements (`PersonAnswers.read`) and the refusals are decided before any answerer
is called (`PersonAnswers.refusal`): a person the articles never name ("The articles don't
mention X"), and one they quote, but not on this ("... What they do quote X on: ..."). Only
then does an answerer write, from the person's statements alone (`PersonStatements`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from assistant.answering.answer import Answer
from assistant.answering.quoting import (
    QuoteRanking,
    off_topic_refusal,
    rank_sentences,
    unknown_person_refusal,
)
from assistant.fitted import People, fitted
from assistant.index.store import Hit
from assistant.retrieval.hybrid import Evidence, Findings, PersonFinding, PersonVerdict

Confidence = Callable[[Evidence, QuoteRanking | None], float]


@dataclass(frozen=True)
class PersonStatements:
    """A person question's evidence as both answerers see it.

    `finding`: retrieval's verdict on the person; `general`: the usual evidence for the
    whole question (the answer's confidence is read from it, and a refusal reports its
    passages); `evidence`: where the person's statements were looked for (the finding's
    statements, or `general` for a person never named) and `ranking`, its sentences under
    the quote model; `chances`: each sentence's chance of answering, a direct quote's raised
    by `People.direct_quote_bonus` (assistant/fitted/people.json); `own`: the person's
    statements among them (indices into `ranking.sentences`), likeliest first;
    `confidence`: the answer's.
    """

    finding: PersonFinding
    general: Evidence
    evidence: Evidence
    ranking: QuoteRanking
    chances: np.ndarray
    own: list[int]
    confidence: float

    @property
    def name(self) -> str:
        """The person as asked about."""
        return self.finding.name

    def passages(self) -> list[Hit]:
        """The passages holding the person's statements, the likeliest statement's first,
        as many as the usual evidence has (what an LLM is given to write from)."""
        hits: dict[str, Hit] = {}
        for i in self.own:
            hit = self.ranking.sentences[i].hit
            hits.setdefault(hit.passage.id, hit)
        return list(hits.values())[: max(len(self.general.hits), 1)]

    def citable(self) -> dict[tuple[str, int], str]:
        """The person's statements among the evidence's sentences, by (passage id,
        ordinal), each with the speaker it is given to: the only sentences an answer may
        give as the person's words."""
        statements = self.evidence.statements
        if statements is None:
            return {}
        return {
            (hit.passage.id, ordinal): said.speaker
            for hit in self.evidence.hits
            for ordinal, (start, _) in enumerate(hit.passage.sentences)
            if (said := statements.statement_at(hit.article.id, start)) and said.voices(self.name)
        }


class PersonAnswers:
    """Reads a person question's findings and decides its refusals, for every answerer.

    `quote_weights`: each dense model's weight in the quote model (as the extractive
    answerer's); `confidence`: an answer's confidence from evidence (and its ranking).
    """

    def __init__(self, quote_weights: Sequence[float], confidence: Confidence) -> None:
        self.quote_weights = quote_weights
        self.confidence = confidence

    def read(self, found: Findings) -> PersonStatements:
        """The person's statements among the findings, ranked (`found.person` is set)."""
        finding = found.person
        evidence = found.evidence if finding.statements is None else finding.statements
        ranking = rank_sentences(evidence, self.quote_weights)
        own = [i for i, s in enumerate(ranking.said) if s and s.voices(finding.name)]
        direct = np.array([fitted(People).direct_quote_bonus * d for d in ranking.direct])
        chances = 1.0 / (1.0 + np.exp(-(ranking.logits + direct)))
        order = sorted(own, key=lambda i: -chances[i])
        unknown = finding.verdict is PersonVerdict.UNKNOWN
        confidence = 0.0 if unknown else self.confidence(found.evidence, None)
        return PersonStatements(
            finding, found.evidence, evidence, ranking, chances, order, confidence
        )

    def refusal(self, question: str, statements: PersonStatements) -> Answer | None:
        """The refusal a person question gets whoever answers, or None when the person's
        statements may answer it: the articles never name the person, or they quote the
        person on other topics only (or in no sentence worth quoting)."""
        verdict = statements.finding.verdict
        if verdict is PersonVerdict.UNKNOWN:
            return unknown_person_refusal(question, statements)
        if verdict is PersonVerdict.OFF_TOPIC or not statements.own:
            return off_topic_refusal(question, statements)
        return None
