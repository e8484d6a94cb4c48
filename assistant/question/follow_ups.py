"""Making a follow-up question standalone for retrieval, with or without an LLM."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from langchain_core.messages import HumanMessage

from assistant.language.detection import detect_language
from assistant.language.lexicon import lexicon
from assistant.models.llm import call_llm
from assistant.prompts import load_prompt
from assistant.question.person import asks_what_said
from assistant.speech.names import name_runs

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

Message = dict  # {"role": "user" | "assistant", "content": str}, as Gradio and OpenAI use

# The patterns the language files' words are read with (`Lexicon.regex`), in any case:
# openers of follow-ups that lean on the previous question ("And the G7?", "Und Waltz?"),
# pronouns that do, and those that stand for the person a conversation is about, as a
# sentence's subject.
_FOLLOW_UP_OPENERS = r"^\s*({questions.follow_up_openers})\b"
_PRONOUNS = r"\b({questions.follow_up_pronouns})\b"
_PERSONAL = r"\b({questions.person_pronouns})\b"
_SHORT_QUESTION_WORDS = 5


def standalone_question(
    question: str,
    history: Sequence[Message],
    chat_model: BaseChatModel | None = None,
    llm_label: str = "",
) -> str:
    """What to search for: the question itself, or a follow-up made standalone, by the LLM
    when there is one, else by `standalone_query`."""
    if history and chat_model is not None:
        return condense_question(question, list(history), chat_model, llm_label)
    return standalone_query(question, history)


def standalone_query(question: str, history: Sequence[Message] | None) -> str:
    """The question made standalone without an LLM, when it reads as a follow-up (short,
    opening like "And ...?" or leaning on a pronoun):

    - a pronoun stands for the person the previous question was about ("And what did he
      say about fossil fuels?" after "What did Guterres say ...?");
    - a new person asked about on the previous topic takes the previous person's place
      ("Et qu'en a dit Pedro Sánchez ?" after "Qu'a dit François Bayrou de l'accord ...?");
    - a new topic for the previous person keeps the person ("And what about Iran?" after
      "What did Rubio say about Gaza?" searches "What did Rubio say ... Iran?");
    - anything else is searched with the previous question before it.
    """
    previous = _last_user_message(history)
    if previous is None:
        return question
    asked_in = detect_language(question)
    if not _is_follow_up(question, asked_in):
        return question
    language = detect_language(previous)
    before = name_runs(previous, language)
    if not before:
        return f"{previous} {question}"
    person = before[0]
    now = name_runs(question, asked_in)
    personal = lexicon(asked_in).regex(_PERSONAL, re.I)
    if personal.search(question):
        return personal.sub(person.short(), question, count=1)
    if now and asks_what_said(question, asked_in):
        return previous[: person.start] + now[0].short() + previous[person.end :]
    said = asks_what_said(previous, language)
    if said is not None:
        return previous[: max(said.end(), person.end)] + " " + question
    return f"{previous} {question}"


def _last_user_message(history: Sequence[Message] | None) -> str | None:
    for message in reversed(history or []):
        if message.get("role") == "user" and str(message.get("content", "")).strip():
            return str(message["content"]).strip()
    return None


def _is_follow_up(question: str, language: str) -> bool:
    words = lexicon(language)
    return (
        len(question.split()) <= _SHORT_QUESTION_WORDS
        or bool(words.regex(_FOLLOW_UP_OPENERS, re.I).match(question))
        or bool(words.regex(_PRONOUNS, re.I).search(question))
    )


def condense_question(
    question: str, history: list[dict], chat_model: BaseChatModel, llm_label: str
) -> str:
    """Have the LLM rewrite a follow-up as a standalone question (for retrieval)."""
    lines = [f"{m.get('role', 'user')}: {m.get('content', '')}" for m in history[-6:]]
    prompt = load_prompt("condense").format(history="\n".join(lines), question=question)
    return call_llm(chat_model, [HumanMessage(prompt)], llm_label).strip() or question
