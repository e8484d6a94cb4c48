"""Person questions: "What did X say about Y?", "Was sagte X zu Y?", "¿Qué dijo X sobre Y?",
"Qu'a dit X sur Y ?", "How did X react to Y?", "X's position on Y", "How has X's position on Y
changed?" — and who X is among the people the articles quote."""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.language.lexicon import lexicon
from assistant.speech.names import NameRun, name_runs
from assistant.speech.statement_index import StatementIndex

# Words that ask what someone said ("say", "sagte", "dijo", "a dit"), in any case.
_ASKS_WHAT_SAID = r"(?<!\w)(?:{questions.what_said})(?!\w)"
# Verbs that ask what someone said only in the shape "what did X write?" ("What hymn did
# Luther write?" asks it too; "Which name is used to describe ...?" does not).
_ASKS_LOOSELY = (
    r"(?<!\w)(?:{questions.loose_auxiliaries})\s+[^?]{2,60}?\s+(?:{questions.loose_verbs})(?!\w)"
)

# "How has X's position on Y changed?", "Wie hat sich X' Haltung zu Y verändert?": a word
# for someone's view and one for its change, in either order.
_VIEW = r"(?<!\w)(?:{questions.views})(?!\w)"
_CHANGED = r"(?<!\w)(?:{questions.changed})(?!\w)"

_NEAR_CHARS = 12  # a name this close to the asking verb is its subject ("did Keir Starmer say")


@dataclass(frozen=True)
class PersonQuestion:
    """A question about what `name` (as asked) said. `quoted`: the articles quote someone of
    that name; `mentioned`: they name them at all."""

    name: str
    quoted: bool
    mentioned: bool
    topic: str = ""  # the question without the name: what the person is asked about


def asks_what_said(text: str, language: str) -> re.Match | None:
    """Where the text (in `language`, ISO 639-1) asks what someone said (its "say", "sagte",
    "dijo", "a dit" ...)."""
    words = lexicon(language)
    return words.regex(_ASKS_WHAT_SAID, re.I).search(text) or words.regex(
        _ASKS_LOOSELY, re.I
    ).search(text)


def read_person_question(
    question: str, language: str, statements: StatementIndex
) -> PersonQuestion | None:
    """The person a question asks about, if it asks what someone said; None otherwise.

    The person is the first name in the question that the articles quote; failing that, the
    first name in the question (which may be someone the articles never mention).
    """
    asks = asks_what_said(question, language)
    if asks is None:
        return None
    runs = name_runs(question, language)
    if not runs:
        return None
    for run in runs:
        for name, start, end in _names_in(run, question):
            if statements.by_speaker(name):
                topic = f"{question[:start]} {question[end:]}".strip()
                return PersonQuestion(name, quoted=True, mentioned=True, topic=topic)
    # A full name ("Keir Starmer") next to the verb that the articles never use is someone
    # they cannot quote. Anything else with a capital letter ("What U.S. entity said that
    # ... was Constitutional?") may be no person, and is answered as usual.
    for run in runs:
        near = min(abs(run.start - asks.end()), abs(asks.start() - run.end))
        if len(run.words) >= 2 and near <= _NEAR_CHARS:
            return PersonQuestion(run.short(), False, statements.mentions(run.short()))
    return PersonQuestion(runs[0].short(), quoted=False, mentioned=True)


def _names_in(run: NameRun, question: str) -> list[tuple[str, int, int]]:
    """The names a run may hold, first first, each with its offsets into `question`: the
    name before a particle when a full name follows it ("¿Qué dijo Rubiales de Irene
    Montero?": Rubiales, asked about Irene Montero), then the run's name; a single word
    after the particle is the name's own ("Luis de Guindos")."""
    whole = (run.short(), run.start, run.end)
    split = next((i for i, w in enumerate(run.words) if not w[0].isupper()), None)
    if split is None or sum(w[0].isupper() for w in run.words[split:]) < 2:
        return [whole]
    last = run.words[split - 1]
    head_end = question.index(last, run.start) + len(last)
    return [(" ".join(run.words[:split]), run.start, head_end), whole]


def asks_how_view_changed(text: str, language: str) -> bool:
    """Whether the text (in `language`, ISO 639-1) asks how someone's view of something
    changed: it holds a word for a view ("position", "Haltung", "postura") and one for
    its change ("changed", "verändert", "cambiado")."""
    words = lexicon(language)
    return bool(words.regex(_VIEW, re.I).search(text) and words.regex(_CHANGED, re.I).search(text))


def read_view_change_question(
    question: str, language: str, statements: StatementIndex
) -> PersonQuestion | None:
    """The person a "How has X's position on Y changed?" question asks about, with its topic
    (the question without the name and the words asking for a change of view); None when
    it asks no such thing or names no one.

    The person is the first name the articles quote; failing that, the first full name (who
    may be someone the articles never mention). A single capitalised word the articles
    quote no one of ("the ECB") may be no person: the question is then answered as usual."""
    if not asks_how_view_changed(question, language):
        return None
    runs = name_runs(question, language)
    words = lexicon(language)
    for run in runs:
        # A German noun joins the name before it ("Powells Haltung"): the name without it.
        bare = " ".join(w for w in run.words if not words.regex(_VIEW, re.I).fullmatch(w))
        for name in (run.short(), bare):
            if name and statements.by_speaker(name):
                rest = f"{question[: run.start]} {question[run.end :]}"
                for pattern in (_VIEW, _CHANGED):
                    rest = words.regex(pattern, re.I).sub(" ", rest)
                topic = " ".join(rest.split())
                return PersonQuestion(name, quoted=True, mentioned=True, topic=topic)
    for run in runs:
        if len(run.words) >= 2:
            name = run.short()
            return PersonQuestion(name, quoted=False, mentioned=statements.mentions(name))
    return PersonQuestion(runs[0].short(), quoted=False, mentioned=True) if runs else None
