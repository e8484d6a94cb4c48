"""What kind of answer a question wants (a duration, an amount, a date, a place, a person, a
photo credit) and whether a sentence holds one, in the language files' languages.

"How long is the proposed ceasefire?" wants "einer 30-tägigen Waffenruhe", not a sentence
about the ceasefire that names no length.
"""

from __future__ import annotations

import re

from assistant.language.lexicon import lexicon
from assistant.question.person import asks_what_said
from assistant.speech.names import mentions_place

# Question openings per answer type, and what a sentence holding that type contains: the
# patterns the language files' words are read with (`Lexicon.regex`), all in any case.
_TYPES: dict[str, tuple[str, str]] = {
    "duration": (r"\b({questions.duration})\b", r"\d+[\s\-]*(?:{answers.units})\b"),
    # Numbers written as words too: "mehr als tausend Interessenvertretern".
    "amount": (r"\b({questions.amount})\b", r"\d|\b(?:{answers.number_words})\b"),
    "date": (
        r"\b({questions.date})\b",
        r"\b(?:1[89]\d\d|20\d\d|{answers.months}|{answers.days})\b|\d+\.\s?\d+\.",
    ),
    "credit": (r"\b({questions.credit})\w*", r"^\W*(?:{answers.credit_lines})\s*:"),
}
_ASKS_PERSON = r"^\W*(?:(?:{questions.and})\s+)?(?:{questions.person})\b"  # "And who ...?"
_ASKS_PLACE = r"\b(?:{questions.place})\b"
# "Who published it?" asks for the agent: "Veröffentlicht wurde die Erklärung von der
# Ukraine", "was designed by Gustave Eiffel". The agent of a passive sentence, per language:
# the passive's auxiliary, and "by"/"von"/"por"/"par" before a capitalised word.
_PASSIVE = r"\b(?:{answers.passive_auxiliaries})\b"
_AGENT = r"\b(?:{answers.passive_agent})"
# A place after a preposition: "in Dschidda", "at Kabul", "à Paris".
_AT_PLACE = r"\b(?:{answers.place_prepositions})\s+[A-ZÄÖÜÁÉÍÓÚÑ]\w"


def holds_agent(sentence: str, language: str) -> bool:
    """Whether the sentence names who did something in the passive ("... von der Ukraine")."""
    return any(
        words.regex(_PASSIVE, re.I).search(sentence) and words.regex(_AGENT).search(sentence)
        for words in lexicon(language).by_language
    )


def holds_place(sentence: str, language: str) -> bool:
    """Whether the sentence names a country or region, or a capitalised word after "in",
    "at", "bei", ... ("in Dschidda")."""
    return mentions_place(sentence, language) or bool(
        lexicon(language).regex(_AT_PLACE).search(sentence)
    )


# The kinds a passage can be told by: almost every passage names a person or a place.
PASSAGE_TYPES = frozenset(_TYPES)


def answer_type(question: str, language: str) -> str | None:
    """The kind of answer the question (in `language`, ISO 639-1) asks for, if it asks for
    one of the known kinds."""
    words = lexicon(language)
    # What follows the verb of a question asking what someone said is its topic: "O que
    # disse a ministra sobre quanto tempo vai durar a obra?" asks for her words, not a
    # duration; "When did Olsen say ...?" asks for a date.
    said = asks_what_said(question, language)
    question = question[: said.start()] if said else question
    for kind, (asks, _) in _TYPES.items():
        if words.regex(asks, re.I).search(question):
            return kind
    if words.regex(_ASKS_PERSON, re.I).search(question):
        return "person"
    if words.regex(_ASKS_PLACE, re.I).search(question):
        return "place"
    return None


def holds_type(kind: str | None, sentence: str, language: str) -> bool:
    """Whether the sentence (in `language`) holds an answer of that kind (a number of days,
    a date, ...)."""
    if kind == "person":
        return holds_agent(sentence, language)
    if kind == "place":
        return holds_place(sentence, language)
    if kind is None:
        return False
    return bool(lexicon(language).regex(_TYPES[kind][1], re.I).search(sentence))


def is_credit_line(sentence: str, language: str) -> bool:
    """A photo credit or source line ("(Quelle: Saul Loeb)"): too short to quote for most
    questions, but the answer to who took the picture."""
    return holds_type("credit", sentence, language)
