"""Routing: what a question is (standalone text, language, answer type, person asked about),
decided once from the seed article's statements, without any model."""

from __future__ import annotations

from assistant.question.person import PersonQuestion
from assistant.question.routing import Route, route_question


def test_a_plain_question_has_its_language_and_answer_type_and_no_person(statements):
    question = "How long is the proposed ceasefire?"
    assert route_question(question, [], statements) == Route(question, question, "en", "duration")


def test_a_person_the_articles_quote_is_routed_with_the_topic(statements):
    route = route_question("Was sagte Rubio über Russland?", [], statements)
    assert (route.language, route.answer_type) == ("de", None)
    person = route.person
    assert person is not None and (person.name, person.quoted) == ("Rubio", True)
    assert person.topic.split() == ["Was", "sagte", "über", "Russland?"]  # without the name


def test_a_person_the_articles_never_name_is_routed_to_be_refused(statements):
    route = route_question("What did Xi Jinping say about the ceasefire?", [], statements)
    assert route.person == PersonQuestion("Xi Jinping", quoted=False, mentioned=False)


def test_a_person_named_but_never_quoted_is_asked_about_as_usual(statements):
    # The article reports Trump's demand but quotes no one of that name.
    assert statements.mentions("Trump") and not statements.by_speaker("Trump")
    assert route_question("What did Trump say about raw materials?", [], statements).person is None


def test_a_follow_up_is_routed_as_its_standalone_question(statements):
    history = [
        {"role": "user", "content": "What did Rubio say about Russia?"},
        {"role": "assistant", "content": "Rubio zufolge ist nun Russland am Zug. [1]"},
    ]
    route = route_question("And what did he say about the G7?", history, statements)
    assert route.asked == "And what did he say about the G7?"
    assert route.text == "And what did Rubio say about the G7?"
    assert route.person is not None and route.person.name == "Rubio" and route.person.quoted
