"""People's names in running text, in any of the articles' languages, and when two spellings
name the same person (Selenskyj / Zelensky / Zelenskyy, Peskow / Peskov, Poutine / Putin)."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from babel import Locale, UnknownLocaleError

from assistant.language.folding import fold
from assistant.language.lexicon import Lexicon, lexicon
from assistant.language.tokens import stopwords

_WORD = re.compile(r"[^\W\d_][\w'\u2019\-]*")
_NEXT_TOKEN = re.compile(r"\s*(\S+)")  # what `str.split` would give first
_LOOK_BACK_CHARS = 64  # how far `_last_words` first looks back, per word wanted


_OPENING_MARKS = "(\"'“„«\u2018"  # stripped from the words before a run: "(de Madrid"


@dataclass(frozen=True)
class NameRun:
    """Capitalised words in a row (with name particles between them): a name, or in German a
    noun phrase. `start`/`end` are offsets into the text searched."""

    start: int
    end: int
    words: tuple[str, ...]
    preceding: str = ""  # the word before the run
    preceding_words: tuple[str, ...] = ()  # the (up to) two words before it, lower-cased

    @property
    def surname(self) -> str:
        return re.sub(r"['\u2019]s?$", "", self.words[-1])

    def short(self) -> str:
        """The name without leading titles: its last two capitalised words and any particles
        between them ("Bundeskanzler Friedrich Merz" -> "Friedrich Merz")."""
        capitals = [i for i, w in enumerate(self.words) if w[0].isupper()]
        first = capitals[-2] if len(capitals) >= 2 else capitals[-1]
        return re.sub(r"['\u2019]s?$", "", " ".join(self.words[first:]))  # "Trump's" -> "Trump"


def name_runs(text: str, language: str) -> list[NameRun]:
    """Every run of capitalised words in `text`: candidate names, in order."""
    words = lexicon(language)
    # Capitalised words that start sentences and questions without being names.
    skip = words.words("names.not_names") | stopwords(language)
    particle_words = words.words("names.particles")
    runs: list[NameRun] = []
    current: list[re.Match] = []
    particles: list[re.Match] = []
    previous_end = 0
    for match in _WORD.finditer(text):
        word = match.group()
        if current:
            gap = text[previous_end : match.start()]
            punctuation = gap.strip()
            initial = len(current) > 1 and len(current[-1].group()) == 1
            # Punctuation ends a name, except after an initial ("Donald J. Trump").
            if (punctuation and not (initial and punctuation == ".")) or "\n" in gap:
                runs.append(_run(text, current))
                current, particles = [], []
        previous_end = match.end()
        if word[0].isupper() and _is_name_word(word, skip) and (len(word) > 1 or current):
            current.extend(particles)
            particles.clear()
            current.append(match)
        elif word in particle_words and _is_particle(
            word, particles, current, text, match.end(), words
        ):
            particles.append(match)
        elif current or particles:
            if current:
                runs.append(_run(text, current))
            current, particles = [], []
    if current:
        runs.append(_run(text, current))
    return runs


def _run(text: str, matches: list[re.Match]) -> NameRun:
    """The name run of these word matches, with the (up to) two words before it."""
    start = matches[0].start()
    before = text[max(0, start - 40) : start].split()[-2:]
    return NameRun(
        start, matches[-1].end(), tuple([m.group() for m in matches]), "".join(before[-1:]),
        tuple([w.lower().strip(_OPENING_MARKS) for w in before]),
    )  # fmt: skip


def person_names(text: str, language: str) -> dict[str, set[str]]:
    """The people (or bodies) an article introduces by name, each with the title words it
    gives them ("Spanish Prime Minister Pedro Sanchez" -> {"spanish", "prime", "minister"}),
    so that "the prime minister said" can be traced to them.

    A name is a run of two capitalised words or more whose last word the article never
    writes in lower case ("White House", "United States" name no one). In German, whose nouns
    are capitalised, a run after an article or preposition ("der Deutschen Presse-Agentur")
    or at a sentence start counts only with three words or more (a title, a first name and
    a surname).
    """
    lower = {w for w in _WORD.findall(text) if w.islower()}
    common = stopwords(language) if language == "de" else frozenset()
    people: dict[str, set[str]] = {}
    runs = name_runs(text, language)
    if language != "de":
        # A surname used on its own again and again ("Vance", after "JD Vance") is a person;
        # a word that ever follows an article or preposition ("del Gobierno", "Le
        # Secrétaire") is not, nor is a country ("España").
        singles = [run for run in runs if len(run.words) == 1]
        alone = Counter(run.words[0] for run in singles)
        introduced = {run.words[0] for run in singles if _after_determiner(run, language)}
        # "Estados Unidos" where "Estados" is a stop word: the tail of a place's name.
        introduced |= {
            run.words[0] for run in singles if is_place(f"{run.preceding} {run.words[0]}", language)
        }
        people.update(
            {
                w: set()
                for w, n in alone.items()
                if n >= 2
                and w.lower() not in lower
                and w not in introduced
                and not is_place(w, language)
            }
        )
    for run in runs:
        if len(run.words) < 2 or run.surname.lower() in lower or len(run.surname) < 2:
            continue
        if is_place(run.short(), language) or _place_tail(run, language):  # "United States"
            continue
        after_article = run.preceding.lower() in common or not run.preceding
        sentence_start = run.preceding[-1:] in set('.!?:"“”„«»')
        if language == "de" and len(run.words) == 2 and (after_article or sentence_start):
            continue
        short = run.short()
        particles = lexicon(language).words("names.particles")
        people.setdefault(short, set()).update(_titles(text, run, short, particles, language))
    return people


def _place_tail(run: NameRun, language: str) -> bool:
    """Whether the run's last two capitalised words are the tail of a state's or a body's
    name ending in a place, not a person's name ("República Bolivariana de Venezuela")."""
    particles = lexicon(language).words("names.particles")
    short = run.short().split()
    return (
        len(short) < len(run.words)
        and len(short) > 2
        and short[-2] in particles
        and is_place(short[-1], language)
    )


