"""What a question is, decided once before anything is retrieved: the standalone question
that is searched for, its language, the kind of answer it asks for, and whether its answer
must be someone's own words. Retrieval and both answerers read the same `Route`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from assistant.ingest.dates import DateRange
from assistant.language.detection import detect_language
from assistant.question.answer_types import answer_type
from assistant.question.dates import TimeIntent, read_time
from assistant.question.follow_ups import Message, follow_up_answer_type, standalone_question
from assistant.question.person import (
    PersonQuestion,
    read_person_question,
    read_view_change_question,
)
from assistant.speech.statement_index import StatementIndex

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel


@dataclass(frozen=True)
class Route:
    """A question as every later stage needs it.

    `asked`: the question as the user asked it (what answers repeat); `text`: the question
    made standalone (what is searched for); `language`: `text`'s ISO 639-1 code;
    `answer_type`: the kind of answer asked for (`answer_types.answer_type`; of a
    follow-up, `follow_ups.follow_up_answer_type`), if any;
    `person`: for a person question ("What did X say about Y?"), who is asked about, when
    the answer must be that person's words (the articles quote someone of that name) or a
    refusal (they never name them); `view_change`: the question asks how the person's view
    changed ("How has X's position on Y changed?"), answered with the person's statements
    on the topic by date (`person.topic`: the topic); `time`: the days the question names,
    the order it asks for and the date filter it is asked with (`dates.TimeIntent`);
    `articles`: the ids of the articles it is asked of (`sources.choose_articles`; None:
    all).
    """

    asked: str
    text: str
    language: str
    answer_type: str | None = None
    person: PersonQuestion | None = None
    view_change: bool = False
    time: TimeIntent = field(default_factory=TimeIntent)
    articles: frozenset[str] | None = None


def route_question(
    question: str,
    history: Sequence[Message],
    statements: StatementIndex,
    chat_model: BaseChatModel | None = None,
    llm_label: str = "",
    as_of: dt.date | None = None,
    dates: DateRange | None = None,
    articles: frozenset[str] | None = None,
) -> Route:
    """The route of `question`: made standalone with `history` (by the LLM when
    `chat_model` is given), its language, answer type and time intent read (relative
    dates against `as_of`, default today; `dates`: the filter it is asked with), and any
    person asked about looked up among the people `statements` quotes and names in the
    `articles` it is asked of (None: all).

    Raises:
        LLMError: the chat model failed while making a follow-up standalone.
    """
    text = standalone_question(question, history, chat_model, llm_label, statements)
    statements = statements.only(articles)
    language = detect_language(text)
    changed = read_view_change_question(text, language, statements)
    person = changed or read_person_question(text, language, statements)
    if person is not None and person.mentioned and not person.quoted:
        # The articles name the person but quote no one of that name: what they say about
        # the person is the best answer there is, found as for any question.
        person = None
    same = text == question
    kind = answer_type(text, language) if same else follow_up_answer_type(question, text)
    view_change = person is not None and person is changed
    time = read_time(text, language, as_of, dates)
    return Route(question, text, language, kind, person, view_change, time, articles)
