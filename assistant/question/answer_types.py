"""What kind of answer a question wants (a duration, an amount, a date, a place, a person, a
photo credit) and whether a sentence holds one, in English, German, Spanish and French.

"How long is the proposed ceasefire?" wants "einer 30-tägigen Waffenruhe", not a sentence
about the ceasefire that names no length.
"""

from __future__ import annotations

import re

from assistant.speech.names import mentions_place

_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "januar|februar|märz|mai|juni|juli|oktober|dezember|enero|febrero|marzo|abril|mayo|junio|"
    "julio|agosto|septiembre|octubre|noviembre|diciembre|janvier|février|mars|avril|juin|"
    "juillet|août|septembre|octobre|novembre|décembre"
)
_DAYS = (
    "monday|tuesday|wednesday|thursday|friday|saturday|sunday|montag|dienstag|mittwoch|"
    "donnerstag|freitag|samstag|sonntag|lunes|martes|miércoles|jueves|viernes|sábado|domingo|"
    "lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche"
)
_UNITS = (
    r"tägig\w*|tage?n?|day|days|weeks?|wochen?|months?|monate?n?|monats|years?|jahre?n?|"
    r"jährig\w*|hours?|stunden?|minutes?|minuten?|días?|semanas?|mes|meses|años?|jours?|"
    r"semaines?|mois|ans?|heures?"
)

# Numbers written as words: "mehr als tausend Interessenvertretern", "a dozen countries".
_NUMBER_WORDS = (
    r"two|three|four|five|six|seven|eight|nine|ten|dozens?|hundreds?|thousands?|millions?|"
    r"billions?|zwei|drei|vier|fünf|sechs|sieben|acht|neun|zehn|dutzend\w*|hundert\w*|"
    r"tausend\w*|million\w*|milliarde\w*|dos|tres|cuatro|cinco|seis|siete|ocho|nueve|"
    r"diez|docena|cien|cientos|mil|millones|deux|trois|quatre|cinq|sept|huit|neuf|dix|"
    r"douzaine|cent|mille|milliers|milliards?"
)

# Question openings per answer type, and what a sentence holding that type contains.
_TYPES: dict[str, tuple[re.Pattern, re.Pattern]] = {
    "duration": (
        re.compile(
            r"\b(how long|for how many|wie lange|cuánto tiempo|cuánto dura|combien de temps|"
            r"quelle durée|pendant combien)\b",
            re.IGNORECASE,
        ),
        re.compile(rf"\d+[\s\-]*(?:{_UNITS})\b", re.IGNORECASE),
    ),
    "amount": (
        re.compile(
            r"\b(how much|how many|wie viel|wie viele|wie hoch|cuánto|cuántos|cuántas|combien|"
            r"what share|what percentage|welcher anteil)\b",
            re.IGNORECASE,
        ),
        re.compile(rf"\d|\b(?:{_NUMBER_WORDS})\b", re.IGNORECASE),
    ),
    "date": (
        re.compile(r"\b(when|what year|wann|seit wann|cuándo|quand)\b", re.IGNORECASE),
        re.compile(rf"\b(?:1[89]\d\d|20\d\d|{_MONTHS}|{_DAYS})\b|\d+\.\s?\d+\.", re.IGNORECASE),
    ),
    "credit": (
        re.compile(
            r"\b(photo|picture|image|foto|bild|fotografiert|photographed|credit|imagen)\w*",
            re.IGNORECASE,
        ),
        re.compile(
            r"^\W*(?:quelle|foto|fotos|bild|photo|photos|credit|source|fuente|crédits?|image)\s*:",
            re.IGNORECASE,
        ),
    ),
}

# "Who published it?" asks for the agent: "Veröffentlicht wurde die Erklärung von der
# Ukraine", "was designed by Gustave Eiffel". The agent of a passive sentence, per language:
# the passive's auxiliary, and "by"/"von"/"por"/"par" before a capitalised word.
_PASSIVE_AGENT = (
    (re.compile(r"\b(?:was|were|been|is|are|be|being)\b", re.I),
     re.compile(r"\bby\s+(?:the\s+)?[A-Z]")),
    (re.compile(r"\b(?:wurde|wurden|worden|wird|werden)\b", re.I),
     re.compile(r"\bvon\s+(?:der\s+|dem\s+|den\s+)?[A-ZÄÖÜ]")),
    (re.compile(r"\b(?:fue|fueron|sido|es|son|será)\b", re.I),
     re.compile(r"\bpor\s+(?:el\s+|la\s+|los\s+|las\s+)?[A-ZÁÉÍÓÚÑ]")),
    (re.compile(r"\b(?:été|est|sont|fut|sera)\b", re.I),
     re.compile(r"\bpar\s+(?:le\s+|la\s+|les\s+|l['\u2019])?[A-ZÀ-Ý]")),
)  # fmt: skip
_ASKS_PERSON = re.compile(
    r"^\W*(?:(?:and|und|y|et)\s+)?(?:who|whom|by whom|wer|wem|wen|von wem|quién|quiénes|qui)\b",
    re.IGNORECASE,
)
_ASKS_PLACE = re.compile(
    r"\b(?:where|wo|woher|wohin|dónde|adónde|où)\b|\b(?:in|at) (?:which|what) (?:city|country|"
    r"town|state|region|place)\b|\bin welche[mr]? (?:stadt|land|region|ort)\b|\ben qué "
    r"(?:ciudad|país|lugar)\b|\bdans quel(?:le)? (?:ville|pays|région)\b",
    re.IGNORECASE,
)
# A place after a preposition: "in Dschidda", "at Kabul", "à Paris".
_AT_PLACE = re.compile(
    r"\b(?:in|at|near|bei|nahe|nach|en|à|au|aux|dans|from|aus)\s+[A-ZÄÖÜÁÉÍÓÚÑ]\w"
)


def holds_agent(sentence: str) -> bool:
    """Whether the sentence names who did something in the passive ("... von der Ukraine")."""
    return any(aux.search(sentence) and agent.search(sentence) for aux, agent in _PASSIVE_AGENT)


def holds_place(sentence: str) -> bool:
    """Whether the sentence names a country or region, or a capitalised word after "in",
    "at", "bei", ... ("in Dschidda")."""
    return mentions_place(sentence) or bool(_AT_PLACE.search(sentence))


# The kinds a passage can be told by: almost every passage names a person or a place.
PASSAGE_TYPES = frozenset(_TYPES)


def answer_type(question: str) -> str | None:
    """The kind of answer the question asks for, if it asks for one of the known kinds."""
    for kind, (asks, _) in _TYPES.items():
        if asks.search(question):
            return kind
    if _ASKS_PERSON.search(question):
        return "person"
    if _ASKS_PLACE.search(question):
        return "place"
    return None


def holds_type(kind: str | None, sentence: str) -> bool:
    """Whether the sentence holds an answer of that kind (a number of days, a date, ...)."""
    if kind == "person":
        return holds_agent(sentence)
    if kind == "place":
        return holds_place(sentence)
    return kind is not None and bool(_TYPES[kind][1].search(sentence))


def is_credit_line(sentence: str) -> bool:
    """A photo credit or source line ("(Quelle: Saul Loeb)"): too short to quote for most
    questions, but the answer to who took the picture."""
    return bool(_TYPES["credit"][1].search(sentence))
