"""Who said what: each article's statements (direct quotes and reported speech) and their
speakers, found at index time.

A sentence is a statement when it quotes someone (quotation marks around three words or
more), reports speech ("said", "sagte", "dijo", "a déclaré", "according to", "zufolge",
...), continues a quotation, speaks in the first person after a statement was introduced
("The following statement by ... was issued:"), or is a turn of an interview transcript
("SECRETARY RUBIO: ..."). Its speaker is the name next to the reporting words; a pronoun
("she said", "sagte er", "a-t-il déclaré") or a reporting verb without a subject refers
back to the last speaker or the last person named. Names are shortened to first name and
surname and a surname alone is linked to the full name the article gives it. Another
person whose words the speaker passes on ("Ushakov said Putin voiced ...") is recorded as
`reported`. The words these rules look for are each language's (`language.lexicon`); the
statements of a whole index are kept by `statement_index`.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from assistant.ingest.articles import Article
from assistant.ingest.passages import Passage
from assistant.language.folding import fold
from assistant.language.lexicon import Lexicon, lexicon, words_digest
from assistant.language.tokens import stopwords
from assistant.parallel import map_in_processes
from assistant.speech.names import (
    NameLookup,
    NameRun,
    after_preposition,
    is_place,
    name_runs,
    person_names,
    same_name,
)

# Raised whenever the reading rules change, so that a sync reads every article's
# statements again (passages are not embedded again: their ids stay the same). The words
# read with count too (`reader_version`).
READER_RULES = 13

# The patterns the language files' words are read with (`Lexicon.regex`). Reporting words
# anywhere in a sentence (outside its quotation); case matters: "States" and "Notes" are
# not "states" and "notes".
_CUE = r"(?<!\w)(?:{speech.reporting})(?!\w)|{speech.reporting_unbounded}"
_QUOTING_CUE = r"(?<!\w)(?:{speech.quoting})(?!\w)"  # reporting only before a quotation
_QUOTATION_GAP = 6  # words a quoting verb's quotation may start after it ("a évoqué une")
_SOURCE_CUE = "(?i:{speech.sources})"  # "according to": names a source, follows no speaker
_FIRST_PERSON = r"(?<!\w)(?:{speech.first_person})(?!\w)"
_SUBJUNCTIVE = r"(?<!\w)(?:{speech.subjunctive})(?!\w)"  # German Konjunktiv I: "sei"
_TRANSITIVE = "{speech.transitive}"  # "thanked": a name after it is its object
_NO_COMMENT = r"\b(?:{speech.no_comment})"

# Single quotes (\u2019) double as apostrophes ("Trump's"), so only double ones count.
_QUOTE = re.compile(r"[\"“”„«»\u2033\u201f]")
_OPENING_MARKS = '"“„«'  # marks that open a quotation when they open a paragraph
# Two single quotes written for one double quote (\u2019\u2019 or ''): a mark and a space, so
# that offsets into the sentence still hold.
_DOUBLED = re.compile(r"\u2019\u2019|''")
# 'Casa mia', not "dell'Ariston"
_SINGLE_QUOTED = re.compile(r"(?<!\w)['\u2018][^'\u2018\u2019\n]+['\u2019](?!\w)")
_APPOSITION = re.compile(r",\s[^,]+,\s*$")  # "Christian, chirurgien de 53 ans, " before the verb
_NO_ONE = "\x00nobody"  # the subject of "nobody said": no statement
_OPENERS = ' \u2013\u2014-"“„«'  # what may stand before a sentence's first word
# "SECRETARY RUBIO: ..." at a line's start in transcripts
_TURN = re.compile(r"([A-Z][A-Z .'\-]{1,40}):\s")
_ACRONYM = re.compile(r"(?<![\w\-])[A-ZÁÉÍÓÚÑÇÄÖÜ]{2,5}(?![\w\-])")  # "BC", "PCO", "CNE"
_TITLE_COLON = re.compile(r"\s*(?:\w+\s*)?:")  # after a title's name: "Powell speech:"
_ATTRIBUTION = re.compile(r",\s*[\"“”„«»\u2033\u201f]|[\"“”„«»\u2033\u201f]\s*,")  # '", sagte'
_QUOTATION_SENTENCES = 3  # how many sentences back a quotation's opening may be credited
_MIN_QUOTED_WORDS = 3
_CLAUSE_WORDS = 5  # a quoted stretch this long is someone's words, not a name or a title
_ROLE_WORDS = 2  # words either side of a reporting verb that may hold the speaker's title
_LEAD_CHARS = 400  # the opening of an article, where its main person is introduced
_NAME_AFTER_CUE = 6  # words after the reporting verb in which its subject may stand


@dataclass(frozen=True)
class Statement:
    """A sentence (article offsets) that is `speaker`'s words; `direct` when quoted.
    `reported`: another person whose words the speaker reports in it ("Ushakov said Putin
    voiced readiness to mediate")."""

    start: int
    end: int
    speaker: str
    direct: bool
    reported: str | None = None

    def voices(self, asked: str) -> bool:
        """Whether the sentence gives the words of the person asked about (`same_name`)."""
        return same_name(asked, self.speaker) or bool(
            self.reported and same_name(asked, self.reported)
        )


def reader_version() -> str:
    """The reading rules' version and the words' digest: statements saved under another
    are read again by the next sync."""
    return f"{READER_RULES}:{words_digest()}"


def declines_comment(sentence: str, language: str) -> bool:
    """Whether the sentence says that someone has not spoken: "The Kremlin did not
    immediately respond to a request for comment", "Eine Stellungnahme der Regierung in
    Moskau liegt zunächst nicht vor"."""
    return bool(lexicon(language).regex(_NO_COMMENT, re.I).search(sentence))


def points_back(sentence: str, language: str) -> bool:
    """Whether the sentence reports the words of the sentence before it, opening with a word
    for them right before its reporting verb ("Dies sagte Lagarde am Donnerstag.")."""
    content = r"(?i:{speech.content_back_references})\s+(?:" + _CUE + ")"
    return bool(lexicon(language).regex(content).match(sentence.lstrip(_OPENERS)))


def holds_quotation(sentence: str) -> bool:
    """Whether the sentence quotes someone's words: quotation marks around three words or
    more (as a statement's; a title in quotes, "La noia", is shorter)."""
    return _quoted_words(sentence) >= _MIN_QUOTED_WORDS


def extract_statements(
    text: str, language: str, sentences: Sequence[tuple[int, int]], title: str = ""
) -> list[Statement]:
    """The statements among an article's sentences (`sentences`: (start, end) offsets into
    `text`, in order). A person the title names ("Remarks by President António Costa ...")
    is the speaker of first-person sentences no one else is."""
    return article_speech(text, language, sentences, title).statements


def statements_of_many(
    articles: Sequence[Article], passages: Sequence[Sequence[Passage]]
) -> dict[str, ArticleSpeech]:
    """Each article's statements and names (by id), read from the sentences of its
    passages; on every core for large batches."""
    jobs = [
        (a.text, a.language, sorted({span for p in found for span in p.sentences}), a.title)
        for a, found in zip(articles, passages, strict=True)
    ]
    found = map_in_processes(_extract_job, jobs, chars=sum(len(a.text) for a in articles))
    return {a.id: statements for a, statements in zip(articles, found, strict=True)}


def _extract_job(job: tuple[str, str, list[tuple[int, int]], str]) -> ArticleSpeech:
    return article_speech(*job)


class _Reader:
    """Reads an article's sentences in order, remembering who spoke and who was named."""

    def __init__(self, text: str, language: str, title: str = "") -> None:
        self.text = text
        self.language = language
        self.words = lexicon(language)
        self.last_speaker: str | None = None
        self.previous_was_statement = False
        self.last_person: str | None = None
        self.spoken: set[str] = set()  # who has spoken so far
        self.other_named = False  # someone but the last speaker named since their statement
        self.inside: dict[int, bool] = {}  # sentence start -> it starts inside a quotation
        self.open_quote = False  # a quotation runs on past the sentence end
        self.opener_spoke = False  # the sentence opening that quotation is a statement
        self.colon_speaker: str | None = None  # "statement by X was issued:" -> X's words
        self.introduced = False  # the sentence before introduced a quotation with a colon
        self.turn: tuple[int, str] | None = None  # (paragraph start, speaker) in transcripts
        self.title_and_text = f"{title}\n\n{text}"
        self.roles = person_names(self.title_and_text, language)
        self.bare_names: frozenset[str] | None = None  # `_bare_names`, when first needed
        self.lower_words = {w for w in text.split() if w.islower()}
        self.people = sorted(self.roles, key=len, reverse=True)
        self.named = NameLookup(self.people)  # `_person` of a surname
        self.line_breaks = [found.start() for found in re.finditer("\n", text)]
        self.acronyms = _acronyms(f"{title}\n\n{text}", language)
        # Whose words unattributed first-person sentences are: the person the title names,
        # else the first person the article names (speeches and statements are published so).
        # Whose quotations no one is named for are: the person the title gives as speaking.
        self.title_voice = self._title_voice(title)
        self.article_speaker = (
            self._title_speaker(title)
            or _title_role(title, language)
            or next(
                (n for run in name_runs(text[:_LEAD_CHARS], language) if (n := self._person(run))),
                None,
            )
        )

    def read(self, start: int, end: int) -> Statement | None:
        sentence = self.text[start:end]
        introduced = self.introduced
        speaker, direct = self._speaker(start, sentence, introduced)
        introduces = self.introduced and not introduced  # "Trump told Americans:"
        if self.open_quote and not self.inside[start]:
            self.opener_spoke = speaker is not None
        self.introduced = introduces
        self.previous_was_statement = speaker is not None
        if speaker is None:
            if introduces and self.colon_speaker:
                self.last_person = self.colon_speaker  # not another person it names
            else:
                self._remember_people(sentence)
            self.other_named = self.other_named or self._names_other(sentence)
            return None
        self.other_named = False
        self.last_speaker = speaker
        self.spoken.add(speaker)
        return Statement(start, end, speaker, direct, self._reported(sentence, speaker))

    def _speaker(self, start: int, sentence: str, introduced: bool) -> tuple[str | None, bool]:
        sentence = _DOUBLED.sub('" ', sentence)
        turn = self._turn(start)
        # A quotation mark opening a paragraph opens a quotation, whether a new one or the
        # next paragraph of one running on: a mark left unpaired before ends there.
        continues = self.open_quote and not (
            self._paragraph_start(start) == start and sentence[:1] in _OPENING_MARKS
        )
        self.inside[start] = continues
        quoted = _quoted_words(sentence, continues)
        direct = quoted >= _MIN_QUOTED_WORDS or continues
        # An odd number of marks opens a quotation, or closes the one left open.
        self.open_quote = (len(_QUOTE.findall(sentence)) % 2 == 1) != continues
        if turn is not None:
            return turn, True
        if self.turn is not None:  # an interviewer's turn: the question is no one's statement
            return None, False
        outside = _outside_quotes(sentence, continues)
        people = self._people_in(outside)
        cues = self._cues(outside, people)
        next_to = [name for cue in cues if (name := self._next_to(outside, cue, *people))]
        # In a published statement or speech, the speaker's own first-person sentences.
        # Not inside single quotes: a title ("quarto Ghali con 'Casa mia'").
        unquoted = _SINGLE_QUOTED.sub(lambda m: _blank(m.group()), outside)
        first_person = self.words.regex(_FIRST_PERSON, re.I).search(unquoted) and not direct
        if not next_to and first_person and (self.colon_speaker or self.article_speaker):
            return self.colon_speaker or self.article_speaker, False
        if cues:
            speaker = self._subject(outside, cues[0], next_to, people)
            if speaker is None:
                return None, False
            if outside.rstrip().endswith(":"):
                # "The following statement by X was issued:" introduces X's words; the
                # introduction itself is not among them.
                self.colon_speaker = speaker
                self.introduced = True
                return (speaker, direct) if quoted >= _MIN_QUOTED_WORDS else (None, False)
            return speaker, direct
        whole_quote = quoted >= _MIN_QUOTED_WORDS and quoted >= 0.8 * len(sentence.split())
        if (continues or whole_quote) and self.previous_was_statement and self.last_speaker:
            return self.last_speaker, True
        if whole_quote and introduced:  # "Trump told Americans:" then the quotation
            return self.colon_speaker, True
        # The rest of a quotation opened by no one's statement is no one's either ('CDU und
        # SPD hatten vereinbart: "Wir wollen ... . Dafür werden wir ..."').
        unowned = continues and not self.opener_spoke
        if whole_quote and self.title_voice and not unowned:  # "Powell: ..." then his quotes
            return self.title_voice, True
        sole = self._sole_voice_quotation(sentence, outside, continues, whole_quote, people[1])
        if sole and not unowned:
            return self.last_speaker, True
        # German reported speech runs on in the subjunctive: "Die Brücke sei ...".
        reported = self.words.own.regex(_SUBJUNCTIVE).search(outside)
        if reported and self.previous_was_statement and self.last_speaker:
            # "Schneider begründete die Bitte damit, dass ... gebe": the subject speaks.
            opening = [n for r, n in people[1] if not outside[: r.start].strip(_OPENERS)]
            return (opening[0] if opening else self.last_speaker), direct
        return None, False

    def _cues(
        self, outside: str, people: tuple[list[NameRun], list[tuple[NameRun, str]]]
    ) -> list[re.Match]:
        """The reporting words of a sentence (quotations blanked in `outside`), in order."""
        # "According to a joint statement", "laut Regierung": a source, not a person to
        # refer back to, unless a name stands right after it.
        cues = [
            c
            for c in self.words.regex(_CUE).finditer(outside)
            if not _not_reporting(outside, c, self.words)
            and (
                not self.words.regex(_SOURCE_CUE).fullmatch(c.group())
                or self._next_to(outside, c, *people)
                or self._by_role(outside, c)
            )
        ]
        # A quoting verb ("a évoqué") reports only with a quotation after it and a name
        # beside it: its subject is not looked for further ("le PDG du groupe l'admet").
        quoting = self.words.regex(_QUOTING_CUE).finditer(outside)
        cues += [
            c
            for c in quoting
            if _quotation_follows(outside, c)
            and self._next_to(outside, c, *people) not in (None, _NO_ONE)
        ]
        return sorted(cues, key=lambda c: c.start())

    def _sole_voice_quotation(
        self,
        sentence: str,
        outside: str,
        continues: bool,
        whole_quote: bool,
        people: list[tuple[NameRun, str]],
    ) -> bool:
        """Whether a quotation no one is named for goes on in the voice of the one person
        quoted so far: when it is whole, or when a clause is quoted (not names in quotes:
        "Les Échos") with a person's pronoun or a source word standing for its speaker
        ('"...," he shared', "Selon la présidente de la BCE, « ... »"), no one else named
        (but after a preposition: "a consensus between all Member States")."""
        clause = _longest_quotation(sentence, continues) >= _CLAUSE_WORDS
        voiced = whole_quote or (clause and self._voice_word(outside))
        others = [r for r, _ in people if not after_preposition(r, self.language)]
        return voiced and not others and self._sole_voice()

    def _subject(
        self,
        outside: str,
        cue: re.Match,
        next_to: list[str],
        people: tuple[list[NameRun], list[tuple[NameRun, str]]],
    ) -> str | None:
        """Who speaks in a sentence with reporting words (`cue` the first): the name next to
        them, else one near them, else whom the sentence refers back to; None when it is
        no one the reader can tell."""
        if not next_to and _after_relative(outside, cue, self.words):
            return None  # "selon le réseau des médecins, qui dénonce": no person
        speaker = next(iter(next_to), None) or self._named_near(outside, cue, people[1])
        if speaker is None and _opens_with_other(outside, people[0], cue, self.language):
            return None  # "Russia rejected the plan": no one to refer back to
        speaker = speaker or self._referent()
        return None if speaker == _NO_ONE else speaker

    def _reported(self, sentence: str, speaker: str) -> str | None:
        """A person other than the speaker right before a reporting verb anywhere in the
        sentence, quotations included ("Ushakov explained that Putin voiced ...", "...:
        "Putin emphasized the importance ...""): whose words the speaker passes on."""
        plain = _QUOTE.sub(" ", sentence)
        _, people = self._people_in(plain)
        for cue in self.words.regex(_CUE).finditer(plain):
            before = [(r, n) for r, n in people if r.end <= cue.start()]
            close = before and len(plain[before[-1][0].end : cue.start()].split()) <= 1
            if close and not same_name(before[-1][1], speaker):
                return before[-1][1]
        return None

    def _voice_word(self, outside: str) -> bool:
        """Whether the words outside a quotation hold a person's pronoun ("he", "elle") or
        a source word ("according to", "selon"): someone is speaking, unnamed."""
        pronouns = self.words.words("speech.pronouns") - self.words.words("speech.neuter_pronouns")
        words = {w.strip(",.:;!?()").lower() for w in outside.split()}
        return bool(words & pronouns) or bool(self.words.regex(_SOURCE_CUE).search(outside))

    def _names_other(self, sentence: str) -> bool:
        """Whether the sentence names a person other than the last speaker who could speak:
        not after a preposition ("críticas à Procuradoria-Geral da República")."""
        _, people = self._people_in(_outside_quotes(sentence, self.open_quote))
        return any(
            not after_preposition(run, self.language)
            and not (self.last_speaker and same_name(name, self.last_speaker))
            for run, name in people
        )

    def _sole_voice(self) -> bool:
        """Whether everyone quoted so far is one person and no one else has been named
        since: a quotation no one is named for then goes on in that person's voice (news
        name the speaker once and run their further quotations as paragraphs of their own)."""
        speaker = self.last_speaker
        if speaker is None or not all(same_name(s, speaker) for s in self.spoken):
            return False
        return not self.other_named

    def _paragraph_start(self, start: int) -> int:
        """Where the line holding the offset `start` begins."""
        # Bisecting the line breaks: searching the text back from each sentence would take
        # quadratic time on one long line.
        before = bisect.bisect_left(self.line_breaks, start)
        return self.line_breaks[before - 1] + 1 if before else 0

    def _turn(self, start: int) -> str | None:
        """The speaker of the transcript turn this sentence belongs to, if any."""
        paragraph = self._paragraph_start(start)
        if paragraph == start and (match := _TURN.match(self.text, start)):
            label = match.group(1).strip()
            asks = label in self.words.words("speech.interviewers")
            self.turn = (paragraph, "" if asks else label.split()[-1].title())
        elif self.turn and paragraph > self.turn[0]:
            self.turn = None  # a new paragraph without a label ends the turn
        return (self.turn[1] or None) if self.turn else None

    def _title_speaker(self, title: str) -> str | None:
        """The person a title names, the one next to a reporting verb first ("Trump's
        tariffs a major blow, says von der Leyen")."""
        runs, people = self._people_in(title)
        for cue in self.words.regex(_CUE).finditer(title):
            if (name := self._next_to(title, cue, runs, people)) is not None:
                return name
        return people[0][1] if people else None

    def _title_voice(self, title: str) -> str | None:
        """The person a title gives as speaking: next to a reporting verb ("..., says von
        der Leyen"; not "according to", which may be no verb: "secondo Geolier" is second
        place), or opening it before a colon ("Powell: Inflation is ...", "Powell speech:
        ...")."""
        runs, people = self._people_in(title)
        for cue in self.words.regex(_CUE).finditer(title):
            if self.words.regex(_SOURCE_CUE).fullmatch(cue.group()):
                continue
            if (name := self._next_to(title, cue, runs, people)) not in (None, _NO_ONE):
                return name
        for run, name in people:
            if not title[: run.start].strip(_OPENERS) and _TITLE_COLON.match(title, run.end):
                return name
        return None

    def _people_in(self, outside: str) -> tuple[list[NameRun], list[tuple[NameRun, str]]]:
        """The sentence's name runs (places left out) and those that name a person."""
        runs = [
            r
            for r in name_runs(outside, self.language)
            if not _place_like(r, self.language, self.words)
        ]
        return runs, [(run, name) for run in runs if (name := self._person(run))]

    def _next_to(
        self, outside: str, cue: re.Match, runs: list[NameRun], people: list[tuple[NameRun, str]]
    ) -> str | None:
        """The subject right next to a reporting verb: a pronoun ("she said", "sagte er",
        "Er dankte"), a person named just before it ("Merz sagte") or just after it ("said
        UN chief António Guterres"), or an unintroduced name touching it ("Vance said")."""
        before_words = outside[: cue.start()].split()[-2:]  # "He also said"
        after_words = outside[cue.end() :].split()[:1]
        if self.language == "en" and not re.match(r"\s*\w+\s*[.,;!?]", outside[cue.end() :]):
            after_words = []  # "said he believed": the reported clause's subject, not "said he."
        adjacent = [w.lower().strip(",") for w in before_words + after_words]
        last_word = outside.split()[-1].strip(".!?") if outside.split() else ""
        nobody, pronouns = self.words.words("speech.nobody"), self.words.words("speech.pronouns")
        if any(w in nobody for w in adjacent) or last_word in nobody:
            return _NO_ONE
        said_by = [w for w in [cue.group().lower(), *adjacent] if w in pronouns]
        if said_by:
            # "it said" stands for the body that spoke just before, never for a person.
            neuter = set(said_by) <= self.words.words("speech.neuter_pronouns")
            if neuter and not (self.previous_was_statement and self.last_speaker):
                return _NO_ONE
            return self._referent(pronoun=True)
        # "According to" names its source after it: a name before it is not the speaker
        # ("... in Lisboa e Vale do Tejo, segundo informação oficial"); a source word that
        # follows its source ("Rubio zufolge") is read like any reporting word.
        source = bool(self.words.regex(_SOURCE_CUE).fullmatch(cue.group())) and (
            cue.group().lower() not in self.words.words("speech.sources_after_name")
        )
        before = [] if source else self._subjects_before(people, cue)
        # "Luis Rubiales, presidente de la Federación Española, aseguró": the person the
        # sentence opens with, not a name inside the apposition that follows them.
        opener = before[0] if before else None
        opens = opener and not outside[: opener[0].start].strip(_OPENERS)
        if opens and _APPOSITION.match(outside[opener[0].end : cue.start()]):
            return self._remembered(opener[1])
        if before and len(outside[before[-1][0].end : cue.start()].split()) <= 1:
            return self._remembered(before[-1][1])
        following = [
            (r, n)
            for r, n in people
            if r.start >= cue.end() and not self._object_follows(outside, cue)
        ]
        if following and not outside[cue.end() : following[0][0].start].split():
            return self._remembered(following[0][1])  # "sagte Bundeskanzler Friedrich Merz"
        if (body := self._body_next_to(outside, cue, source)) is not None:
            return body
        after_cue = [r for r in runs if r.start >= cue.end()] if source else runs
        if (adjacent_name := self._adjacent_name(outside, after_cue, cue)) is not None:
            return self._remembered(adjacent_name)
        return None

    def _body_next_to(self, outside: str, cue: re.Match, source: bool) -> str | None:
        """A body named by its acronym as the verb's subject ("the PCO said", "o BC
        informou", "informou o BC", "according to the PCO"): under the name whose initials
        it is, if the article gives one ("Banco Central" for "BC"). Not an acronym after a
        preposition ("el presidente de la CNE aseguró") or before a noun ("according to the
        US authorities"), nor the object of "told ARD"."""
        determiners = self.words.words("names.determiners")
        prepositions = self.words.words("names.prepositions") | self.words.words("names.particles")
        before = [] if source else outside[: cue.start()].split()[-3:]
        if before and before[-2:-1] and before[-2].lower() in determiners:
            before = before[:-2] + before[-1:]  # "de la CNE" -> "de CNE"
        if len(before) >= 2 and before[-2].lower() in prepositions:
            before = []
        after = [] if self._object_follows(outside, cue) else outside[cue.end() :].split()[:3]
        determined = bool(after) and after[0].lower() in determiners
        if determined:
            after = after[1:]
        elif not source:
            after = []  # "told ARD": its object; "said the PCO", "segundo o BC": its subject
        # After the verb only as the clause's last word or before a preposition ("said the
        # PCO in a statement", "informou o BC."): not "the US authorities", where it
        # qualifies a noun, nor "said the ECB was", where it is the reported clause's subject.
        ends = len(after) < 2 or after[0][-1:] in ",.;:!?)" or after[1].lower() in prepositions
        modifies = not ends
        for word in [*before[-1:], *([] if modifies else after[:1])]:
            acronym = word.rstrip(",.;:")
            if _ACRONYM.fullmatch(acronym):
                return self.acronyms.get(acronym, acronym)
        # Or by the name the article abbreviates, after the verb: "según los resultados que
        # anunció el Consejo Nacional Electoral (CNE)".
        if determined:
            following = outside[cue.end() :].split(maxsplit=1)[-1]
            return next((b for b in self.acronyms.values() if following.startswith(b)), None)
        return None

    def _subjects_before(
        self, people: list[tuple[NameRun, str]], cue: re.Match
    ) -> list[tuple[NameRun, str]]:
        """The people named before the reporting verb who may be its subject: not one after
        "by" ("La Corte, presieduta da Stefano Manduzio, ha dichiarato")."""
        agents = self.words.words("speech.agents")
        return [
            (r, n) for r, n in people if r.end <= cue.start() and r.preceding.lower() not in agents
        ]

    def _named_near(
        self, outside: str, cue: re.Match, people: list[tuple[NameRun, str]]
    ) -> str | None:
        """The subject of a reporting verb with none next to it: the person the sentence
        opens with ("Vance, making his first speech, said"), a title next to it ("the prime
        minister said"), a person a few words after it, the first person named before it."""
        before = self._subjects_before(people, cue)
        if before and not outside[: before[0][0].start].strip(_OPENERS):
            return self._remembered(before[0][1])
        if by_role := self._by_role(outside, cue):
            return self._remembered(by_role)
        # A person a few words after the verb, unless a preposition makes them its object
        # ("said at a meeting with NATO Secretary General Mark Rutte").
        following = [
            (r, n)
            for r, n in people
            if r.start >= cue.end()
            and not after_preposition(r, self.language)
            and not self._object_follows(outside, cue)
        ]
        if following and len(outside[cue.end() : following[0][0].start].split()) <= _NAME_AFTER_CUE:
            return self._remembered(following[0][1])
        # After a quotation the sentence opens with, a person ending it is the verb's subject
        # however far from it ('"...", dijo ante los medios la líder opositora María Machado'),
        # unless a clause comes between ("a dit le milliardaire, qui ... Donald Trump").
        quotation_first = not outside[: cue.start()].strip(_OPENERS + "_ ,")
        last = following[-1] if following else None
        if quotation_first and last and not outside[last[0].end :].strip(" .!?"):
            between = outside[cue.end() : last[0].start]
            if not re.search(r"[,;:()]", between):
                return self._remembered(last[1])
        if before:
            return self._remembered(before[0][1])
        return None

    def _adjacent_name(self, outside: str, runs: list[NameRun], cue: re.Match) -> str | None:
        """A name the article never introduces in full, right next to the reporting verb
        ("Vance said", "said Vance"), and never written in lower case in the article. Not in
        German, whose nouns are capitalised ("Laut Angaben der Ukraine")."""
        if self.language == "de":
            return self._bare_name_after(outside, runs, cue)
        for run in runs:
            gap = (
                outside[run.end : cue.start()]
                if run.end <= cue.start()
                else outside[cue.end() : run.start]
            )
            # A capitalised first word is no name: "Responding in a statement, ..."
            opens = not outside[: run.start].strip(_OPENERS)
            # "del Gobierno", "España"; but "the Kremlin said" is a body speaking
            titled = after_preposition(run, self.language) or is_place(run.short(), self.language)
            if gap.strip(" ,") or opens or titled or run.surname.lower() in self.lower_words:
                continue
            return run.short()
        return None

    def _bare_name_after(self, outside: str, runs: list[NameRun], cue: re.Match) -> str | None:
        """In German, a surname alone right after the verb ("sagte Nagel laut Redetext", "so
        Nagel"): a word the article writes capitalised and alone at least twice, never after
        an article or preposition (as nouns are: "die Inflation") and never in lower case."""
        if self.bare_names is None:
            self.bare_names = _bare_names(self.title_and_text, self.language, self.lower_words)
        return next(
            (
                r.words[0]
                for r in runs
                if len(r.words) == 1
                and r.start >= cue.end()
                and not outside[cue.end() : r.start].strip()
                and r.words[0] in self.bare_names
            ),
            None,
        )

    def _referent(self, pronoun: bool = False) -> str | None:
        """Whom "he said" (`pronoun`) or a verb without a subject refers to: the speaker of
        the sentence before, else the last person named. A verb without a subject goes on
        with whoever is speaking in the article: a person named in passing since ("la
        formación del expresidente Carles Puigdemont quiere ...", "o governo Dilma
        Rousseff") takes it only once they have spoken or are the article's main person."""
        if self.previous_was_statement and self.last_speaker:
            return self.last_speaker
        if pronoun or self.last_person is None:
            return self.last_person or self.last_speaker
        main = self.article_speaker is not None and same_name(
            self.last_person, self.article_speaker
        )
        if self.last_person in self.spoken or main:
            return self.last_person
        return self.last_speaker

    def _object_follows(self, outside: str, cue: re.Match) -> bool:
        """Whether a name after the verb is its object, not its subject: after a verb like
        "thanked" or "dankte" whose subject stands before it ("Der Kanzler dankte Ursula
        von der Leyen"; but "Dann verteidigte Merz das Bündnis")."""
        if not self.words.regex(_TRANSITIVE).search(cue.group()):
            return False
        before = outside[: cue.start()].strip(_OPENERS).split()
        if self.language == "en" or not before:
            return bool(before)
        openers = self.words.words("speech.pronouns") | self.words.words("speech.subject_openers")
        return len(before) <= 3 and before[0].lower() in openers

    def _by_role(self, outside: str, cue: re.Match) -> str | None:
        """The person whose title stands next to the reporting verb ("the Spanish prime
        minister said", "sagte der Minister"), the last one named first."""
        after = [] if self._object_follows(outside, cue) else outside[cue.end() :].split()
        near = outside[: cue.start()].split()[-_ROLE_WORDS:] + after[:_ROLE_WORDS]
        words = {w.lower().strip(",.:;") for w in near} - stopwords(self.language)
        # Nationalities are no titles: "stated Russian presidential aide Yuri Ushakov".
        words = {
            w
            for w in words
            if (len(w) >= 4 or w.upper() in near) and not is_place(w, self.language)
        }
        candidates = [self.last_person, *self.people] if self.last_person else self.people
        # The same word first ("President"), then a compound's end ("Bundeskanzler" for
        # "Kanzler"; "U.S.-Israeli" must not beat "President").
        for same in (lambda t, w: t == w, lambda t, w: t.endswith(w) or w.endswith(t)):
            for name in candidates:
                titles = [t for t in self.roles.get(name, ()) if len(t) >= 4]
                if any(same(t, w) for t in titles for w in words):
                    return name
        return None

    def _person(self, run: NameRun) -> str | None:
        """The article's person this run names, if it names one."""
        short = run.short()
        if short in self.roles:
            return short
        # "Merz", "Parteichef Poilievre": the surname of someone the article introduced.
        return self.named.find(run.surname)

    def _remembered(self, name: str) -> str:
        self.last_person = name
        return name

    def _remember_people(self, sentence: str) -> None:
        """The first person the sentence names, for a "he" after it (not a place: "in
        Addis Ababa")."""
        _, people = self._people_in(_outside_quotes(sentence, self.open_quote))
        if people:
            self.last_person = people[0][1]

    def linked(self, statements: list[Statement], runs: list[NameRun]) -> list[Statement]:
        """Each speaker under the fullest name the article gives them ("Merz" -> "Friedrich
        Merz"); `runs`: the article's `name_runs`."""
        full = [r.short() for r in runs if len(r.words) > 1]
        most_common = NameLookup(name for name, _ in Counter(full).most_common())

        def fullest(speaker: str) -> str:
            if len(speaker.split()) > 1:
                return speaker
            return most_common.find(speaker) or speaker

        return [
            Statement(
                s.start, s.end, fullest(s.speaker), s.direct, s.reported and fullest(s.reported)
            )
            for s in statements
        ]


def _acronyms(text: str, language: str) -> dict[str, str]:
    """The names the text gives whose capitalised words' initials spell an acronym ("Banco
    Central" for "BC", "Presidential Communications Office" for "PCO"), the first one
    given for each; the acronyms are those the text uses."""
    used = set(_ACRONYM.findall(text))
    found: dict[str, str] = {}
    for run in name_runs(text, language):
        capitals = [w for w in run.words if w[0].isupper()]
        for k in range(2, len(capitals) + 1):  # "the Philippine Presidential ... Office"
            initials = "".join(w[0] for w in capitals[-k:])
            if initials in used:
                tail = run.words[run.words.index(capitals[-k]) :]
                found.setdefault(initials, " ".join(tail))
    return found


def _bare_names(text: str, language: str, lower_words: set[str]) -> frozenset[str]:
    """Capitalised words the text uses alone at least twice, never right after an article
    or a preposition and never in lower case, and no place: surnames, in a language whose
    nouns are capitalised too."""
    words = lexicon(language).own
    determined = words.words("names.determiners") | words.words("names.prepositions")
    runs = name_runs(text, language)
    nouns = {r.words[0] for r in runs if r.preceding.lower() in determined}
    alone = Counter(r.words[0] for r in runs if len(r.words) == 1)
    return frozenset(
        w
        for w, n in alone.items()
        if n >= 2
        and w not in nouns
        and w.lower() not in lower_words
        and w.lower() not in stopwords(language)
        and not is_place(w, language)
    )


def _title_role(title: str, language: str) -> str | None:
    """The title a headline gives whose words an article is when it names no person ("UN
    Secretary-General's COP29 closing statement" -> "Secretary-General"): a capitalised
    run in the possessive. `StatementIndex` links it to the person other articles give
    that title."""
    for run in name_runs(title, language):
        if re.search(r"['\u2019]s$", run.words[-1]) and not is_place(run.short(), language):
            # An acronym before it belongs to the title: "UN Secretary-General".
            before = title[: run.start].split()[-1:]
            body = [w for w in before if w.isupper() and len(w) > 1]
            return " ".join([*body, run.short()])
    return None


def _opens_with_other(outside: str, runs: list[NameRun], cue: re.Match, language: str) -> bool:
    """Whether the sentence opens, before its reporting verb, with a country, a body of
    several words or a name set off by an apposition ("Christian, chirurgien de 53 ans,
    insiste"), none a person the article introduced: its subject, which no "he" of an
    earlier sentence is. A single capitalised word alone may just open the sentence
    ("Además, ha destacado")."""
    return any(
        r.end <= cue.start()
        and not outside[: r.start].strip(_OPENERS)
        and (
            is_place(r.short(), language)
            or len(r.words) > 1
            or _APPOSITION.match(outside[r.end : cue.start()])
        )
        for r in runs
    )


def _after_relative(outside: str, cue: re.Match, words: Lexicon) -> bool:
    """Whether the reporting verb follows a relative pronoun ("the ministry, which said",
    "selon le réseau des médecins, qui dénonce"): its subject is the noun before that."""
    before = outside[: cue.start()].split()[-1:]
    return bool(before) and before[0].lower() in words.words("speech.relatives")


def _not_reporting(sentence: str, cue: re.Match, words: Lexicon) -> bool:
    """A reporting word used as a noun ("There is a saying"), negated ("did not say", "no
    ha respondido", "n'a pas déclaré") or giving another name between two names
    ("Mohamed Hamdan Dagalo, dit Hemedti"): no one's statement."""
    before = [w.lower().strip(",") for w in sentence[: cue.start()].split()[-2:]]
    if cue.group().lower() in words.words("speech.aliases"):
        name_before = sentence[: cue.start()].rstrip(" ,").split()[-1:]
        name_after = sentence[cue.end() :].split()[:1]
        if (
            name_before
            and name_after
            and name_before[0][0].isupper()
            and name_after[0][0].isupper()
        ):
            return True
    return bool(before) and (
        before[-1] in words.words("speech.noun_markers")
        or bool(words.words("speech.negations").intersection(before))
    )


def _blank(text: str) -> str:
    return re.sub(r"\S", "_", text)


def _place_like(run: NameRun, language: str, words: Lexicon) -> bool:
    """A short run after a preposition ("from the White House", "en La Haya") is a place or
    a body; a longer one may still be a titled person ("of State Marco Rubio")."""
    before = " ".join(run.preceding_words)  # "according to": a source, not a place
    according = any(before == s or before.endswith(f" {s}") for s in words.words("speech.sources"))
    agent = run.preceding.lower() in words.words("speech.agents")  # "remarks by X"
    # "le patron du RN Jordan Bardella": a person named with their party or body
    body = run.preceding.isupper() and len(run.preceding) > 1
    return (
        len(run.words) <= 2
        and after_preposition(run, language)
        and not (according or agent or body)
    )


def _quoted_words(sentence: str, inside: bool = False) -> int:
    """Words inside quotation marks (`inside`: the sentence starts inside a quotation)."""
    parts = _QUOTE.split(sentence)
    return sum(len(part.split()) for part in parts[0 if inside else 1 :: 2])


def _quotation_follows(outside: str, cue: re.Match) -> bool:
    """Whether a quotation of `_MIN_QUOTED_WORDS` or more (blanked in `outside`) starts
    within `_QUOTATION_GAP` words after the cue."""
    words = [set(w) <= {"_"} for w in outside[cue.end() :].split()]
    run = _MIN_QUOTED_WORDS
    return any(
        all(words[i : i + run]) for i in range(min(_QUOTATION_GAP + 1, len(words) - run + 1))
    )


def _longest_quotation(sentence: str, inside: bool = False) -> int:
    """The words of the longest quoted stretch (`inside` as for `_quoted_words`)."""
    parts = _QUOTE.split(sentence)
    return max((len(part.split()) for part in parts[0 if inside else 1 :: 2]), default=0)


def _outside_quotes(sentence: str, inside: bool = False) -> str:
    """The sentence with quoted stretches blanked out (same length, so offsets hold);
    `inside`: it starts inside a quotation left open by the sentence before."""
    parts = _QUOTE.split(sentence)
    if len(parts) < 2 and not inside:
        return sentence
    quoted = 0 if inside else 1
    # Quoted words become "_": no names or reporting words, but still words between others.
    blanked = "".join(_blank(p) if i % 2 == quoted else p for i, p in enumerate(parts))
    # Each quotation mark was dropped by the split: put a space back for it.
    out, at = [], 0
    for i, part in enumerate(parts):
        out.append(blanked[at : at + len(part)])
        at += len(part)
        if i < len(parts) - 1:
            out.append(" ")
    return "".join(out)


def _credit_quotes_before(
    text: str,
    language: str,
    sentences: Sequence[tuple[int, int]],
    found: list[Statement | None],
) -> list[Statement | None]:
    """A quotation no one was found for, right before a statement that opens by pointing
    back at it ("... ." Così la premier Giorgia Meloni ha commentato ...): that speaker's.
    Any sentence before a statement opening with a word for its content and then the
    reporting verb ("Die EZB hat ... beschlossen. Dies sagte Lagarde"): that speaker's."""
    opener = lexicon(language).regex(r"(?i:{speech.back_references})(?!\w)")
    credited = list(found)
    for i in range(len(found) - 1):
        start, end = sentences[i]
        after = found[i + 1]
        if found[i] is not None or after is None:
            continue
        sentence = _DOUBLED.sub('" ', text[start:end])
        quoted = _quoted_words(sentence)
        whole = quoted >= _MIN_QUOTED_WORDS and quoted >= 0.8 * len(sentence.split())
        reporting = text[after.start : after.end].lstrip(_OPENERS)
        if whole and opener.match(reporting):
            credited[i] = Statement(start, end, after.speaker, True)
        elif points_back(reporting, language):
            credited[i] = Statement(start, end, after.speaker, quoted >= _MIN_QUOTED_WORDS)
    return credited


def _credit_quotation_openings(
    text: str,
    sentences: Sequence[tuple[int, int]],
    found: list[Statement | None],
    inside: dict[int, bool],
) -> list[Statement | None]:
    """The sentences of a quotation that runs over several, before the one that closes it
    and names its speaker after a comma ('"Abhängig von den Daten ... variieren. Denn ...
    zurückkehrt", sagte Nagel'): that speaker's, back to the sentence that opened it (at
    most `_QUOTATION_SENTENCES` back)."""
    credited = list(found)
    for k, anchor in enumerate(found):
        if anchor is None or not anchor.direct or not inside.get(anchor.start):
            continue
        closing = _QUOTE.search(text, anchor.start, anchor.end)
        if closing is None or not _ATTRIBUTION.search(text, closing.start(), closing.end() + 2):
            continue
        tail = text[closing.end() : anchor.end]
        if anchor.speaker.split()[-1] not in tail:  # "sagte Nagel", not a referent
            continue
        for i in range(k - 1, max(k - 1 - _QUOTATION_SENTENCES, -1), -1):
            start, end = sentences[i]
            if credited[i] is not None:
                break
            credited[i] = Statement(start, end, anchor.speaker, True)
            if not inside.get(start):  # the sentence that opened the quotation
                break
    return credited


@dataclass(frozen=True)
class ArticleSpeech:
    """What an article says about people: its statements, every capitalised word it uses,
    folded (`names.fold`), to tell whether it names someone at all, and the title words it
    gives each person it introduces ("secretary-general" for "UN Secretary-General António
    Guterres"), to tell whom a title alone stands for."""

    statements: list[Statement]
    names: frozenset[str]
    titles: dict[str, frozenset[str]] = field(default_factory=dict)


def article_speech(
    text: str, language: str, sentences: Sequence[tuple[int, int]], title: str = ""
) -> ArticleSpeech:
    """An article's statements, the names it uses and the titles it gives people."""
    reader = _Reader(text, language, title)
    found = [reader.read(start, end) for start, end in sentences]
    found = _credit_quotes_before(text, language, sentences, found)
    found = _credit_quotation_openings(text, sentences, found, reader.inside)
    runs = name_runs(text, language)
    statements = reader.linked([s for s in found if s is not None], runs)
    names = frozenset(fold(w) for run in runs for w in run.words)
    skip = stopwords(language)
    titles = {
        person: frozenset(w for w in words if len(w) > 1 and w not in skip)
        for person, words in reader.roles.items()
    }
    return ArticleSpeech(statements, names, {p: t for p, t in titles.items() if t})
