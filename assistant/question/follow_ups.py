"""Making a follow-up question standalone for retrieval, with or without an LLM."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from assistant.language.detection import detect_language
from assistant.language.lexicon import languages, lexicon
from assistant.language.tokens import stopwords
from assistant.models.llm import call_llm
from assistant.prompts import load_prompt
from assistant.question.answer_types import answer_type
from assistant.question.person import asks_what_said
from assistant.speech.names import NameRun, after_preposition, is_place, name_runs

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

    from assistant.speech.statement_index import StatementIndex

Message = dict  # {"role": "user" | "assistant", "content": str}, as Gradio and OpenAI use

# The patterns the language files' words are read with (`Lexicon.regex`), in any case:
# openers of follow-ups that lean on the previous question ("And the G7?", "¿Y sobre ...?"),
# pronouns that do, and those that stand for the person a conversation is about, as a
# sentence's subject (with the hyphen of an inverted French subject: "a-t-il dit").
_FOLLOW_UP_OPENERS = r"^[\W_]*({questions.follow_up_openers})(?!\w)"
_PRONOUNS = r"(?<!\w)({questions.follow_up_pronouns})(?!\w)"
_PERSONAL = r"(?:{questions.inverted_pronoun_joiners})?(?<!\w)({questions.person_pronouns})(?!\w)"
# Every opener at the start ("And what about ...?"), and question words anywhere.
_OPENERS_RUN = r"^[\W_]*(?:(?:{questions.follow_up_openers})(?!\w)[\W_]*)*"
_QUESTION_WORDS = r"(?<!\w)(?:{questions.question_words})(?!\w)"
_IMPERSONAL = r"(?<!\w)(?:{questions.impersonal})(?!\w)"
_SHORT_QUESTION_WORDS = 5
# The words of a follow-up that name no topic of its own: the question's frame.
_FRAME_KEYS = (
    "questions.what_said", "questions.speech_verbs", "questions.loose_verbs",
    "questions.loose_auxiliaries", "questions.follow_up_openers",
    "questions.follow_up_pronouns", "questions.person_pronouns", "questions.possessives",
    "questions.back_references", "questions.and", "questions.question_words",
    "names.not_names",
)  # fmt: skip
_WORD = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True)
class _Turn:
    """The previous question: its text and language, the person it is about (as written in
    it, if there) and where its topic starts."""

    text: str
    language: str
    person: str | None
    run: NameRun | None  # the person's name in `text`, if they are named there
    topic_start: int  # `text[topic_start:]`: what the person was asked about

    @property
    def topic(self) -> str:
        return self.text[self.topic_start :].strip()

    def with_person(self, name: str) -> str:
        """The previous question asked about someone else."""
        assert self.run is not None
        return self.text[: self.run.start] + name + self.text[self.run.end :]


def standalone_question(
    question: str,
    history: Sequence[Message],
    chat_model: BaseChatModel | None = None,
    llm_label: str = "",
    statements: StatementIndex | None = None,
) -> str:
    """What to search for: the question itself, or a follow-up made standalone, by the LLM
    when there is one, else by `standalone_query`."""
    if history and chat_model is not None:
        return condense_question(question, list(history), chat_model, llm_label)
    return standalone_query(question, history, statements)


def standalone_query(
    question: str, history: Sequence[Message] | None, statements: StatementIndex | None = None
) -> str:
    """The question made standalone without an LLM, when it reads as a follow-up (short,
    opening like "And ...?" / "¿Y ...?" or leaning on a pronoun). The previous turn's
    person is the one its question names, else the one its answer names (with
    `statements`, someone the articles name is preferred over any capitalised word).

    - A subject pronoun stands for that person ("And what did she say about the budget?"
      after "What did Olsen say ...?"); a question without a topic of its own keeps the
      previous one ("Und was meinte sie danach?").
    - A new person and no topic of their own: the previous question asked about them ("Et
      Lemaire ?", "And what did Brandt say?").
    - Asking what was said without naming anyone (as Italian, Spanish and Portuguese do:
      "E cosa ha detto sulle pensioni?"): the person is put after the verb.
    - A new topic only ("And what about steel prices?", "¿Y sobre los alquileres?"): the
      previous question's frame, up to its person and verb, with the new topic.
    - A question of its own ("¿Y a quién se lo dijo?", "Und wann tagt der Rat?"): the
      question first, then the previous one's words as context, less its asking verb (so
      that it is not read as asking what the previous person said).
    """
    previous_text = _last_message(history, "user")
    if previous_text is None:
        return question
    language = detect_language(previous_text)
    asked_in = detect_language(question)
    if asked_in not in languages():  # short questions are often read as a neighbour
        asked_in = language
    if not _is_follow_up(question, asked_in):
        return question
    answer = _last_message(history, "assistant")
    previous = _previous_turn(previous_text, language, answer, statements)
    words = lexicon(asked_in)
    new_people = [
        r
        for r in name_runs(question, asked_in)
        if _person_like(r, asked_in) and (statements is None or statements.mentions(r.short()))
    ]
    own_topic = _has_own_topic(question, asked_in, language)
    personal = _person_pronoun(question, asked_in)
    said = asks_what_said(question, asked_in)
    if personal and previous.person:
        name = _spaced(personal, previous.person)
        replaced = question[: personal.start()] + name + question[personal.end() :]
        return replaced if own_topic else f"{replaced} {previous.topic}"
    if new_people and not own_topic and previous.run is not None:
        return previous.with_person(new_people[0].short())
    pronoun = words.regex(_PRONOUNS, re.I).search(_personal(question, asked_in))
    if said and previous.person and not new_people and not pronoun:
        inserted = f"{question[: said.end()]} {previous.person}{question[said.end() :]}"
        return inserted if own_topic else f"{inserted} {previous.topic}"
    if new_people and own_topic and not pronoun:
        return question  # a question of its own about someone else
    if _is_elliptic(question, asked_in):
        return f"{previous.text[: _frame_end(previous)]} {question}"
    return f"{question} {_context(previous)}"


def follow_up_answer_type(question: str, standalone: str) -> str | None:
    """The kind of answer a follow-up asks for (`answer_types.answer_type`): its own; the
    previous question's only when it asks no question of its own ("And in Germany?" after
    "How long ...?"), not when it asks another ("¿Y a quién ...?" after "¿Cuándo ...?")."""
    asked_in = detect_language(question)
    own = answer_type(question, asked_in)
    words = lexicon(asked_in)
    rest = question[words.regex(_OPENERS_RUN, re.I).match(question).end() :]
    if own or words.regex(_QUESTION_WORDS, re.I).search(rest):
        return own
    return answer_type(standalone, detect_language(standalone))


def _spaced(pronoun: re.Match, name: str) -> str:
    """The name in the pronoun's place; an inverted pronoun's hyphen becomes a space."""
    return name if pronoun.start() == pronoun.start(1) else f" {name}"


def _last_message(history: Sequence[Message] | None, role: str) -> str | None:
    for message in reversed(history or []):
        if message.get("role") == role and str(message.get("content", "")).strip():
            return str(message["content"]).strip()
        if role == "assistant" and message.get("role") == "user":
            return None  # the answer to the previous question only
    return None


def _is_follow_up(question: str, language: str) -> bool:
    words = lexicon(language)
    return (
        len(question.split()) <= _SHORT_QUESTION_WORDS
        or bool(words.regex(_FOLLOW_UP_OPENERS, re.I).match(question))
        or bool(words.regex(_PRONOUNS, re.I).search(_personal(question, language)))
        or _person_pronoun(question, language) is not None
    )


def _person_pronoun(question: str, language: str) -> re.Match | None:
    """The first subject pronoun standing for a person."""
    return lexicon(language).regex(_PERSONAL, re.I).search(_personal(question, language))


def _personal(question: str, language: str) -> str:
    """The question with its impersonal phrases ("Y a-t-il ...?") blanked out, at the same
    offsets: their pronouns stand for no one."""
    impersonal = lexicon(language).regex(_IMPERSONAL, re.I)
    return impersonal.sub(lambda found: " " * len(found.group()), question)


def _person_like(run: NameRun, language: str) -> bool:
    """Whether a capitalised run may be a person: not a place, a body after an article ("the
    G7", "el CNE", but "o Tavares") or anything after a preposition ("about Norway")."""
    words = lexicon(language)
    before = run.preceding.lower()
    return not (
        is_place(run.short(), language)
        or after_preposition(run, language)
        or (
            before in words.words("names.determiners")
            and before not in words.own.words("names.articles_before_names")
        )
    )


def _previous_turn(
    text: str, language: str, answer: str | None, statements: StatementIndex | None
) -> _Turn:
    """The previous question with the person it is about: the first person named in it,
    else in its answer ("A Nicolás Maduro." answers "¿A quién ...?", so any name there that
    is no place); with `statements`, the first of them the articles name, if any."""
    asked = [r for r in name_runs(text, language) if _person_like(r, language)]
    answered: list[NameRun] = []
    if answer:
        in_answer = detect_language(answer)
        answered = [r for r in name_runs(answer, in_answer) if not is_place(r.short(), in_answer)]
    candidates = (*asked, *answered)
    known = [r for r in candidates if statements is not None and statements.mentions(r.short())]
    run = next(iter(known or candidates), None)
    in_question = run is not None and any(run is r for r in asked)
    said = asks_what_said(text, language)
    topic_start = max(said.end() if said else 0, run.end if run and in_question else 0)
    person = run.short() if run is not None else None
    return _Turn(text, language, person, run if in_question else None, topic_start)


def _has_own_topic(question: str, asked_in: str, language: str) -> bool:
    """Whether the question names something beyond its frame (question words, the verb of
    saying, pronouns, words pointing back such as "danach", the people it names)."""
    frame = {w.lower() for key in _FRAME_KEYS for w in lexicon(asked_in).words(key)}
    frame |= stopwords(asked_in) | stopwords(language)
    people = [r for r in name_runs(question, asked_in) if _person_like(r, asked_in)]
    frame |= {w.lower() for r in people for w in r.words}
    return any(w.lower() not in frame for w in _WORD.findall(question))


def _is_elliptic(question: str, language: str) -> bool:
    """A follow-up that asks nothing of its own: openers and a topic ("And what about steel
    prices?", "¿Y sobre los alquileres?"), with no question word, verb of saying or kind of
    answer after them."""
    words = lexicon(language)
    opened = words.regex(_OPENERS_RUN, re.I).match(question)
    if opened is None or not opened.group().strip(" ,¿¡"):
        return False
    rest = question[opened.end() :]
    return not (
        words.regex(_QUESTION_WORDS, re.I).search(rest)
        or asks_what_said(rest, language)
        or answer_type(rest, language)
    )


def _frame_end(previous: _Turn) -> int:
    """Where the previous question's frame (its question words, person and verb) ends."""
    said = asks_what_said(previous.text, previous.language)
    if said is None:
        return len(previous.text)
    return max(said.end(), previous.run.end if previous.run else 0)


def _context(previous: _Turn) -> str:
    """The previous question's words without its verb of saying: what a follow-up with a
    question of its own is about, not asked what the previous person said."""
    said = asks_what_said(previous.text, previous.language)
    if said is None:
        return previous.text
    return " ".join(f"{previous.text[: said.start()]} {previous.text[said.end() :]}".split())


def condense_question(
    question: str, history: list[dict], chat_model: BaseChatModel, llm_label: str
) -> str:
    """Have the LLM rewrite a follow-up as a standalone question (for retrieval)."""
    from langchain_core.messages import HumanMessage  # with an LLM only

    lines = [f"{m.get('role', 'user')}: {m.get('content', '')}" for m in history[-6:]]
    prompt = load_prompt("condense").format(history="\n".join(lines), question=question)
    return call_llm(chat_model, [HumanMessage(prompt)], llm_label).strip() or question
