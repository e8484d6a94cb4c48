"""What kind of answer a question wants, and whether a sentence holds one."""

from __future__ import annotations

import pytest

from assistant.language.detection import detect_language
from assistant.question.answer_types import answer_type, holds_type, is_credit_line

pytestmark = pytest.mark.fast


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("How long is the proposed ceasefire?", "duration"),
        ("How many stakeholders took part?", "amount"),
        ("Wie viel kostet die Brücke?", "amount"),
        ("Quand la COP 30 se tiendra-t-elle ?", "date"),
        # Asking for the day or the year asks for a date in every language.
        ("On what day did the ferry sail again?", "date"),
        ("An welchem Tag fuhr die Fähre wieder?", "date"),
        ("¿Qué día volvió a salir el ferry?", "date"),
        ("En quelle année le ferry a-t-il repris ?", "date"),
        ("Who took the photo of the negotiators?", "credit"),
        ("What did Rubio say about Russia?", None),
        ("Who published the joint statement?", "person"),
        ("Wer hat die Erklärung veröffentlicht?", "person"),
        ("Where did the negotiators meet?", "place"),
        ("In which city was the treaty signed?", "place"),
        ("Où se tiendra la COP 30 ?", "place"),
    ],
)
def test_questions_ask_for_their_kind_of_answer(question: str, kind: str | None):
    assert answer_type(question, detect_language(question)) == kind


@pytest.mark.parametrize(
    ("kind", "sentence", "holds"),
    [
        ("duration", "Kyjiw stimmte einer 30-tägigen Waffenruhe zu.", True),
        ("duration", "Ein solches Abkommen ist seit Wochen ein Streitpunkt.", False),
        ("amount", "Mehr als tausend Interessenvertreter wirkten mit.", True),  # a word
        ("amount", "Un acuerdo de dos años.", True),
        ("amount", "Die Kommission stellte den Kodex vor.", False),
        ("date", "Le sommet s'ouvre le 6 novembre.", True),
        ("person", "Veröffentlicht wurde die Erklärung von der Ukraine.", True),  # the agent
        ("person", "The tower was designed by Gustave Eiffel.", True),
        ("person", "La déclaration a été publiée par le Kremlin.", True),
        ("person", "Die US-Regierung will Kiew entgegenkommen.", False),  # no agent named
        ("person", "He was paid by the hour.", False),  # "by" before no name
        ("place", "Die Gespräche fanden in Dschidda statt.", True),
        ("place", "Bei den Gesprächen mit der Ukraine gab es Fortschritte.", True),  # a country
        ("place", "Ein solches Abkommen ist seit Wochen ein Streitpunkt.", False),
    ],
)
def test_sentences_hold_an_answer_of_the_kind(kind: str, sentence: str, holds: bool):
    assert holds_type(kind, sentence, detect_language(sentence)) is holds


def test_credit_lines_are_told_apart():
    assert is_credit_line("(Quelle: Saul Loeb)", "de")
    assert not is_credit_line("Die Quelle des Streits ist alt.", "de")
