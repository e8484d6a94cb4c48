"""How a person's view changed: their statements on a topic, article by article, by date.

"How has X's position on Y changed?" (`Route.view_change`) and `Assistant.timeline` take
the person question's path up to the ranking of X's statements (`PersonAnswers.read`) and
its refusals; then, instead of the few best quotes, every statement on the topic is quoted,
grouped by article and ordered by the article's date, each line stating that date. The
quotes are the articles' own sentences, so the list is the answer with or without an LLM.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from assistant.answering.answer import Answer, Citation, quoted_text
from assistant.answering.person_answers import PersonStatements
from assistant.answering.quoting import cite_sentences
from assistant.fitted import People, fitted
from assistant.prompts import load_prompt
from assistant.retrieval.hybrid import topic_closeness

# A statement is on the topic by the rule that decides whether a person is quoted on it at
# all (`PersonFinding.closest`): the articles come at most `People.speaker_topic_gap`
# closer to the topic elsewhere than the statement does. The person's likeliest statement
# under the quote model counts too: the person answer would quote it.
# An article gives a line; more statements than this of one article would bury the others.
_MAX_PER_ARTICLE = 3


@dataclass(frozen=True)
class TimelineEntry:
    """One article's statements of the person (citations in text order); `date` as the
    article states it (ISO, YYYY-MM or YYYY-MM-DD), None when it states none."""

    date: str | None
    article_id: str
    title: str
    source: str
    citations: tuple[Citation, ...]

    def as_json(self) -> dict:
        return {
            "date": self.date,
            "article_id": self.article_id,
            "title": self.title,
            "source": self.source,
            "statements": [c.as_json() for c in self.citations],
        }


@dataclass(frozen=True)
class Timeline:
    """A person's statements on a topic by date: `entries` oldest first, undated articles
    last; `answer`: the same as an answer (one line per article, each with its date and
    title, quotes cited), or the person question's refusal (no entries)."""

    person: str
    topic: str
    entries: tuple[TimelineEntry, ...]
    answer: Answer

    def as_json(self) -> dict:
        """The documented JSON shape of `assistant timeline --json` and the page's API."""
        return {
            "person": self.person,
            "topic": self.topic,
            "answer": self.answer.text,
            "abstained": self.answer.abstained,
            "entries": [entry.as_json() for entry in self.entries],
            "nearest": [c.as_json() for c in self.answer.nearest],
        }


def on_topic(statements: PersonStatements) -> list[int]:
    """The person's statements that are on the topic (indices into the ranking's
    sentences), likeliest first; without a topic, all of them."""
    own, closest = statements.own, statements.finding.closest
    if closest is None or not own:
        return list(own)
    topic = statements.evidence.question
    floor = closest - fitted(People).speaker_topic_gap
    sentences = statements.ranking.sentences
    return [
        i
        for n, i in enumerate(own)
        if n == 0 or topic_closeness(sentences[i].hit.language, sentences[i].vector, topic) >= floor
    ]


def read_timeline(question: str, statements: PersonStatements, topic: str) -> Timeline:
    """The timeline of the person's statements on `topic` (all of them when it is empty),
    with `question` (as asked) as its answer's question. The person must be quoted (the
    refusals are decided before: `PersonAnswers.refusal`)."""
    chosen = _by_article(statements, on_topic(statements))
    ordered = [i for group in sorted(chosen.values(), key=_when(statements)) for i in group]
    citations = cite_sentences(statements.evidence, statements.ranking, ordered)
    entries = _entries(citations)
    name = _name(citations, statements.name)
    answer = Answer(
        question,
        _text(name, entries),
        citations,
        False,
        tuple(statements.evidence.hits),
        confidence=statements.confidence,
    )
    return Timeline(name, topic, entries, answer)


def refused_timeline(refusal: Answer, name: str, topic: str) -> Timeline:
    """The timeline of a person the articles do not quote (on this): no entries, the
    person question's refusal as its answer."""
    return Timeline(name, topic, (), refusal)


def _by_article(statements: PersonStatements, chosen: list[int]) -> dict[str, list[int]]:
    """The chosen statements by article id: the likeliest _MAX_PER_ARTICLE of each, in
    text order."""
    sentences = statements.ranking.sentences
    groups: dict[str, list[int]] = {}
    for i in chosen:  # likeliest first
        group = groups.setdefault(sentences[i].hit.article.id, [])
        if len(group) < _MAX_PER_ARTICLE:
            group.append(i)
    return {aid: sorted(group, key=lambda i: sentences[i].start) for aid, group in groups.items()}


def _when(statements: PersonStatements):
    """Sort key of an article's statements: its date (undated last), then its title."""
    sentences = statements.ranking.sentences

    def key(group: list[int]) -> tuple[bool, str, str]:
        article = sentences[group[0]].hit.article
        return (article.date is None, article.date or "", article.title)

    return key


def _entries(citations: tuple[Citation, ...]) -> tuple[TimelineEntry, ...]:
    """The citations (already in timeline order) grouped by article."""
    groups: dict[str, list[Citation]] = {}
    for c in citations:
        groups.setdefault(c.article_id, []).append(c)
    return tuple(
        TimelineEntry(group[0].date, aid, group[0].title, group[0].source, tuple(group))
        for aid, group in groups.items()
    )


def _name(citations: tuple[Citation, ...], asked: str) -> str:
    """The person as the articles name them most often in the quotes (as asked without)."""
    speakers = Counter(c.speaker for c in citations if c.speaker)
    return speakers.most_common(1)[0][0] if speakers else asked


def _text(name: str, entries: tuple[TimelineEntry, ...]) -> str:
    """The heading, then one line per article: "date · title: quotes [n]"; the undated
    articles after a line saying they state no date."""
    lines = [load_prompt("timeline").format(name=name)]
    for entry in entries:
        if entry.date is None and entry is _first_undated(entries):
            lines.append(load_prompt("timeline_undated"))
        when = entry.date or "undated"
        lines.append(f"{when} · {entry.title}: {quoted_text(entry.citations)}")
    return "\n".join(lines)


def _first_undated(entries: tuple[TimelineEntry, ...]) -> TimelineEntry | None:
    return next((entry for entry in entries if entry.date is None), None)