def _titles(
    text: str, run: NameRun, short: str, particles: frozenset[str], language: str
) -> set[str]:
    """The words of a person's title, lower-cased: the run's capitalised words before the
    name up to a particle ("Bundeskanzler Friedrich Merz"; not "Consejo del" in "Consejo del
    Atlántico Norte"), and the three words before the run that are lower case, all capitals
    or follow a particle ("El presidente del Gobierno, Pedro Sánchez"), in its line and not
    ending in a function word ("the first prime minister since John Howard" gives none)."""
    leading = run.words[: len(run.words) - len(short.split())]
    cut = max((i + 1 for i, w in enumerate(leading) if w in particles), default=0)
    # Only as far back as the three words can reach: a line longer than that has begun
    # before them, and splitting from its start before each name would take quadratic time.
    reach = max(0, run.start - _LOOK_BACK_CHARS * 3)
    line_start = max(text.rfind("\n", reach, run.start) + 1, reach)
    before = _last_words(text, run.start, 3) if run.start > line_start else []
    before = before[-len(text[line_start : run.start].split()) :] if before else []
    words = lexicon(language)
    function_words = stopwords(language) | words.words("names.prepositions")
    if before and not leading and before[-1].lower() in function_words:
        before = []
    kept = [
        w
        for i, w in enumerate(before)
        if w.islower() or w.isupper() or (i and before[i - 1] in particles)
    ]
    return {w.lower().strip(",") for w in (*leading[cut:], *kept)}


def _last_words(text: str, end: int, count: int) -> list[str]:
    """`text[:end].split()[-count:]`, reading back only as far as those words: splitting
    the whole text before each name would take quadratic time."""
    start = end
    reach = _LOOK_BACK_CHARS * count
    while True:
        start = max(0, start - reach)
        words = text[start:end].split()
        # One word more than wanted: the first one wanted is whole, not cut by `start`.
        if len(words) > count or start == 0:
            return words[-count:]
        reach *= 2


@lru_cache(maxsize=16)
def _territories(languages: tuple[str, ...]) -> dict[str, str]:
    """Country and region names in the languages read with, lower-cased, to their CLDR
    code (through Babel), so that "Roumanie", "Rumänien" and "Romania" meet."""
    return {
        name.lower(): code
        for language in languages
        for code, name in _locale_territories(language).items()
    }


