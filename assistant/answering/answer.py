"""What an answer is, whoever writes it: text, numbered citations, checked sentences.

`Answerer` is the one interface of the answering stage; `quoting.ExtractiveAnswerer` (no LLM)
and `llm_answer.LLMAnswerer` implement it, and `support.SupportChecker` checks what either
wrote against the passages it cites. Person questions take one path for both
(`person_answers.py`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Protocol

from assistant.index.store import Hit
from assistant.prompts import load_prompt
from assistant.retrieval.hybrid import DateOutcome, Evidence

if TYPE_CHECKING:
    from assistant.answering.person_answers import PersonStatements

MARKER = re.compile(r"\[(\d+)\]")  # a citation marker, [n]


@dataclass(frozen=True)
class Citation:
    """One quoted sentence (or run of sentences). Offsets index the article's text."""

    n: int
    article_id: str
    title: str
    date: str | None
    source: str
    passage_id: str
    passage: str
    quote: str
    start: int
    end: int
    score: float  # the quote's similarity to the question; higher = closer
    speaker: str | None = None  # whose words the quote is, when it is someone's statement
    page: int | None = None  # the page the quote starts on, for articles with pages (PDF)

    def as_json(self) -> dict:
        shape = {
            "n": self.n,
            "article_id": self.article_id,
            "title": self.title,
            "date": self.date,
            "source": self.source,
            "passage": self.passage,
            "quote": self.quote,
            "start": self.start,
            "end": self.end,
            "score": round(self.score, 4),
        }
        shape |= {"speaker": self.speaker} if self.speaker else {}
        return shape | ({"page": self.page} if self.page is not None else {})


@dataclass(frozen=True)
class AnswerSentence:
    """One sentence of an answer, the passage numbers it cites, and whether they support it."""

    text: str
    citations: tuple[int, ...]
    supported: bool


@dataclass(frozen=True)
class Answer:
    question: str
    text: str
    citations: tuple[Citation, ...]
    abstained: bool
    retrieved: tuple[Hit, ...]  # rank order, best first
    sentences: tuple[AnswerSentence, ...] = ()
    # The chance that the articles answer the question (answerability.py); None when not
    # assessed (no passage retrieved).
    confidence: float | None = None
    # With a refusal: what the articles do say nearest to the question (cited in the text),
    # e.g. what they quote the person asked about on other topics.
    nearest: tuple[Citation, ...] = ()
    # What the text ends with beyond its sentences: for a question about dates, the
    # citations' dates and what the dates left out (`dated_answer`).
    notes: str = ""

    def as_json(self) -> dict:
        """The documented JSON shape shared by the CLI and the web API."""
        return {
            "question": self.question,
            "answer": self.text,
            "abstained": self.abstained,
            "confidence": None if self.confidence is None else round(self.confidence, 3),
            "citations": [c.as_json() for c in self.citations],
            "nearest": [c.as_json() for c in self.nearest],
            "sentences": [
                {"text": s.text, "citations": list(s.citations), "supported": s.supported}
                for s in self.sentences
            ],
            "retrieved": [
                {
                    "article_id": h.article.id,
                    "title": h.article.title,
                    "source": h.article.source,
                    "passage": h.passage.text,
                    "score": round(h.score, 4),
                }
                for h in self.retrieved
            ],
        }


def citation(
    n: int, hit: Hit, start: int, end: int, score: float, speaker: str | None = None
) -> Citation:
    """Citation `n`: the article span [start, end) of `hit`'s passage as the quote."""
    return Citation(
        n=n,
        article_id=hit.article.id,
        title=hit.article.title,
        date=hit.article.date,
        source=hit.article.source,
        passage_id=hit.passage.id,
        passage=hit.passage.text,
        quote=hit.passage.excerpt(start, end),
        start=start,
        end=end,
        score=score,
        speaker=speaker,
        page=hit.article.page_at(start),
    )


def abstention(
    question: str,
    retrieved: list[Hit],
    confidence: float | None = None,
    nearest: tuple[Citation, ...] = (),
) -> Answer:
    """The "the articles don't say" answer: no citations, but what the articles say nearest
    to the question (`nearest`, cited in the text) so the user can rephrase."""
    text = load_prompt("abstain").format(question=question.strip()) + _offered(nearest)
    return Answer(
        question, text, (), True, tuple(retrieved), confidence=confidence, nearest=nearest
    )


