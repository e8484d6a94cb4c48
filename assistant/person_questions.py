"""Person questions: "What did X say about Y?", "Was sagte X zu Y?", "¿Qué dijo X sobre Y?",
"Qu'a dit X sur Y ?", "How did X react to Y?", "X's position on Y" — and who X is among the
people the articles quote."""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.names import name_runs
from assistant.statements import StatementIndex

# Words that ask what someone said, thought or did in words, in the four languages.
_ASKS_WHAT_SAID = re.compile(
    r"(?<!\w)(?:say|said|says|tell|told|think|thinks|thought|react|reacted|respond|responded|"
    r"reply|replied|comment|commented|position|stance|view|views|announce|announced|warn|"
    r"warned|claim|claimed|criticize|criticise|criticized|criticised|praise|praised|message|"
    r"describe|described|argue|argued|promise|promised|vow|vowed|write|wrote|statement|"
    r"remarks|call for|called for|urge|urged|insist|insisted|thank|thanked|commend|"
    r"commended|congratulate|congratulated|welcome|welcomed|"
    r"sagt|sagte|sagten|gesagt|sagen|äußerte|geäußert|äußert|reagierte|reagiert|kritisierte|"
    r"kritisiert|bewertete|bewertet|meint|meinte|erklärte|erklärt|betonte|forderte|schrieb|"
    r"berichtete|warnte|position|haltung|äußerung|hält|sprach|"
    r"dijo|dice|opina|opinó|afirmó|declaró|reaccionó|respondió|señaló|pidió|criticó|"
    r"advirtió|piensa|postura|comentó|"
    r"dit|déclaré|déclare|pense|réagi|réagit|répondu|affirmé|souligné|estimé|critiqué|averti|"
    r"appelé)(?!\w)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class PersonQuestion:
    """A question about what `name` (as asked) said. `quoted`: the articles quote someone of
    that name; `mentioned`: they name them at all."""

    name: str
    quoted: bool
    mentioned: bool
    topic: str = ""  # the question without the name: what the person is asked about


def asks_what_said(text: str) -> re.Match | None:
    """Where the text asks what someone said (its "say", "sagte", "dijo", "a dit" ...)."""
    return _ASKS_WHAT_SAID.search(text)


def read_person_question(
    question: str, language: str, statements: StatementIndex
) -> PersonQuestion | None:
    """The person a question asks about, if it asks what someone said; None otherwise.

    The person is the first name in the question that the articles quote; failing that, the
    first name in the question (which may be someone the articles never mention).
    """
    if not _ASKS_WHAT_SAID.search(question):
        return None
    runs = name_runs(question, language)
    if not runs:
        return None
    for run in runs:
        if statements.by_speaker(run.short()):
            topic = f"{question[: run.start]} {question[run.end :]}".strip()
            return PersonQuestion(run.short(), quoted=True, mentioned=True, topic=topic)
    # A name the articles never use is someone they cannot quote: a full name ("Keir
    # Starmer"), or the only name in the question. Otherwise the question may be about
    # something else with a capital letter, and is answered as usual.
    first = runs[0]
    unknown = not statements.mentions(first.short())
    surely_a_name = len(first.words) >= 2 or len(runs) == 1
    return PersonQuestion(first.short(), quoted=False, mentioned=not (unknown and surely_a_name))