def _locale_territories(language: str) -> dict[str, str]:
    try:
        return dict(Locale.parse(language).territories)
    except (UnknownLocaleError, ValueError):  # a language file Babel has no names for
        return {}


@lru_cache(maxsize=16)
def _places(languages: tuple[str, ...]) -> frozenset[str]:
    """Territory names, and language names, which double as nationalities in English
    ("Russian")."""
    nationalities = {name.lower() for name in Locale.parse("en").languages.values()}
    return frozenset(_territories(languages)) | nationalities


@lru_cache(maxsize=16)
def _place_pattern(languages: tuple[str, ...]) -> re.Pattern:
    """Finds the territory names in running text (longest first; none of three letters or
    fewer, which would meet words)."""
    names = [n for n in _territories(languages) if len(n) > 3]
    return re.compile(r"(?<!\w)(?:" + _prefix_tree(names) + r")(?!\w)", re.I)


def _prefix_tree(words: Iterable[str]) -> str:
    """A pattern of the alternatives `words` that shares their beginnings ("niger" and
    "nigeria": "niger(?:ia)?"), the longer first where one word begins another: it matches
    what the alternation of the words sorted longest first does, and is searched 40 times
    faster (~1,500 names: 13 us a sentence against 0.5 ms), each position being tried by
    its letter rather than by every word."""
    tree: dict[str, dict] = {}
    for word in words:
        node = tree
        for letter in word:
            node = node.setdefault(letter, {})
        node[""] = {}  # a word ends here
    return _branches(tree)


def _branches(node: dict[str, dict]) -> str:
    branches = [
        re.escape(letter) + _branches(rest) for letter, rest in sorted(node.items()) if letter
    ]
    if not branches:
        return ""
    either = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    return f"(?:{either})?" if "" in node else either  # greedy: a longer word first


@lru_cache(maxsize=1)
def _not_name_words() -> frozenset[str]:
    words = lexicon()
    common = (stopwords(language) for language in words.languages)
    return words.words("names.not_names").union(*common)


# A capitalised word or an acronym ("NATO", "EU", "COP"), hyphenated parts apart.
_CAPITALISED = re.compile(r"(?<![\w\-])[A-ZÄÖÜÁÉÍÓÚÑÇ][^\W\d_]*")
_NAME_KEY = 4  # names compared by their folded first letters: Francis / François


def name_keys(text: str, skip_first: bool = False, every_word: bool = False) -> set[str]:
    """What the text's names (capitalised words, acronyms, countries) are compared by, in
    any language: folded first letters ("fran" for Francis / François / Franziskus) and
    country codes (Romania / Roumanie / Rumänien). `skip_first`: leave out the text's first
    word (a question's "What"); `every_word`: lower-case words too, for a text searched for
    names ("regulation" holds the German question's "Regulierung")."""
    any_language = lexicon()  # names and acronyms are compared across languages
    codes = _territories(any_language.languages)
    keys = {codes[found.lower()] for found in _place_pattern(any_language.languages).findall(text)}
    # The acronyms of countries and bodies, which differ between languages, to the code
    # their full names have ("EU" is CLDR's code for the European Union); "U.S." as "US".
    dotted = any_language.regex(r"\b(?:{names.dotted_acronyms})")
    text = dotted.sub(lambda m: m.group().replace(".", "").replace(" ", ""), text)
    acronyms = any_language.table("names.acronyms")
    keys |= {acronyms[w] for w in _CAPITALISED.findall(text) if w in acronyms}
    words = (_WORD if every_word else _CAPITALISED).findall(text)[1 if skip_first else 0 :]
    skip = _not_name_words()
    folded = (fold(w)[:_NAME_KEY] for w in words if w.lower() not in skip)
    return keys | {key for key in folded if len(key) >= 2}


def load_places(languages: list[str]) -> None:
    """Load the country and region names of texts in `languages` (Babel's data, a pattern
    of ~1,500 names that takes a quarter of a second to compile): once per process, before
    questions are asked (a server's warm-up)."""
    for language in languages:
        _place_pattern(lexicon(language).languages)
        _places(lexicon(language).languages)