def person_not_found(
    question: str,
    name: str,
    retrieved: list[Hit],
    nearest: tuple[Citation, ...] = (),
    no_comment: int = 0,
) -> Answer:
    """The refusal for a question about someone the articles never name; the first
    `no_comment` of `nearest` report that someone did not comment ("Eine Stellungnahme der
    Regierung in Moskau liegt zunächst nicht vor"), the likeliest answer there is."""
    text = load_prompt("person_not_found").format(name=name)
    if no_comment:
        text += " " + load_prompt("no_comment").format(quotes=quoted_text(nearest[:no_comment]))
    text += _offered(nearest[no_comment:])
    return Answer(question, text, (), True, tuple(retrieved), confidence=0.0, nearest=nearest)


def not_on_topic(
    question: str,
    name: str,
    nearest: tuple[Citation, ...],
    theirs: int,
    retrieved: list[Hit],
    confidence: float,
) -> Answer:
    """The refusal for a person the articles quote, but not on what was asked: what they
    do quote them on (the first `theirs` of `nearest`; none when the articles or days
    asked about quote them nowhere), then what the articles say nearest to the question,
    all cited."""
    quotes = quoted_text(nearest[:theirs])
    said = "not_on_topic" if theirs else "not_quoted_then"
    text = load_prompt(said).format(name=name, quotes=quotes).strip()
    text += _offered(nearest[theirs:])
    return Answer(
        question, text, (), True, tuple(retrieved), confidence=confidence, nearest=nearest
    )


def dated_answer(answer: Answer, dates: DateOutcome | None) -> Answer:
    """The answer to a question about dates (`dates` not None) with the date of each
    citation stated after its text ("Dates: [1] 2024-06-12, [2] undated."), and what the
    dates left out: a filter no article is dated in, days named that no article on the
    topic is dated in, undated articles a filter or an order left out. Other answers unchanged."""
    if dates is None:
        return answer
    notes = []
    cited = answer.citations + answer.nearest
    if cited:
        listed = ", ".join(f"[{c.n}] {c.date or 'undated'}" for c in cited)
        notes.append(load_prompt("cited_dates").format(dates=listed).strip())
    if not answer.retrieved and dates.used is not None:
        notes.append(load_prompt("dates_none").format(dates=dates.used.describe()).strip())
    if dates.unmatched is not None:
        named = dates.unmatched.describe()
        notes.append(load_prompt("dates_unmatched").format(dates=named).strip())
    if dates.undated:
        notes.append(load_prompt("undated_left_out").format(count=dates.undated).strip())
    if not notes:
        return answer
    note = " ".join(notes)
    return replace(answer, text=f"{answer.text.rstrip()}\n\n{note}", notes=note)


def _offered(nearest: tuple[Citation, ...]) -> str:
    """ " Nearest to the question, the articles say: “...” [n]" (nothing without quotes)."""
    return " " + load_prompt("nearest").format(quotes=quoted_text(nearest)) if nearest else ""


def quoted_text(citations: tuple[Citation, ...]) -> str:
    """The quotes one after another, each followed by its marker [n]."""
    # A bracketed number inside an article ("cite [9]") would read as a citation marker.
    return " ".join(MARKER.sub(r"(\1)", c.quote) + f" [{c.n}]" for c in citations)


@dataclass(frozen=True)
class AbstainPolicy:
    """When the articles do not answer: no passage reaches the dense-similarity floors (e5
    cosines run higher within a language than across languages, so each case has its own
    floor), or the answer's confidence (answerability.py) is below `min_confidence`.
    """

    same_language: float
    cross_lingual: float
    min_confidence: float = 0.0

    def answers(self, evidence: Evidence, confidence: float | None) -> bool:
        """Whether the evidence answers its question: some passage clears its floor and
        the confidence is high enough."""
        sure = confidence is None or confidence >= self.min_confidence
        return sure and self.any_evidence(evidence)

    def is_evidence(self, hit: Hit, question_language: str) -> bool:
        same = hit.language == question_language
        return hit.dense >= (self.same_language if same else self.cross_lingual)

    def any_evidence(self, evidence: Evidence) -> bool:
        language = evidence.question.language
        return any(self.is_evidence(hit, language) for hit in evidence.hits)


class Answerer(Protocol):
    """Writes an answer from the evidence retrieved for a question.

    A person question comes to `answer_person` only when the person's statements may
    answer it: its refusals are decided before (`person_answers.PersonAnswers.refusal`).
    """

    def answer(
        self,
        question: str,
        evidence: Evidence,
        on_token: Callable[[str], None] | None = None,
    ) -> Answer:
        """The answer to `question` (as the user asked it) from `evidence`; `on_token`
        receives the text piece by piece where it is generated (an LLM)."""
        ...

    def answer_person(self, question: str, statements: PersonStatements) -> Answer:
        """The answer to a person question from the person's statements alone (not
        streamed: words given as someone's are shown only once checked to be theirs)."""
        ...
