"""Follow-ups made standalone without an LLM, in every article language: a pronoun, a
possessive or an ellipsis carries the previous turn's person and topic; a new name replaces
the person, a new topic keeps it. The conversations are invented."""

from __future__ import annotations

import pytest

from assistant.language.detection import detect_language
from assistant.question.answer_types import answer_type
from assistant.question.follow_ups import follow_up_answer_type, standalone_query
from assistant.speech.statement_index import StatementIndex


def _history(question: str, answer: str = "...") -> list[dict]:
    return [{"role": "user", "content": question}, {"role": "assistant", "content": answer}]


@pytest.mark.parametrize(
    ("previous", "follow_up", "standalone"),
    [
        # A pronoun and no topic of its own: the person and the previous topic.
        (
            "What did Olsen say about the harbour tax?",
            "And what did she say afterwards?",
            "And what did Olsen say afterwards? about the harbour tax?",
        ),
        (
            "Was sagte Kowalczyk über die Brückenmaut?",
            "Und was meinte sie danach?",
            "Und was meinte Kowalczyk danach? über die Brückenmaut?",
        ),
        # An inverted French subject: "a-t-elle dit".
        (
            "Qu'a dit Claire Dumont de la réforme des retraites ?",
            "Et qu'a-t-elle dit de l'assurance chômage ?",
            "Et qu'a Claire Dumont dit de l'assurance chômage ?",
        ),
        # No subject at all, as Italian, Spanish and Portuguese ask: after the verb.
        (
            "Cosa ha detto Marco Bellini sulle tasse?",
            "E cosa ha detto sulle pensioni?",
            "E cosa ha detto Marco Bellini sulle pensioni?",
        ),
        (
            "O que disse Ana Ribeiro sobre o orçamento?",
            "E o que disse sobre a saúde?",
            "E o que disse Ana Ribeiro sobre a saúde?",
        ),
        (
            "¿Qué dijo Lucía Ortega sobre la vivienda?",
            "¿Y qué dijo después?",
            "¿Y qué dijo Lucía Ortega después? sobre la vivienda?",
        ),
        # A new name and no topic of its own: the previous question asked about them.
        (
            "Qu'a dit Claire Dumont de la réforme des retraites ?",
            "Et Lemaire ?",
            "Qu'a dit Lemaire de la réforme des retraites ?",
        ),
        (
            "Cosa ha detto Marco Bellini sulle tasse?",
            "E Rossi?",
            "Cosa ha detto Rossi sulle tasse?",
        ),
        (
            "O que disse Ana Ribeiro sobre o orçamento?",
            "E o Tavares?",
            "O que disse Tavares sobre o orçamento?",
        ),
        # A new topic only: the previous person, asked about it.
        (
            "¿Qué dijo Lucía Ortega sobre la vivienda?",
            "¿Y sobre los alquileres?",
            "¿Qué dijo Lucía Ortega ¿Y sobre los alquileres?",
        ),
    ],
)
def test_a_follow_up_carries_the_previous_person_and_topic(previous, follow_up, standalone):
    assert standalone_query(follow_up, _history(previous)) == standalone


def test_a_pronoun_stands_for_the_person_the_answer_named_when_the_question_named_none():
    history = _history(
        "Wer gewann die Bürgermeisterwahl in Kassel?", "Jonas Weber, mit 54 Prozent."
    )
    standalone = standalone_query("Und was sagte er danach?", history)
    assert standalone.startswith("Und was sagte Jonas Weber danach?")


def test_a_question_of_its_own_keeps_its_kind_and_is_not_asked_of_the_previous_person(
    statements: StatementIndex,
):
    # "Who did she tell?" after "When did she resign?" asks for a person, not a date; "When
    # does the council meet?" after "What did Weber say?" asks for no one's words.
    previous = "¿Cuándo dimitió Rosa Almeida del consejo?"
    standalone = standalone_query("¿Y a quién se lo dijo?", _history(previous))
    assert standalone == "¿Y a quién se lo dijo? ¿Cuándo dimitió Rosa Almeida del consejo?"
    assert follow_up_answer_type("¿Y a quién se lo dijo?", standalone) != "date"
    follow_up = "Und wann tritt der neue Stadtrat zusammen?"
    # With the articles' names at hand, "Stadtrat" is no new person asked about.
    history = _history("Was sagte Rubio nach dem Treffen?")
    standalone = standalone_query(follow_up, history, statements)
    assert standalone == f"{follow_up} Was Rubio nach dem Treffen?"
    assert follow_up_answer_type(follow_up, standalone) == "date"


def test_an_ellipsis_asks_for_the_previous_kind_of_answer():
    standalone = standalone_query(
        "And in Oslo?", _history("How long did the strike in Bergen last?")
    )
    assert follow_up_answer_type("And in Oslo?", standalone) == "duration"


@pytest.mark.parametrize(
    ("previous", "question"),
    [
        # French "en" is no pronoun in Spanish; "Y a-t-il" opens no Spanish follow-up.
        (
            "¿Qué dijo Lucía Ortega sobre la vivienda?",
            "¿Qué dijo Feijóo en el Congreso sobre el agua?",
        ),
        ("Qu'a dit Claire Dumont de la réforme ?", "Y a-t-il eu des grèves à Lyon en mars 2024 ?"),
        ("What did Olsen say about the harbour tax?", "What did Brandt say about the rail strike?"),
    ],
)
def test_a_question_of_its_own_stays_as_asked(previous, question):
    assert standalone_query(question, _history(previous)) == question


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("O que disse Ana Ribeiro sobre quanto tempo vai durar a obra?", None),
        ("Cosa ha detto Marco Bellini su quanto costerà il ponte?", None),
        ("Quanto tempo vai durar a obra?", "duration"),
        ("When did Olsen say the bridge would open?", "date"),
    ],
)
def test_a_type_word_after_the_verb_of_saying_is_the_topic(question, kind):
    assert answer_type(question, detect_language(question)) == kind
