"""Who said what, end to end with the real models: person questions answered from the
person's own statements in any language, honest refusals, and statements kept in step with
the articles."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from assistant.fitted import TopicNames, overridden
from assistant.index.store import Hit
from assistant.speech.names import same_name
from assistant.surfaces.api import Assistant

PEOPLE = Path(__file__).resolve().parent / "data" / "people"
SPEECH = Path(__file__).resolve().parent / "data" / "speech"


@pytest.fixture
def people(seeds: Path, tmp_path: Path, embedders) -> Assistant:
    """The seed article plus the three people test articles, indexed."""
    for article in PEOPLE.glob("*.txt"):
        shutil.copy(article, seeds / article.name)
    assistant = Assistant(seeds=seeds, index=tmp_path / "index", embedders=embedders)
    assistant.sync()
    return assistant


def test_person_question_quotes_only_that_persons_words_across_languages(people: Assistant):
    answer = people.ask("Was sagte Berg über das Budget?")  # Berg is quoted in English
    assert not answer.abstained and answer.citations
    assert all(same_name("Berg", c.speaker or "") for c in answer.citations)
    assert any("room for the bridge" in c.quote for c in answer.citations)


def test_name_spelt_the_other_languages_way_reaches_the_statement(people: Assistant):
    answer = people.ask("What did Sokolov say about the cost of the bridge?")
    assert not answer.abstained
    assert all(same_name("Sokolov", c.speaker or "") for c in answer.citations)
    assert any("doppelt so viel kosten" in c.quote for c in answer.citations)


def test_person_quoted_on_other_topics_is_refused_with_what_they_did_say(people: Assistant):
    answer = people.ask("What did Lucía Ferrer say about the harbour bridge?")
    assert answer.abstained and answer.citations == ()
    assert answer.text.startswith("The articles quote Lucía Ferrer, but not on this.")
    # First what she is quoted on, then what the articles say nearest to the question.
    hers = [c for c in answer.nearest if c.speaker == "Lucía Ferrer"]
    assert hers and all(c.article_id == "es_pesca.txt" for c in hers)
    assert answer.nearest[: len(hers)] == tuple(hers)
    assert any("bridge" in c.quote or "Brücke" in c.quote for c in answer.nearest[len(hers) :])
    assert all(f"[{c.n}]" in answer.text for c in answer.nearest)
    assert answer.as_json()["nearest"][0]["speaker"] == "Lucía Ferrer"


def test_person_the_articles_never_mention_is_refused_without_quotes(people: Assistant):
    answer = people.ask("What did Keir Starmer say about the harbour bridge?")
    assert answer.abstained and answer.citations == ()
    assert answer.text.startswith("The articles don't mention Keir Starmer")
    # What the articles do say about the bridge is offered, as no one's words of his.
    assert answer.nearest and all(c.speaker != "Keir Starmer" for c in answer.nearest)


def test_follow_up_pronoun_stands_for_the_person_asked_about(people: Assistant):
    history = [
        {"role": "user", "content": "What did Kowalski say about the bridge?"},
        {"role": "assistant", "content": "She said they will build it on time [1]."},
    ]
    answer = people.ask("And what did she say in parliament about jobs?", history)
    assert all(same_name("Kowalski", c.speaker or "") for c in answer.citations)
    assert any("Arbeitsplätze" in c.quote for c in answer.citations)


def test_people_list_counts_statements_and_follows_the_articles(people: Assistant, seeds: Path):
    listed = {p.name: p for p in people.people()}
    assert listed["Anna Kowalski"].articles == ("de_hafengipfel.txt", "en_harbour_summit.txt")
    assert "Marco Rubio" in listed
    report = people.sync()
    assert report.statements == sum(p.statements for p in people.people())
    assert report.speakers == len(listed)

    (seeds / "es_pesca.txt").unlink()  # removed: its speaker disappears
    english = seeds / "en_harbour_summit.txt"  # edited: its statements are read again
    english.write_text(english.read_text(encoding="utf-8").replace("Berg", "Nowak"), "utf-8")
    people.sync()
    after = {p.name: p for p in people.people()}
    assert not any(same_name("Ferrer", name) for name in after)
    assert after["Jonas Nowak"].articles == ("en_harbour_summit.txt",)
    assert after["Jonas Berg"].articles == ("de_hafengipfel.txt",)
    people.sync(rebuild=True)
    assert {p.name: p for p in people.people()} == after


def test_a_topic_of_the_persons_own_is_not_refused_for_others_coming_closer(
    tmp_path: Path, embedders
):
    """Lind's words never say "victory" and another mayor's do: "after her victory" is
    answered from hers, "after the victory" is refused as not hers to speak of. (Whether
    a possessive exempts a topic from the closer-elsewhere rule is tested in
    test_statements.)"""
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    for name in ("en_lind_victory.txt", "en_berg_victory.txt"):
        shutil.copy(SPEECH / name, seeds / name)
    assistant = Assistant(seeds=seeds, index=tmp_path / "index", embedders=embedders)
    assistant.sync()
    hers = assistant.ask("What did Lind say after her victory?")
    assert not hers.abstained
    assert [c.speaker for c in hers.citations] == ["Clara Lind"]
    anyones = assistant.ask("What did Lind say after the victory?")
    assert anyones.abstained and anyones.text.startswith("The articles quote Clara Lind, but")


def test_a_topic_naming_what_no_article_holds_is_not_the_persons(people: Assistant):
    """No article names a "Veltronix": asked about its takeover, the articles quote Berg,
    but not on this. Names the articles hold in another language are still his topic: a
    rare one close to its translation ("Stahlpreise": steel prices), a common one whatever
    its translation ("Haushalt": budget)."""
    asked = "What did Jonas Berg say about the takeover of Veltronix?"
    answer = people.ask(asked)
    assert answer.abstained and answer.text.startswith("The articles quote Jonas Berg, but")
    with overridden(TopicNames, min_closeness=0.0):
        assert not people.ask(asked).abstained
    steel = people.ask("Was sagte Berg über die Stahlpreise?")
    # (quoted with his quotation before it: see quoting._run_back)
    assert steel.citations[0].quote.endswith(
        "The finance minister also warned that steel prices could rise by a fifth."
    )
    budget = people.ask("Was sagte Jonas Berg über den Haushalt?")
    assert not budget.abstained and "room for the bridge" in budget.citations[0].quote


# An article naming its occasion (the A7 link road) in its lead, a second matter (the B12
# bus line) further down, and the mayor's words last: each paragraph a passage of its own.
LINK_ROAD = (
    "date 2024-11-05 Havenport council meets on the harbour budget\n\n"
    "The city council of Havenport met on Tuesday evening for its longest session of the "
    "year. Councillors argued for four hours about the harbour, the schools and the buses, "
    "and the public gallery was full until midnight. Several residents spoke before the "
    "votes began, most of them about the noise of the building sites near the old docks.\n\n"
    "The council then approved the A7 link road, which will join the harbour bridge to the "
    "motorway. It will cost twelve million euros and take two years to build, the city's "
    "engineers said. The regional government has promised to pay a third of the cost, and "
    "the rest will come from the harbour's own budget over the next five years.\n\n"
    "Later in the evening the council also extended the B12 bus line to the new hospital on "
    "the hill. The buses will run every ten minutes in the mornings and every twenty in the "
    "evenings, and the fares stay the same. The transport office expects about four thousand "
    "passengers a day once the hospital opens its doors next autumn.\n\n"
    'Mayor Lena Brandt said: "This road finally ties the new bridge to the rest of the '
    'country, and the lorries will leave our streets for good." She thanked the engineers '
    "and said the first works would begin in the spring."
)


def test_a_persons_passages_come_with_their_articles_lead(tmp_path: Path, embedders) -> None:
    """The terms of a person question's topic are looked for in the person's passages and in
    the lead of each article quoting them (its first two passages, read from the store when
    the search did not find them), where news names the occasion; not in the rest."""
    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "en_link_road.txt").write_text(LINK_ROAD, encoding="utf-8")
    assistant = Assistant(seeds=seeds, index=tmp_path / "index", embedders=embedders)
    assistant.sync()
    retriever = assistant.retriever()
    spans = retriever.store.passage_spans(["en_link_road.txt"])
    passages = sorted((p for p, _ in retriever.store.get(sorted(spans)).values()),
                      key=lambda p: p.start)  # fmt: skip
    assert len(passages) >= 4
    record = retriever.store.articles["en_link_road.txt"]
    said = Hit(passages[-1], record, "en", 1.0, 1.0)  # the mayor's words, found alone
    assert "Lena Brandt said" in said.passage.text

    texts = " ".join(retriever.speaker_texts([said], {said.passage.id}))
    assert "longest session" in texts and "A7 link road" in texts  # the lead, read
    assert "B12" not in texts