def mentions_place(text: str, language: str) -> bool:
    """Whether the text names a country or region ("in Saudi-Arabien", "aux États-Unis")."""
    return bool(_place_pattern(lexicon(language).languages).search(text))


def is_place(name: str, language: str) -> bool:
    """Whether `name` is a country, region or nationality ("España", "United States")."""
    return name.lower() in _places(lexicon(language).languages)


def _after_determiner(run: NameRun, language: str) -> bool:
    """Whether an article or preposition stands right before the run ("del Gobierno")."""
    words = lexicon(language)
    before = run.preceding.lower()
    return (
        before in words.words("names.determiners")
        or before in words.words("names.prepositions")
        or before.endswith(("l'", "l\u2019"))
    )


def after_preposition(run: NameRun, language: str) -> bool:
    """Whether the run follows a preposition, directly or after an article or acronym
    ("from the White House", "with NATO Secretary General Mark Rutte"; not "head of
    operations Eduardo Prieto"), with no punctuation between ("del 5%, Sánchez")."""
    words = run.preceding_words
    if not words or not words[-1][-1:].isalnum():
        return False
    # Words after which a capitalised run is a place or a body, not a speaker ("from the
    # White House", "in the Middle East", "im Iran", "en la OTAN").
    prepositions = lexicon(language).words("names.prepositions")
    determiners = lexicon(language).words("names.determiners")
    between = len(words) == 2 and (words[1] in determiners or run.preceding.isupper())
    return words[-1] in prepositions or (between and words[0] in prepositions)


def _is_particle(
    word: str, particles: list, current: list, text: str, end: int, words: Lexicon
) -> bool:
    """Whether `word` (ending at `end` in `text`) joins a name: "von der", "van den", "da",
    "de la" between capitalised words (not the German "Einschätzung von Merz" or
    "Umsetzung der Vorgaben")."""
    if word not in words.words("names.particles"):
        return False
    pairs = [pair.split() for pair in words.words("names.particle_pairs")]
    followers = {second for first, second in pairs if first == word}
    if followers:  # "von" joins only before "der", "den", "de": "von der Leyen"
        following = _NEXT_TOKEN.match(text, end)  # not text[end:]: a copy per word
        return bool(following) and following.group(1) in followers
    if word in words.words("names.particle_articles"):
        return bool(particles)
    return bool(current)


def _is_name_word(word: str, skip: frozenset[str]) -> bool:
    if not word[0].isupper() or word.lower().strip("'\u2019") in skip:
        return False
    if word.isascii() and not word.isupper():  # a lower-case letter: the common case, fast
        return True
    letters = [c for c in word if c.isalpha()]
    # "BERLIN", "AFX": datelines and agency marks, not names (interview turns are read apart).
    return not (len(letters) > 1 and all(c.isupper() for c in letters))


def same_name(asked: str, known: str) -> bool:
    """Whether a name as asked ("Selenskyj", "von der Leyen") names the person `known`
    ("Volodymyr Zelensky"): its surname matches one of the known name's words."""
    return asked_name_key(asked) in known_name_keys(known)


def asked_name_key(asked: str) -> str:
    """What `same_name` looks up of a name as asked: its folded surname."""
    return fold(asked.split()[-1])


def known_name_keys(known: str) -> list[str]:
    """What `same_name` looks a name as asked up in: the known name's words, folded."""
    particles = lexicon().words("names.particles")
    return [fold(word) for word in known.split() if word not in particles]


class NameLookup:
    """The first of some names, in their order, that `same_name` matches with a name as
    asked, found in one dictionary look-up instead of a comparison with each."""

    def __init__(self, names: Iterable[str]) -> None:
        self._first: dict[str, str] = {}
        names = list(names)
        # Surnames first: "Poilievre" is "Pierre Poilievre", not "Poilievres Wahlkreis".
        for name in names:
            if keys := known_name_keys(name):
                self._first.setdefault(keys[-1], name)
        for name in names:
            for key in known_name_keys(name):
                self._first.setdefault(key, name)

    def find(self, asked: str) -> str | None:
        """The first name `same_name(asked, name)` holds for, or None."""
        return self._first.get(asked_name_key(asked))
