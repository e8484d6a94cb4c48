"""When a question asks about: the days it names ("in June 2024", "am 12. März", "en
septiembre"), relative days against an as-of date ("last week", "ontem", "vor zwei
Monaten") and an order ("the latest", "zuletzt", "la primera").

Dates are found and read by `dateparser` (its search finds date expressions in running text
of 200 languages, and its translation to English tells what kind each one is); the
language files add only what it lacks: the words that ask for the latest or the earliest
(`time.latest`, `time.earliest`) and number words it does not read in every language
(`time.numbers`: "dos" -> "2").
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import logging
import re
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path

from assistant.ingest.dates import DateRange
from assistant.language.detection import likeliest_language
from assistant.language.lexicon import languages, lexicon

logger = logging.getLogger(__name__)

LATEST, EARLIEST = "latest", "earliest"
# News reports an event a day or more after it: a named period holds articles dated up to
# this many days after it ends ("in June 2024" holds a report of 2 July).
_REPORTING_LAG = {"day": 2, "week": 2, "month": 7, "year": 7}
# A report this many days after a named period (and its lag) may still tell of it when it
# names the period's days: a month's statistics come out within about six weeks (euro-area
# inflation mid-month after, a quarter's first GDP estimate 30 days after it).
LATER_REPORT_DAYS = 45
_YEAR = re.compile(r"^(1[89]\d\d|20\d\d|2100)$")
_NUMBER = re.compile(r"\d+")
_DIGIT = re.compile(r"\d")
# A day number, then one or two joining words of up to four letters ("e", "and", "bis",
# "y el") or a dash, at the end of the text before a day read.
_DAY_BEFORE = re.compile(r"(?<![\d.,/])(\d{1,2})\.?\s*(?:(?:[^\W\d]{1,4}\s*){1,2}|[-\u2013]\s*)$")
# A date in numbers at the end of a found expression ("am 12.06.2024", "on 2024-06").
_NUMERIC_DATE = re.compile(r"\d{1,4}(?:[./-]\d{1,4}){1,2}\W*$")
# A percentage in the expression ("25% em março de 2025" of "14,25% em março", "del 25% en
# noviembre"): a rate, not a day of the month after it; the expression starts after it.
_PERCENTAGE = re.compile(r"^.*\d\s*%\s*")
# The characters read on each side of a month's name in a passage ("am 3. und 4. Mai 2024").
_AROUND_MONTH = 24
_LANGUAGE_CODE = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]+)*")


@dataclass(frozen=True)
class TimeIntent:
    """What a question, and the filters it is asked with, say about time.

    `named`: the days the question names (with the reporting lag), preferred by retrieval
    but not required; `order`: LATEST or EARLIEST, the order it asks for among the
    articles on its topic; `required`: the range given as a filter (`--since` /
    `--until`): only articles dated in it are used; `said`: the question's words read as
    dates; `year_given`: a day or month named comes with its year as written ("in July
    2024"), not guessed from the day asked ("in July", "last week").
    """

    named: DateRange | None = None
    order: str | None = None
    required: DateRange | None = None
    said: tuple[str, ...] = ()
    year_given: bool = False

    @property
    def about_time(self) -> bool:
        """Whether the question or its filters concern dates at all."""
        return bool(self.named or self.order or self.required)


def read_time(
    question: str,
    language: str,
    as_of: dt.date | None = None,
    required: DateRange | None = None,
) -> TimeIntent:
    """The time intent of `question` (in `language`), relative dates read against `as_of`
    (default: today), with the filter range `required` (None: no filter)."""
    as_of = as_of or dt.date.today()
    if not _date_words(language) and language not in languages():
        # A short question's names can make the detector pick a language dateparser does not
        # read ("... HICP inflation fall in September 2024?" as Nigerian Pidgin): its dates
        # are read in the likeliest language there are words for.
        language = likeliest_language(question, languages())
    found = _named_periods(question, language, as_of)
    rest = question
    for reading in found:  # "last" of "last week" asks for no order
        rest = rest.replace(reading.text, " ")
    order = _order(rest, language)
    finer = [r for r in found if r.unit != "year"]
    # A year alone is as often a topic ("the 2024 election", "inflation at 2% by 2025") as
    # a time: it frames the question only beside an order ("the first meeting of 2025"),
    # and never beside a finer date ("in August 2024").
    kept = finer or (found if order else [])
    named = _union([reading.period(as_of) for reading in kept])
    year_given = any(r.year_given and r.kind == "absolute" for r in kept)
    return TimeIntent(named, order, required, tuple(r.text for r in kept), year_given)


def period_mentions(text: str, language: str, dated: dt.date, period: DateRange) -> list[int]:
    """Where `text` (in `language`, from an article dated `dated`) names a month or day of
    `period` by its month's name, read against its own date ("the low inflation number for
    September", in a report of 17 October): the offsets of those names. Only the words around
    each name of the period's months are read."""
    if period.since is None or period.until is None:
        return []
    names = _month_names(language, _months_of(period))
    if names is None:
        return []
    found = []
    for match in names.finditer(text):
        around = text[max(0, match.start() - _AROUND_MONTH) : match.end() + _AROUND_MONTH]
        readings = [
            reading.period(dated, lag=False)
            for reading in _named_periods(around, language, dated)
            if reading.kind == "absolute" and reading.unit in ("day", "month")
        ]
        if any(period.since <= days.since and days.until <= period.until for days in readings):
            found.append(match.start())
    return found


def _months_of(period: DateRange) -> frozenset[int]:
    months, day = set(), period.since.replace(day=1)
    while day <= period.until and len(months) < 12:
        months.add(day.month)
        day = (day + dt.timedelta(days=32)).replace(day=1)
    return frozenset(months)


@lru_cache(maxsize=64)
def _month_names(language: str, months: frozenset[int]) -> re.Pattern | None:
    """The names of `months` (1-12) in `language` (dateparser's locale data), whole words;
    None for a language it lacks."""
    from dateparser.languages.loader import default_loader

    try:
        info = default_loader.get_locale(language).info
    except ValueError:
        return None
    names = {
        name
        for month in months
        for name in info.get(calendar.month_name[month].lower(), [])
        if len(name) > 2 and name.isalpha()
    }
    if not names:
        return None
    alternatives = "|".join(sorted(map(re.escape, names), key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def load_date_reading(languages: list[str]) -> None:
    """Load what reading a question's dates in `languages` needs, which its first reading
    would pay (dateparser's import, its time zones' patterns: a second; each language's
    locale data): once per process, before questions are asked (a server's warm-up)."""
    for language in languages:
        read_time("12.06.2024", language)
        _relative_words(language)
        _month_hyphens(language)


def _order(question: str, language: str) -> str | None:
    words = lexicon(language)
    latest = words.regex(r"(?<!\w)(?:{time.latest})(?!\w)", re.IGNORECASE).search(question)
    earliest = words.regex(r"(?<!\w)(?:{time.earliest})(?!\w)", re.IGNORECASE).search(question)
    if bool(latest) == bool(earliest):  # neither, or both: no order asked for
        return None
    return LATEST if latest else EARLIEST


def _union(periods: list[DateRange]) -> DateRange | None:
    """One range spanning every period named ("in March ... for May" asks about both)."""
    if not periods:
        return None
    return DateRange(min(p.since for p in periods), max(p.until for p in periods))


def _named_periods(question: str, language: str, as_of: dt.date) -> list[_Reading]:
    """Each date expression of the question, read. A month or day named without a year
    takes the year named elsewhere in the question ("im Mai 2024 ... im Juni"), else its
    last occurrence before `as_of`."""
    text = _digits_for_number_words(question, language)
    # A month joined to a noun ("Dezember-Sitzung", "Juni-Treffen") is read as the month:
    # dateparser reads neither part of the compound. Other compounds stay whole ("fim-de-
    # semana de 10 e 11 de agosto" split would read as 11 August alone).
    months = _month_hyphens(language) if "-" in text and _may_name_dates(text, language) else None
    spaced = months.sub(lambda m: m.group(0).replace("-", " "), text) if months else text
    found = (
        _reading(match, day, spaced, language) for match, day in _search(spaced, language, as_of)
    )
    since = lexicon(language).regex(r"(?<!\w)(?:{time.since})\s*$", re.IGNORECASE)
    readings = [
        _as_written(_span_of_days(reading, spaced), spaced, text)
        for reading in found
        if reading is not None and not _since(reading, spaced, since)
    ]
    years = {reading.year for reading in readings if reading.year_given}
    year = years.pop() if len(years) == 1 else None
    return [
        reading.in_year(year)
        if year is not None and not reading.year_given and reading.kind == "absolute"
        else reading
        for reading in readings
    ]


def _span_of_days(reading: _Reading, text: str) -> _Reading:
    """A day read with an earlier day of its month just before it ("3 e 4 de maio", "10 and
    11 August", "vom 3. bis 5. Mai"): dateparser reads the last day alone; the span starts
    at the first."""
    at = text.find(reading.text)
    if reading.unit != "day" or at < 0:
        return reading
    before = _DAY_BEFORE.search(text[:at])
    if before is None or not 1 <= int(before.group(1)) < reading.day.day:
        return reading
    return replace(reading, from_day=int(before.group(1)))


def _since(reading: _Reading, text: str, since: re.Pattern) -> bool:
    """Whether a word such as "since", "seit", "desde" stands before the reading (or begins
    it). "Since April 2024" tells when a state began, not when it was reported: the report
    may come before it ("from April, adults may grow three plants", dated March), so it
    names no days to choose articles by."""
    at = text.find(reading.text)
    before = text[:at] if at >= 0 else ""
    return bool(since.search(before) or since.search(reading.text.split()[0] + " "))


def _as_written(reading: _Reading, spaced: str, text: str) -> _Reading:
    """The reading with its text as the question writes it (hyphens kept)."""
    at = spaced.find(reading.text)
    if at < 0:
        return reading
    return replace(reading, text=text[at : at + len(reading.text)])


def _digits_for_number_words(question: str, language: str) -> str:
    """The question with number words dateparser does not read ("hace dos meses") as
    digits."""
    numbers = lexicon(language).table("time.numbers")
    if not numbers:
        return question
    pattern = re.compile(r"(?<!\w)(" + "|".join(map(re.escape, numbers)) + r")(?!\w)", re.I)
    return pattern.sub(lambda m: numbers.get(m.group(1).lower(), m.group(1)), question)


@dataclass(frozen=True)
class _Reading:
    """One date expression read: its text, its kind (absolute or relative), the day
    dateparser read and the period it names (day, week, month, year)."""

    text: str
    kind: str
    day: dt.date
    unit: str
    year_given: bool
    from_day: int | None = None  # of a span of days ("3 e 4 de maio"): its first day

    @property
    def year(self) -> int:
        return self.day.year

    def in_year(self, year: int) -> _Reading:
        last = calendar.monthrange(year, self.day.month)[1]
        day = self.day.replace(year=year, day=min(self.day.day, last))
        return replace(self, day=day, year_given=True)

    def period(self, as_of: dt.date, lag: bool = True) -> DateRange:
        """The days named, the reporting lag added unless `lag` is false (relative days end
        at `as_of`)."""
        day = self.day
        if self.unit == "day":
            first = last = day
            if self.from_day is not None:
                first = day.replace(day=self.from_day)
        elif self.unit == "week":
            first = day - dt.timedelta(days=day.weekday())
            last = first + dt.timedelta(days=6)
        elif self.unit == "month":
            first = day.replace(day=1)
            last = day.replace(day=calendar.monthrange(day.year, day.month)[1])
        else:
            first, last = dt.date(day.year, 1, 1), dt.date(day.year, 12, 31)
        last += dt.timedelta(days=_REPORTING_LAG[self.unit] if lag else 0)
        if self.kind == "relative":
            last = min(last, as_of)
        return DateRange(first, last)


def _search(text: str, language: str, as_of: dt.date) -> list[tuple[str, dt.date]]:
    """The date expressions dateparser finds in the text, each with the day it reads
    (none for a language it lacks)."""
    if not _DIGIT.search(text) and not _may_name_dates(text, language):
        return []  # dateparser's first search costs a second (it compiles its time zones)
    from dateparser.search import search_dates

    base = dt.datetime.combine(as_of, dt.time())
    settings = {"RELATIVE_BASE": base, "PREFER_DATES_FROM": "past"}
    # Numeric dates in the language's order ("12.06.2024": 12 June in German).
    if order := _date_order(language):
        settings["DATE_ORDER"] = order
    try:
        found = search_dates(text, languages=[language], settings=settings)
    except (ValueError, KeyError) as err:  # a language dateparser does not know
        logger.debug("No dates read in %s: %s", language, err)
        return []
    read = [(match, when.date()) for match, when in found or []]
    return read + _relative_phrases(text, language, settings, [m for m, _ in read])


def _relative_phrases(
    text: str, language: str, settings: dict, found: list[str]
) -> list[tuple[str, dt.date]]:
    """The relative days of dateparser's own locale data ("la semana pasada", "la semaine
    dernière") its search missed in running text, each with the day it reads: its search
    finds them alone but not inside a sentence in every language."""
    from dateparser import parse

    pattern = _relative_words(language)
    if pattern is None:
        return []
    read, seen = [], [other.lower() for other in found]
    for match in pattern.finditer(text):
        phrase = match.group(0)
        if any(phrase.lower() in other or other in phrase.lower() for other in seen):
            continue
        when = parse(phrase, languages=[language], settings=settings)
        if when is not None:
            read.append((phrase, when.date()))
    return read


@lru_cache(maxsize=32)
def _month_hyphens(language: str) -> re.Pattern | None:
    """A month name of `language` (dateparser's locale data) joined by a hyphen to a word
    before or after it."""
    from dateparser.languages.loader import default_loader

    try:
        info = default_loader.get_locale(language).info
    except ValueError:  # a language dateparser does not know
        return None
    names = {n for key in lexicon("en").own.words("answers.months") for n in info.get(key, [])}
    names = {n for n in names if len(n) > 3 and n.isalpha()}  # whole names, not "mar"
    if not names:
        return None
    alternatives = "|".join(sorted(map(re.escape, names), key=len, reverse=True))
    month = rf"(?<!\w)(?:{alternatives})(?!\w)"
    return re.compile(rf"{month}-(?=[^\W\d])|(?<=[^\W\d])-{month}", re.IGNORECASE)


@lru_cache(maxsize=32)
def _date_order(language: str) -> str | None:
    """The order of day, month and year in numeric dates of `language` (dateparser's
    locale data: "DMY", "MDY", "YMD"), None for a language it lacks."""
    from dateparser.languages.loader import default_loader

    try:
        return default_loader.get_locale(language).info.get("date_order")
    except ValueError:
        return None


@lru_cache(maxsize=32)
def _relative_words(language: str) -> re.Pattern | None:
    """The relative phrases of dateparser's locale data for `language` that name a day,
    week, month or year ("1 week ago": "la semana pasada"), longest first."""
    from dateparser.languages.loader import default_loader

    try:
        info = default_loader.get_locale(language).info
    except ValueError:  # a language dateparser does not know
        return None
    phrases = {
        phrase
        for meaning, said in info.get("relative-type", {}).items()
        if any(unit in meaning.split() for unit in _REPORTING_LAG)
        for phrase in said
        if " " in phrase.strip()  # one word ("hoy", "ayer") its search already finds
    }
    if not phrases:
        return None
    alternatives = "|".join(sorted(map(re.escape, phrases), key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def _may_name_dates(text: str, language: str) -> bool:
    """Whether the text holds a word dateparser reads dates by in `language` (a month, a
    unit such as "week", "ago", "yesterday", "letzte Woche"); without one and without a
    digit, it names no date."""
    words = _date_words(language)
    return words is not None and bool(words.search(text))


@lru_cache(maxsize=32)
def _date_words(language: str) -> re.Pattern | None:
    words = _prepared_date_words(language)
    if words is None:
        words = _locale_date_words(language)
    if not words:
        return None
    alternatives = "|".join(sorted(map(re.escape, words), key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def _prepared_date_words(language: str) -> list[str] | None:
    """`_locale_date_words`, prepared once per language, dateparser version and language
    files: a question naming no date then needs no dateparser at all, whose import and
    locale cost 0.05 CPU-s of every process's first answer. None where nothing can be
    written."""
    from importlib.metadata import version

    from assistant.language.lexicon import words_digest
    from assistant.prepared import cache_root, load_prepared

    def build(folder: Path) -> None:
        words = _locale_date_words(language)
        (folder / "words.json").write_text(json.dumps(words), encoding="utf-8")

    def read(folder: Path) -> list[str]:
        words = json.loads((folder / "words.json").read_text(encoding="utf-8"))
        if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
            raise ValueError("the prepared date words are no list of words")
        return words

    if not _LANGUAGE_CODE.fullmatch(language):  # names a folder
        return None
    stamp = f"{version('dateparser')}/{words_digest()}"
    return load_prepared(cache_root() / "dateparser" / language, stamp, build, read)


def _locale_date_words(language: str) -> list[str]:
    """The words dateparser reads dates by in `language` (none for a language it does not
    know), from its locale data."""
    from dateparser.languages.loader import default_loader

    try:
        info = default_loader.get_locale(language).info
    except ValueError:  # a language dateparser does not know
        return []
    # dateparser's locale data is keyed by English names: the months, the units, "ago".
    keys = [*lexicon("en").own.words("answers.months"), *_REPORTING_LAG, "ago"]
    words = {word for key in keys for word in info.get(key, [])}
    for meaning, phrases in info.get("relative-type", {}).items():
        if any(unit in meaning for unit in _REPORTING_LAG):
            words.update(phrases)
    return sorted(words)


def _reading(match: str, day: dt.date, text: str, language: str) -> _Reading | None:
    """What a found expression names, told by dateparser's English for it; None for what
    is no date a question asks about (a lone weekday, "now", a percentage read as a
    date)."""
    match = _PERCENTAGE.sub("", match)
    if not match:
        return None
    english = _english(match, language)
    if "ago" not in english:
        # dateparser's search can cut a relative phrase short ("il y a 3 jours" found as
        # "a 3 jours"): read it again with the two words before it.
        wider = _widened(match, text)
        if wider and "ago" in _english(wider, language):
            match, english = wider, _english(wider, language)
    words = english.split()
    numbers = [int(w) for w in words if _NUMBER.fullmatch(w)]
    year_given = any(_YEAR.match(w) for w in words)
    # dateparser translates month names into English: English's month words name them.
    if lexicon("en").own.words("answers.months") & set(words):
        unit = "day" if any(1 <= n <= 31 for n in numbers) else "month"
        return _Reading(match, "absolute", day, unit, year_given)
    units = [w for w in words if w in _REPORTING_LAG]
    if "ago" in words and len(units) == 1:
        return _Reading(match, "relative", day, units[0], True)
    letters = [w for w in words if not _NUMBER.fullmatch(w)]
    numeric = _NUMERIC_DATE.search(match)
    if numeric and (letters or not year_given):
        numbers = [int(n) for n in _NUMBER.findall(numeric.group(0))]
    elif letters:
        return None
    if not any(_YEAR.match(str(n)) for n in numbers):
        return None
    # Numbers alone: a year, a year and month ("2024-06") or a whole date ("12.06.2024").
    rest = [n for n in numbers if not _YEAR.match(str(n))]
    unit = {0: "year", 1: "month", 2: "day"}.get(len(rest))
    if unit is None or any(not 1 <= n <= 31 for n in rest) or min(rest, default=1) > 12:
        return None
    return _Reading(match, "absolute", day, unit, True)


def _widened(match: str, text: str) -> str | None:
    at = text.find(match)
    if at <= 0:
        return None
    before = text[:at].split()[-2:]
    return " ".join([*before, match]) if before else None


@lru_cache(maxsize=256)
def _english(expression: str, language: str) -> str:
    """The expression in dateparser's English ("vor 2 Monaten" -> "2 month ago"), each
    word split from punctuation."""
    from dateparser.conf import Settings
    from dateparser.languages.loader import default_loader

    try:
        locale = default_loader.get_locale(language)
    except ValueError:
        return ""
    english = locale.translate(expression, settings=Settings()).lower()
    return " ".join(re.findall(r"\w+", english))
