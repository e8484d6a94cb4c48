"""Who said what: statements and speakers read from articles, names across languages, person
questions and follow-ups about a person, without any model."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from assistant.errors import IndexDamaged
from assistant.ingest.articles import read_article
from assistant.ingest.passages import split_sentences
from assistant.language.folding import fold
from assistant.question.follow_ups import standalone_query
from assistant.question.person import read_person_question
from assistant.retrieval.hybrid import owned_topic
from assistant.speech.names import _prefix_tree, name_keys, person_names, same_name
from assistant.speech.statement_index import STATEMENTS_FILE, StatementIndex
from assistant.speech.statements import (
    ArticleSpeech,
    Statement,
    article_speech,
    declines_comment,
    extract_statements,
    reader_version,
)

PEOPLE = Path(__file__).resolve().parent / "data" / "people"
SPEECH = Path(__file__).resolve().parent / "data" / "speech"


def speakers_by_sentence(name: str, folder: Path = PEOPLE) -> dict[str, str | None]:
    """Each sentence of a test article -> the speaker the extractor gives it (or None)."""
    article = read_article(folder / name, name)
    sentences = [(s.start, s.end) for s in split_sentences(article.text, article.language)]
    found = {
        s.start: s.speaker
        for s in extract_statements(article.text, article.language, sentences, article.title)
    }
    return {article.text[start:end]: found.get(start) for start, end in sentences}


def speaker_of(name: str, opening: str) -> str | None:
    found = speakers_by_sentence(name)
    sentence = next(s for s in found if s.startswith(opening))
    return found[sentence]


@pytest.mark.parametrize(
    ("article", "opening", "speaker"),
    [
        # a direct quote, the surname linked to the full name the article gives
        ("en_harbour_summit.txt", '"We will build the bridge', "Anna Kowalski"),
        ("en_harbour_summit.txt", "She added that", "Anna Kowalski"),  # a pronoun
        ("en_harbour_summit.txt", '"The budget has room', "Jonas Berg"),  # "he said"
        ("en_harbour_summit.txt", "The finance minister also warned", "Jonas Berg"),  # a title
        ("en_harbour_summit.txt", "According to Sokolov", "Pyotr Sokolov"),
        ("en_harbour_summit.txt", "The bridge will be", None),  # a fact, no one's words
        ("de_hafengipfel.txt", "„Wer heute gegen die Brücke", "Anna Kowalski"),
        ("de_hafengipfel.txt", "Die Brücke sei", "Anna Kowalski"),  # reported, subjunctive
        ("de_hafengipfel.txt", "„Diese Brücke wird", "Pjotr Sokolow"),
        ("de_hafengipfel.txt", "Über die Fischereiquoten sprach", None),  # "niemand"
        ("es_pesca.txt", "«Las cuotas bajan", "Lucía Ferrer"),
        ("es_pesca.txt", "Según la comisaria", "Lucía Ferrer"),
        ("es_pesca.txt", "Las asociaciones", None),
    ],
)
def test_each_statement_gets_its_speaker(article: str, opening: str, speaker: str | None):
    assert speaker_of(article, opening) == speaker


@pytest.mark.parametrize(
    ("article", "opening", "speaker"),
    [
        # the perfect tense reports speech: "ha asegurado", "a notamment recommandé"
        ("es_cuotas.txt", "El ministro danés", "Mads Holm"),
        # a country named again and again is no speaker; the verb without subject is Holm's
        ("es_cuotas.txt", "Además, ha subrayado", "Mads Holm"),
        ("es_cuotas.txt", "Dinamarca votó", None),
        ("es_cuotas.txt", "«Nuestros pescadores", "Mads Holm"),
        ("es_cuotas.txt", "La comisaria de Pesca", None),  # "no ha respondido": negated
        ("fr_quotas.txt", "Le ministre a notamment", "Julien Marchand"),
        ("fr_quotas.txt", "« Nos pêcheurs", "Julien Marchand"),
        ("fr_quotas.txt", "La France demandera", None),
        ("fr_quotas.txt", "« C'est une erreur", "Claire Morel"),  # "a de son côté réagi"
        ("fr_quotas.txt", "Sophie, patronne", None),  # her words, not Marc's before her
        ("en_port_speech.txt", "Mayor Clara Lind opened", "Clara Lind"),  # "declaring it"
        ("en_port_speech.txt", "Speaking beside", None),  # introduces the quotation only
        ("en_port_speech.txt", '"This terminal', "Clara Lind"),  # after "told the crowd:"
        ("en_port_speech.txt", "There is a saying", None),  # a noun, not a reporting verb
        ("en_port_speech.txt", "Haddad said the government", "Omar Haddad"),
        ("en_port_speech.txt", "Norway warned", None),  # a country's words are no one's
        ("en_port_speech.txt", "Ferry line head of operations", "Ines Varga"),  # "of" ... name
        ("en_port_speech.txt", "The Port Authority said", "Port Authority"),  # a body speaks
        ("es_cuotas.txt", "Pese a la rebaja del 10%, Holm", "Mads Holm"),  # no place after "del"
        # the name after "dankte" is thanked; the quotation after it is the chancellor's
        ("de_faehre.txt", "Die Kanzlerin dankte", "Petra Wendt"),
        ("de_faehre.txt", "„Ohne die Werft", "Petra Wendt"),
        ("de_faehre.txt", "Bei der Feier verteidigte", "Tobias Krüger"),  # subject after
    ],
)
def test_reported_speech_in_other_tenses_and_shapes(article: str, opening: str, speaker):
    found = speakers_by_sentence(article, SPEECH)
    assert found[next(s for s in found if s.startswith(opening))] == speaker


def test_transcript_turns_belong_to_their_speaker_and_questions_to_no_one():
    text = (
        "QUESTION: What will you do about the bridge?\n\n"
        "SECRETARY KOWALSKI: We will build it. It will open in 2029.\n\n"
        "QUESTION: And the costs?"
    )
    sentences = [(s.start, s.end) for s in split_sentences(text, "en")]
    said = {text[s.start : s.end]: s.speaker for s in extract_statements(text, "en", sentences)}
    assert said == {
        "SECRETARY KOWALSKI: We will build it.": "Kowalski",
        "It will open in 2029.": "Kowalski",
    }


def test_a_published_statement_is_its_authors_first_person_words():
    title = "Statement by Commissioner Lucía Ferrer on the fishing quotas"
    text = (
        "Today we agreed on new quotas. I thank the fishing communities. The quotas apply in May."
    )
    sentences = [(s.start, s.end) for s in split_sentences(text, "en")]
    said = {
        text[s.start : s.end]: s.speaker for s in extract_statements(text, "en", sentences, title)
    }
    assert said == {
        "Today we agreed on new quotas.": "Lucía Ferrer",
        "I thank the fishing communities.": "Lucía Ferrer",
    }


@pytest.mark.parametrize(
    ("asked", "known"),
    [
        ("Selenskyj", "Volodymyr Zelensky"),
        ("Zelenskyy", "Wolodymyr Selenskyj"),
        ("Peskow", "Dmitry Peskov"),
        ("Poutine", "Vladimir Putin"),
        ("Jorgensen", "Dan Jørgensen"),
        ("von der Leyen", "Ursula von der Leyen"),
        ("Lula", "Luiz Inácio Lula da Silva"),
        ("Sokolov", "Pjotr Sokolow"),
    ],
)
def test_name_spellings_across_languages_match(asked: str, known: str):
    assert same_name(asked, known)


@pytest.mark.parametrize(
    ("asked", "passage"),
    [
        ("What did she say about the election in Romania?", "Die Wahl in Rumänien"),
        ("¿Qué dijo sobre la cumbre de la OTAN?", "At the NATO summit, he said"),
        ("Qu'a-t-il dit du pape François ?", "Pope Francis died on Monday"),
        ("What did he say about the EU-US deal?", "el acuerdo entre la UE y EE.UU."),
        ("Was sagte sie über die Regulierung?", "she opposed regulation"),  # a cognate
    ],
)
def test_names_of_a_topic_meet_their_spellings_in_other_languages(asked: str, passage: str):
    assert name_keys(asked, skip_first=True) & name_keys(passage, every_word=True)


def test_names_of_a_topic_do_not_meet_other_names():
    asked = name_keys("What did he say about the election in Romania?", skip_first=True)
    assert not asked & name_keys("Die Wahl in Polen, sagte er, war fair", every_word=True)
    assert not name_keys("What did he say about us?", skip_first=True)  # no names


@pytest.mark.parametrize(
    ("topic", "language", "owned"),
    [
        ("What did   say after his victory?", "en", True),
        ("Was sagte   in seiner Siegesrede über Trump?", "de", True),
        ("Qu'a déclaré   après sa victoire ?", "fr", True),
        ("¿Qué dijo   tras su victoria?", "es", True),
        ("What did   say after the victory?", "en", False),
        ("What did   say about the son of the king?", "en", False),  # "son" is French only
    ],
)
def test_a_topic_of_the_persons_own_is_told_apart(topic: str, language: str, owned: bool):
    assert owned_topic(topic, language) is owned


@pytest.mark.parametrize(("asked", "known"), [("Merz", "Marz"), ("Trump", "Donald Tusk")])
def test_different_names_do_not_match(asked: str, known: str):
    assert not same_name(asked, known)
    assert fold("Trump") != fold("Tusk")


def people_index() -> StatementIndex:
    speech = {}
    for path in sorted(PEOPLE.glob("*.txt")):
        article = read_article(path, path.name)
        spans = [(s.start, s.end) for s in split_sentences(article.text, article.language)]
        speech[path.name] = article_speech(article.text, article.language, spans, article.title)
    return StatementIndex(speech)


def test_speakers_are_merged_across_spellings_and_counted(tmp_path: Path):
    index = people_index()
    people = {p.name: p for p in index.speakers()}
    sokolov = next(p for name, p in people.items() if fold(name.split()[-1]) == fold("Sokolov"))
    assert sokolov.articles == ("de_hafengipfel.txt", "en_harbour_summit.txt")
    assert people["Anna Kowalski"].statements == 4
    index.save(tmp_path)
    again = StatementIndex.load(tmp_path)
    assert again.speakers() == index.speakers()
    assert again.mentions("Regierungschefin Kowalski") and not again.mentions("Keir Starmer")


def test_words_reported_inside_a_statement_are_also_the_reported_persons(tmp_path: Path):
    name = "en_port_speech.txt"
    article = read_article(SPEECH / name, name)
    sentences = [(s.start, s.end) for s in split_sentences(article.text, article.language)]
    speech = article_speech(article.text, article.language, sentences, article.title)
    index = StatementIndex({name: speech})
    reported = next(
        s for s in speech.statements if article.text[s.start :].startswith("Lind told reporters")
    )
    assert (reported.speaker, reported.reported) == ("Clara Lind", "Omar Haddad")
    # Asked what Haddad said, his words as Lind reports them count; the speaker stays Lind.
    assert reported in [s for _, s in index.by_speaker("Haddad")]
    assert reported in [s for _, s in index.by_speaker("Lind")]
    index.save(tmp_path)
    assert StatementIndex.load(tmp_path).by_article == index.by_article


def speech_of(name: str) -> ArticleSpeech:
    article = read_article(SPEECH / name, name)
    sentences = [(s.start, s.end) for s in split_sentences(article.text, article.language)]
    return article_speech(article.text, article.language, sentences, article.title)


def test_a_statement_headed_by_a_title_alone_is_the_persons_other_articles_give_it(
    tmp_path: Path,
):
    statement = "en_envoy_statement.txt"
    alone = StatementIndex({statement: speech_of(statement)})
    assert {s.speaker for s in alone.by_article[statement]} == {"UN Special-Envoy"}
    both = StatementIndex(
        {statement: speech_of(statement), "en_envoy_visit.txt": speech_of("en_envoy_visit.txt")}
    )
    assert {s.speaker for s in both.by_article[statement]} == {"Lena Ortiz"}
    assert len(both.by_speaker("Ortiz")) == 3  # her quote and the statement's two sentences
    both.save(tmp_path)
    assert StatementIndex.load(tmp_path).by_article == both.by_article


def test_statements_by_speaker_are_those_voicing_the_name_asked_in_article_order():
    index = people_index()
    asked = ["Kowalski", "Anna Kowalski", "Sokolow", "Ferrer", "von der Leyen", "Nobody"]
    for name in asked:
        scanned = [
            (aid, s) for aid, found in index.by_article.items() for s in found if s.voices(name)
        ]
        assert index.by_speaker(name) == scanned
    assert index.by_speaker("Kowalski")
    chosen = index.only({"es_pesca.txt"})
    assert chosen.by_speaker("Ferrer") == index.by_speaker("Ferrer")
    assert not chosen.by_speaker("Kowalski")  # her articles are not chosen
    assert index.mentions("Kowalski") and not chosen.mentions("Kowalski")


def test_updated_index_drops_removed_and_replaces_changed_articles():
    index = people_index()
    changed = {"en_harbour_summit.txt": ArticleSpeech([], frozenset())}
    after = index.updated(["es_pesca.txt"], changed)
    assert (
        "es_pesca.txt" not in after.by_article and after.by_article["en_harbour_summit.txt"] == []
    )
    assert not after.by_speaker("Ferrer") and after.by_speaker("Kowalski")
    assert index.by_speaker("Ferrer")  # the original is left as it was


@pytest.mark.parametrize(
    ("question", "language", "name"),
    [
        ("What did Berg say about the budget?", "en", "Berg"),
        ("Was sagte Sokolov über die Kosten?", "de", "Sokolov"),
        ("¿Qué dijo Anna Kowalski sobre el puente?", "es", "Anna Kowalski"),
        ("Qu'a dit Lucía Ferrer sur la pêche ?", "fr", "Lucía Ferrer"),
        ("How did Kowalski react to the criticism?", "en", "Kowalski"),
        # "de" joins the speaker to the full name asked about, not one name
        ("¿Qué dijo Kowalski de Lucía Ferrer en la cumbre?", "es", "Kowalski"),
    ],
)
def test_person_questions_name_the_person_and_the_topic(question: str, language: str, name: str):
    asked = read_person_question(question, language, people_index())
    assert asked is not None and asked.quoted and asked.name == name
    assert name not in asked.topic and len(asked.topic) > 5


def test_other_questions_are_not_person_questions_and_unknown_people_are_told_apart():
    index = people_index()
    assert read_person_question("How long is the bridge?", "en", index) is None
    unknown = read_person_question("What did Keir Starmer say about the bridge?", "en", index)
    assert unknown is not None and not unknown.quoted and not unknown.mentioned


@pytest.mark.parametrize(
    ("previous", "follow_up", "standalone"),
    [
        (
            "What did Kowalski say about the bridge?",
            "And what did she say about the costs?",
            "And what did Kowalski say about the costs?",
        ),
        (
            "Was sagte Kowalski über die Brücke?",
            "Und was sagte Sokolow?",
            "Was sagte Sokolow über die Brücke?",
        ),
        (
            "What did Berg say about the budget?",
            "And what about steel prices?",
            "What did Berg say And what about steel prices?",
        ),
    ],
)
def test_follow_ups_about_people_become_standalone(previous, follow_up, standalone):
    history = [{"role": "user", "content": previous}, {"role": "assistant", "content": "..."}]
    assert standalone_query(follow_up, history) == standalone


@pytest.mark.parametrize(
    ("sentence", "language", "silent"),
    [
        ("Eine Stellungnahme der Regierung in Moskau liegt zunächst nicht vor.", "de", True),
        ("The Kremlin did not immediately respond to a request for comment.", "en", True),
        ("A spokesman declined to comment.", "en", True),
        ("Le Kremlin n'a pas réagi dans l'immédiat.", "fr", True),
        ("El Gobierno no ha respondido a las preguntas.", "es", True),
        ("Die Stellungnahme liegt seit Montag vor.", "de", False),  # a statement given
        ("Rubio commented on the talks.", "en", False),
    ],
)
def test_sentences_reporting_no_comment_are_told(sentence: str, language: str, silent: bool):
    assert declines_comment(sentence, language) is silent


def speakers_in(text: str, language: str, title: str = "") -> dict[str, str | None]:
    """Each sentence of `text` -> the speaker the extractor gives it (or None)."""
    sentences = [(s.start, s.end) for s in split_sentences(text, language)]
    found = {s.start: s.speaker for s in extract_statements(text, language, sentences, title)}
    return {text[start:end].strip(): found.get(start) for start, end in sentences}


@pytest.mark.parametrize(
    ("text", "language", "not_a_person"),
    [
        # Negations name no one.
        ("Neither Oslo nor Vienna came. Neither Oslo nor Vienna replied.", "en", "Neither Oslo"),
        ("Ni Lyon ni Nantes n'ont signé. Ni Lyon ni Nantes n'ont répondu.", "fr", "Ni Lyon"),
        ("Né Torino né Bari hanno risposto. Né Torino né Bari hanno firmato.", "it", "Né Torino"),
        # The tail of a state's name that ends in a place is no person.
        ("La República Bolivariana de Venezuela votó.", "es", "Bolivariana de Venezuela"),
        ("A República Federativa do Brasil assinou o acordo ontem.", "pt", "Federativa do Brasil"),
    ],
)  # fmt: skip
def test_negations_and_name_tails_are_not_people(text: str, language: str, not_a_person: str):
    assert not_a_person not in person_names(text, language)


def test_a_title_after_a_preposition_or_from_another_line_is_not_the_persons():
    text = (
        'Maria Lindqvist won a second term. "Thank you all," Lindqvist told supporters. '
        '"We will govern for everyone," the prime minister said. With the win, Lindqvist is '
        "the first prime minister since Paul Hendricks to win twice."
    )
    found = speakers_in(text, "en")
    assert found['"We will govern for everyone," the prime minister said.'] == "Maria Lindqvist"
    assert (
        "day" not in person_names("Budget day\n\nMaria Lindqvist spoke.", "en")["Maria Lindqvist"]
    )


def test_a_reporting_word_after_a_quantifier_is_a_noun():
    text = (
        "Ana Costa, the governor, said prices would fall. Prices rose in several states on Monday."
    )
    assert speakers_in(text, "en")["Prices rose in several states on Monday."] is None


def test_a_french_reporting_verb_after_encore_is_read():
    text = (
        "Claire Dubois dirige la région depuis 2020. "
        "« Nous tiendrons parole devant les électeurs », a encore indiqué Claire Dubois."
    )
    found = speakers_in(text, "fr")
    assert found[
        "« Nous tiendrons parole devant les électeurs », a encore indiqué Claire Dubois."
    ] == ("Claire Dubois")


@pytest.mark.parametrize(
    ("text", "language", "quotation", "speaker"),
    [
        (
            'La legge è passata ieri. "Più lavoro, più crescita, più giustizia per tutti." '
            "Così il ministro Paolo Verdi ha commentato il voto della Camera.",
            "it",
            '"Più lavoro, più crescita, più giustizia per tutti."',
            "Paolo Verdi",
        ),
        (
            'La ley fue aprobada ayer. "Es un día histórico para todo el país." '
            "Así lo afirmó la ministra Carmen Ruiz tras la votación.",
            "es",
            '"Es un día histórico para todo el país."',
            "Carmen Ruiz",
        ),
    ],
)
def test_a_quotation_before_a_sentence_pointing_back_at_it_is_its_speakers(
    text: str, language: str, quotation: str, speaker: str
):
    assert speakers_in(text, language)[quotation] == speaker


def test_according_to_takes_its_source_after_it_not_a_name_before_it():
    text = (
        "Três hospitais vão fechar no sábado em Lisboa e Vale do Sorraia, segundo informação "
        "oficial divulgada ontem."
    )
    assert "Vale do Sorraia" in person_names(text, "pt")  # a name the article never explains
    assert next(iter(speakers_in(text, "pt").values())) is None


def test_a_source_word_after_its_source_names_the_name_before_it():
    text = "Hafenchefin Anna Berg sprach in Kiel. Berg zufolge ist nun die Reederei am Zug."
    found = speakers_in(text, "de")
    assert found["Berg zufolge ist nun die Reederei am Zug."] == "Anna Berg"


def test_the_person_before_an_apposition_speaks_not_a_name_inside_it():
    text = (
        "Marta Ibáñez, presidenta de la Liga Nacional de Balonmano, aseguró que no dimitirá. "
        "Marta Ibáñez habló ayer."
    )
    found = speakers_in(text, "es")
    assert (
        found["Marta Ibáñez, presidenta de la Liga Nacional de Balonmano, aseguró que no dimitirá."]
        == "Marta Ibáñez"
    )


def test_a_place_is_not_whom_a_later_he_refers_to():
    text = (
        "At the opening of the new library in Port Arvel, Secretary-General Tomas Ekberg "
        "toured the reading rooms. "
        '"This building belongs to every reader in the region," he stated.'
    )
    found = speakers_in(text, "en")
    assert found['"This building belongs to every reader in the region," he stated.'] == (
        "Tomas Ekberg"
    )


def test_cette_opening_a_sentence_is_no_name():
    text = (
        "Cette réforme divise le pays. Cette réforme sera votée demain. "
        "Ils dénoncent «une menace pour la justice»."
    )
    assert "Cette" not in person_names(text, "fr")
    assert speakers_in(text, "fr")["Ils dénoncent «une menace pour la justice»."] is None


def test_a_verb_without_subject_goes_on_with_the_speaker_not_a_person_named_in_passing():
    text = (
        'Elena Campos ha defendido la reforma. "Es una ley justa", ha dicho Campos. '
        "El partido del exalcalde Jordi Ferrer pide más cambios. "
        '"La ley es constitucional y protege a todos los ciudadanos", ha apuntado.'
    )
    found = speakers_in(text, "es")
    assert (
        found['"La ley es constitucional y protege a todos los ciudadanos", ha apuntado.']
        == "Elena Campos"
    )


def test_a_body_named_by_its_acronym_speaks_under_the_name_it_abbreviates():
    text = (
        "O Instituto Nacional de Pesca (INP) publicou ontem o relatório anual. "
        "O ministro Rui Tavares comentou os números. "
        "Além disso, o INP afirmou que a pesca da sardinha vai crescer em 2026."
    )
    found = speakers_in(text, "pt")
    assert (
        found["Além disso, o INP afirmou que a pesca da sardinha vai crescer em 2026."]
        == "Instituto Nacional de Pesca"
    )


def test_an_acronym_after_a_preposition_or_before_a_noun_is_not_the_speaker():
    text = (
        "Rosa Lima ganó las elecciones. "
        'El presidente de la JEC aseguró que el resultado es "firme y definitivo".'
    )
    found = speakers_in(text, "es")
    assert found['El presidente de la JEC aseguró que el resultado es "firme y definitivo".'] != (
        "JEC"
    )
    text = "Omar Haddad left Rome on Monday. According to the EU officials, the talks failed."
    assert speakers_in(text, "en")["According to the EU officials, the talks failed."] is None


def test_it_said_is_never_a_person():
    text = (
        "Tomas Ekberg was examined by doctors on arrival. "
        "However, it noted that the country must act on its obligations."
    )
    found = speakers_in(text, "en")
    assert found["However, it noted that the country must act on its obligations."] is None


def test_a_person_named_after_their_partys_acronym_speaks():
    text = (
        '"Le texte est validé", s\'est félicité le ministre Paul Marchand. '
        'Le patron du PRD Lucie Fabre a dénoncé "un coup de force des juges contre le peuple".'
    )
    found = speakers_in(text, "fr")
    assert (
        found[
            'Le patron du PRD Lucie Fabre a dénoncé "un coup de force des juges contre le peuple".'
        ]
        == "Lucie Fabre"
    )


def test_the_body_an_acronym_abbreviates_speaks_after_the_verb():
    text = (
        "La ministra Ana Ortiz, de Hacienda, fue recibida con aplausos, según los datos que "
        "anunció el Instituto Nacional de Estadística (INE) el lunes."
    )
    assert next(iter(speakers_in(text, "es").values())) == "Instituto Nacional de Estadística"


def test_the_tail_of_a_country_after_a_stop_word_is_no_person():
    text = "El presidente de Estados Unidos llegó ayer. Viajó desde Estados Unidos con Carla Ruiz."
    assert "Unidos" not in person_names(text, "es")


def test_a_reporting_verb_after_a_relative_pronoun_is_the_nouns_before_it():
    text = (
        'Le colonel Marc Tessier a confirmé le retrait. "Nous partons", a-t-il dit. '
        "L'école a été fermée, selon le syndicat des enseignants, qui dénonce une décision "
        "injuste."
    )
    found = speakers_in(text, "fr")
    assert found[next(s for s in found if s.startswith("L'école"))] is None


def test_dit_between_two_names_gives_another_name():
    text = (
        "Marc Tessier a parlé hier. Les rebelles, dirigés par le général Omar Bakri, dit "
        "Le Faucon, ont publié des vidéos."
    )
    found = speakers_in(text, "fr")
    assert found[next(s for s in found if s.startswith("Les rebelles"))] is None


def test_a_first_person_word_inside_a_single_quoted_title_is_no_ones_voice():
    text = (
        "Vince Sara Neri con 'Luce'. Secondo posto per Marco Blu con 'Il mio mare'. "
        "Terzo Luca Verdi con 'Casa mia' e quarto Nino Rossi con 'Noi due'."
    )
    found = speakers_in(text, "it")
    assert found[next(s for s in found if s.startswith("Terzo"))] is None


def test_a_person_after_by_is_not_the_subject_of_the_verb():
    text = (
        "Il tribunale ha emesso la sentenza ieri. La Corte d'Appello di Ancona, presieduta da "
        "Laura Fabbri, ha dichiarato l'imputato colpevole di truffa aggravata."
    )
    found = speakers_in(text, "it")
    assert found[next(s for s in found if s.startswith("La Corte"))] is None


def test_per_and_a_person_opening_an_italian_sentence_gives_their_view():
    text = (
        "Marta Conti e Piero Galli commentano la legge. "
        '"È un giorno storico per il paese", ha detto Conti. '
        'Per Galli è "una notizia eccezionale per tutte le regioni del nord".'
    )
    found = speakers_in(text, "it")
    assert found[next(s for s in found if s.startswith("Per Galli"))] == "Piero Galli"


def test_quotations_no_one_is_named_for_are_the_person_a_title_gives_as_speaking():
    title = "Lindqvist: We will not rush the next rate cut"
    text = (
        "Central bank governor Maria Lindqvist presented the decision at the press "
        'conference.\n\n"Inflation is still too high for our comfort."\n\n'
        '"We will look at every meeting on its own."'
    )
    found = speakers_in(text, "en", title)
    assert found['"Inflation is still too high for our comfort."'] == "Maria Lindqvist"
    assert found['"We will look at every meeting on its own."'] == "Maria Lindqvist"
    # A title that names a person without making them speak gives the quotations no one.
    plain = speakers_in(text, "en", "Maria Lindqvist cuts rates again")
    assert plain['"Inflation is still too high for our comfort."'] is None


def test_a_surname_alone_is_the_person_of_that_surname_not_a_phrase_starting_with_it():
    text = (
        "Der Konservative Pierre Dufresne verlor die Wahl. Die Liberale gewann sogar Dufresnes "
        "Wahlkreis im Süden. Ihr Parteichef Dufresne gratulierte der Siegerin."
    )
    found = speakers_in(text, "de")
    assert found["Ihr Parteichef Dufresne gratulierte der Siegerin."] == "Pierre Dufresne"


def test_french_reporting_verbs_going_on_after_a_quotation_are_read():
    text = (
        "Claire Dubois dirige la banque depuis 2020. "
        '"La baisse a commencé et elle sera sensible en 2026", a poursuivi Claire Dubois. '
        'Elle a néanmoins assuré que "la route reste longue pour tous les ménages".'
    )
    found = speakers_in(text, "fr")
    assert found[next(s for s in found if s.startswith('"La baisse'))] == "Claire Dubois"
    assert found[next(s for s in found if s.startswith("Elle a"))] == "Claire Dubois"


def test_a_german_surname_alone_after_the_verb_speaks():
    title = "Zinsen bleiben hoch: Brenner warnt vor schnellen Schritten"
    text = (
        '"Wir werden nichts überstürzen", sagte Brenner laut Redetext bei einer Tagung. '
        "Die Inflation sei noch zu hoch."
    )
    found = speakers_in(text, "de", title)
    assert found[next(s for s in found if s.startswith('"Wir werden'))] == "Brenner"


def test_the_opening_sentences_of_a_quotation_are_its_speakers():
    text = (
        "Bankchef Peter Brenner hielt am Montag eine Rede.\n\n"
        '"Abhängig von den Daten können die Abstände variieren. Denn der Kurs muss straff '
        'bleiben", sagte Peter Brenner laut Redetext.'
    )
    found = speakers_in(text, "de")
    assert found['"Abhängig von den Daten können die Abstände variieren.'] == "Peter Brenner"


def test_a_sentence_introducing_a_quotation_leaves_its_speaker_as_the_last_person():
    text = (
        "Standing beside Vice President Ana Lopes, President Omar Haddad told the nation:\n\n"
        '"We will rebuild the port within a year."\n\n'
        "The President also praised the workers, singling out the harbour master:\n\n"
        '"They worked day and night to keep the ships moving."'
    )
    found = speakers_in(text, "en")
    assert found['"They worked day and night to keep the ships moving."'] == "Omar Haddad"


def test_an_acronym_opening_the_reported_clause_is_not_the_speaker():
    text = (
        "Maria Lindqvist leads the Nordic Central Bank (NCB). "
        "Lindqvist ruled out a recession and said the NCB was still expecting a soft landing."
    )
    found = speakers_in(text, "en")
    assert found[next(s for s in found if s.startswith("Lindqvist ruled"))] == "Maria Lindqvist"


def test_a_saved_statement_index_is_read_back_and_a_mistyped_row_is_damage(tmp_path: Path):
    speech = ArticleSpeech(
        [Statement(0, 20, "Anna Berg", True), Statement(21, 40, "Anna Berg", False, "Olaf Lind")],
        frozenset({"berg", "lind"}),
        {"Anna Berg": frozenset({"ministerin"})},
    )
    StatementIndex({"a.txt": speech, "b.txt": ArticleSpeech([], frozenset())}).save(tmp_path)
    loaded = StatementIndex.load(tmp_path, {"a.txt", "b.txt"})
    assert loaded.speech == {"a.txt": speech, "b.txt": ArticleSpeech([], frozenset())}
    assert loaded.version == reader_version()

    saved = json.loads((tmp_path / STATEMENTS_FILE).read_text(encoding="utf-8"))
    saved["articles"]["a.txt"]["statements"][0][3] = 1  # a number where a flag belongs
    (tmp_path / STATEMENTS_FILE).write_text(json.dumps(saved), encoding="utf-8")
    with pytest.raises(IndexDamaged, match=r"a\.txt: statements\.0"):
        StatementIndex.load(tmp_path, {"a.txt", "b.txt"})


def test_quotation_paragraphs_in_one_voice_are_that_speakers():
    text = (
        'Harbour chief Mara Voss opened the season on Monday. "We expect more ships," Voss '
        "said.\n\nThe harbour handled more ships than ever last year.\n\n"
        '"Freight rates are rising at a steady pace."\n\n"Our cranes will run through the night."'
    )
    found = speakers_in(text, "en")
    assert found['"Freight rates are rising at a steady pace."'] == "Mara Voss"
    assert found['"Our cranes will run through the night."'] == "Mara Voss"


def test_a_quotation_paragraph_after_a_second_voice_is_no_ones():
    text = (
        '"We expect more ships," harbour chief Mara Voss said. "This is a bad plan," union '
        "leader Per Lund replied. The talks went on until noon.\n\n"
        '"Freight rates are rising at a steady pace."'
    )
    assert speakers_in(text, "en")['"Freight rates are rising at a steady pace."'] is None


def test_a_quotation_paragraph_after_another_person_is_named_is_no_ones():
    text = (
        '"We expect more ships," harbour chief Mara Voss said. Later the mayor, Per Lund, '
        'toured the docks.\n\n"Freight rates are rising at a steady pace."'
    )
    assert speakers_in(text, "en")['"Freight rates are rising at a steady pace."'] is None


def test_a_paragraph_opening_with_a_quotation_mark_opens_a_quotation():
    # A stray closing mark before must not turn the next paragraph's quotation inside out.
    text = (
        'Mara Voss spoke to the press on Monday.\n\nWe will keep the harbour open."\n\n'
        '"Freight rates are rising at a steady pace."'
    )
    found = speakers_in(text, "en")
    assert found['"Freight rates are rising at a steady pace."'] == "Mara Voss"


@pytest.mark.parametrize(
    ("text", "language", "sentence"),
    [
        (
            '"We expect more ships," Mara Voss said. "Let us hope the strike ends soon," '
            "she shared with the crowd.",
            "en",
            '"Let us hope the strike ends soon," she shared with the crowd.',
        ),
        (  # a body after a preposition ends no one's voice
            '"We expect more ships," Mara Voss said. "Let us hope the strike ends soon," '
            "she shared, as the dock workers now agree with all Harbour Councils.",
            "en",
            '"Let us hope the strike ends soon," she shared, as the dock workers now agree with '
            "all Harbour Councils.",
        ),
        (
            "« Nous restons prudents », a déclaré Claire Dubois. Selon la directrice du port, "
            "« le pire de la crise est passé », pour les armateurs.",
            "fr",
            "Selon la directrice du port, « le pire de la crise est passé », pour les armateurs.",
        ),
    ],
)
def test_a_quoted_clause_with_a_pronoun_or_source_word_goes_on_in_one_voice(
    text: str, language: str, sentence: str
):
    found = speakers_in(text, language)
    assert found[sentence] == next(s for s in found.values() if s)


def test_names_in_quotation_marks_are_no_ones_words():
    text = (
        '"Wir bleiben vorsichtig", sagte Mara Voss. Das Interview erschien auch in '
        '"Le Petit Journal de Lyon" und im "Corriere della Sera".'
    )
    sentence = (
        'Das Interview erschien auch in "Le Petit Journal de Lyon" und im "Corriere della Sera".'
    )
    assert speakers_in(text, "de")[sentence] is None


def test_a_statement_pointing_back_gives_the_sentence_before_its_speaker():
    text = (
        "Die Stadt Ostby wird die alte Brücke bis zum Winter neu bauen. Dies sagte "
        "Bürgermeisterin Ines Varga am Dienstag. Der Stadtrat tagte bis Mitternacht. Das "
        "Ministerium sagte, der Bau werde vom Land bezahlt."
    )
    found = speakers_in(text, "de")
    assert found["Die Stadt Ostby wird die alte Brücke bis zum Winter neu bauen."] == "Ines Varga"
    assert found["Der Stadtrat tagte bis Mitternacht."] is None  # "Das Ministerium sagte"


def test_a_quoting_verb_reports_only_a_quotation_beside_a_name():
    text = (
        'La maire, Claire Dubois, a évoqué "une saison très difficile pour le port". '
        "Claire Dubois a évoqué la possibilité d'un accord. "
        'La directrice du port s\'est félicitée de ce "pas important pour tous les marins".'
    )
    found = speakers_in(text, "fr")
    assert found['La maire, Claire Dubois, a évoqué "une saison très difficile pour le port".'] == (
        "Claire Dubois"
    )
    assert found["Claire Dubois a évoqué la possibilité d'un accord."] is None
    # No name beside the verb: no one the reader can tell.
    assert (
        found['La directrice du port s\'est félicitée de ce "pas important pour tous les marins".']
        is None
    )


def test_a_person_ending_a_sentence_after_its_quotation_is_the_speaker():
    text = (
        "Ana Ruiz, la alcaldesa, inauguró el puerto. "
        '"Hoy empieza una nueva etapa para todos", dijo ante los medios de comunicación la '
        "líder vecinal Marta Soler. "
        '"Vamos a seguir trabajando", dijo la concejala, que acompañaba ayer el alcalde Pablo '
        "Gil."
    )
    found = speakers_in(text, "es")
    assert found[next(s for s in found if s.startswith('"Hoy empieza'))] == "Marta Soler"
    # A name inside a clause of its own is not the verb's subject.
    assert found[next(s for s in found if s.startswith('"Vamos'))] != "Pablo Gil"


def test_a_body_named_after_a_preposition_does_not_end_a_speakers_voice():
    text = (
        'Rui Lopes, o autarca, falou ao fim da tarde. "O porto abre amanhã", disse Rui Lopes.'
        "\n\nO autarca deixou ainda críticas à Direção-Geral dos Portos."
        '\n\n"Esperámos demasiado tempo por esta obra e ninguém nos ouviu."'
    )
    found = speakers_in(text, "pt")
    assert found['"Esperámos demasiado tempo por esta obra e ninguém nos ouviu."'] == "Rui Lopes"


def test_the_rest_of_a_quotation_opened_by_no_ones_statement_is_no_ones():
    # The title gives Voss as speaking, but the agreement's words are not hers.
    text = (
        '"Die Hafengebühren müssen sinken", sagte Mara Voss.\n\n'
        'Stadt und Land hatten im Vertrag vereinbart: "Wir senken die Gebühren für alle Schiffe. '
        'Dafür werden wir die Kosten des Hafens prüfen."'
    )
    found = speakers_in(text, "de", title="Voss: Hafengebühren müssen sinken")
    assert found["Dafür werden wir die Kosten des Hafens prüfen."] is None


def test_a_french_speaker_who_evokes_words_says_them():
    text = (
        "Les quais de Havenport ont été inondés. La maire, Claire Dubois, a évoqué « une "
        "terrible nuit pour le port » et appelé les habitants à la prudence."
    )
    found = speakers_in(text, "fr")
    sentence = next(s for s in found if s.startswith("La maire"))
    assert found[sentence] == "Claire Dubois"


def test_a_prefix_tree_of_names_finds_what_their_alternation_longest_first_does():
    places = ["niger", "nigeria", "guinea", "guinea-bissau", "papua new guinea", "équateur",
              "st. kitts & nevis", "congo", "congo (drc)", "côte d\u2019ivoire"]  # fmt: skip
    longest_first = "|".join(map(re.escape, sorted(places, key=len, reverse=True)))
    alternation = re.compile(rf"(?<!\w)(?:{longest_first})(?!\w)", re.I)
    tree = re.compile(rf"(?<!\w)(?:{_prefix_tree(places)})(?!\w)", re.I)
    texts = [
        "Nigeria and Niger; NIGERIAN troops left Guinea-Bissau for Guinea.",
        "Papua New Guinea, Papua New Guineas, St. Kitts & Nevis and Congo (DRC) met Congo.",
        "In Équateur and Côte d\u2019Ivoire; nigerx guineas xniger Congo (DR",
    ]
    for text in texts:
        assert tree.findall(text) == alternation.findall(text)
    assert tree.findall(texts[0]) == ["Nigeria", "Niger", "Guinea-Bissau", "Guinea"]
