"""The words of each language the assistant reads, from one data file per language.

`words/<code>.toml` (ISO 639-1 code) holds a language's reporting verbs, pronouns, question
words, months, units, name particles and so on; the set of languages is the set of files,
so a language is added by adding a file. `common.toml` holds what belongs to no one
language (the letters and spellings names change by, particles of names from anywhere).
`en.toml` documents every key. Where the words go into a regular expression, the module
that uses them writes the expression as a template (`Lexicon.regex`) and the lexicon fills
in the words.

A text is read with the words of its own language and of every language whose file says
`everywhere = true` (English, German, Spanish and French: their articles quote each other
and short questions are often detected as one of the others), minus the `false_friends`
its own file lists ("il" is French for "he" but Italian for "the").

    >>> words = lexicon("de")
    >>> "sie" in words.words("speech.pronouns")
    True
    >>> bool(words.regex(r"(?<!\\w)(?:{speech.reporting})(?!\\w)").search("sagte er"))
    True

The files are read once per process from `Settings.words` (`ASSISTANT_WORDS`), else from
the package; `reload_words` reads them again.
"""

from __future__ import annotations

import difflib
import hashlib
import re
import tomllib
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from pathlib import Path

from assistant.errors import LanguageFileError
from assistant.settings import Settings

WORDS = Path(__file__).parent / "words"
COMMON = Path(__file__).parent / "common.toml"

WORD, PATTERN, TABLE, FLAG = "words", "patterns", "table", "flag"
# Every key a file may hold, by section, and what it holds: words (plain words and phrases,
# matched whole and escaped where they go into a pattern), patterns (regular-expression
# fragments, tried in the order written), a table (word -> word) or a flag (true / false).
KEYS: dict[str, dict[str, str]] = {
    "language": {"everywhere": FLAG, "false_friends": WORD},
    "speech": {
        "reporting": PATTERN,
        "reporting_unbounded": PATTERN,
        "quoting": WORD,
        "participles": WORD,
        "sources": WORD,
        "sources_after_name": WORD,
        "example_verbs": WORD,
        "pronouns": WORD,
        "neuter_pronouns": WORD,
        "nobody": WORD,
        "negations": WORD,
        "noun_markers": WORD,
        "agents": WORD,
        "subject_openers": WORD,
        "subjunctive": WORD,
        "first_person": WORD,
        "transitive": PATTERN,
        "no_comment": PATTERN,
        "interviewers": WORD,
        "back_references": WORD,
        "content_back_references": WORD,
        "relatives": WORD,
        "aliases": WORD,
    },
    "names": {
        "particles": WORD,
        "particle_pairs": WORD,
        "particle_articles": WORD,
        "not_names": WORD,
        "prepositions": WORD,
        "determiners": WORD,
        "articles_before_names": WORD,
        "acronyms": TABLE,
        "dotted_acronyms": PATTERN,
    },
    "questions": {
        "what_said": WORD,
        "loose_auxiliaries": WORD,
        "loose_verbs": WORD,
        "speech_verbs": WORD,
        "follow_up_openers": WORD,
        "follow_up_pronouns": WORD,
        "person_pronouns": WORD,
        "inverted_pronoun_joiners": WORD,
        "back_references": WORD,
        "impersonal": WORD,
        "question_words": WORD,
        "possessives": WORD,
        "views": WORD,
        "changed": WORD,
        "and": WORD,
        "duration": WORD,
        "amount": WORD,
        "date": WORD,
        "credit": WORD,
        "person": WORD,
        "place": PATTERN,
    },
    "answers": {
        "months": WORD,
        "days": WORD,
        "units": PATTERN,
        "number_words": PATTERN,
        "credit_lines": PATTERN,
        "passive_auxiliaries": WORD,
        "passive_agent": PATTERN,
        "place_prepositions": WORD,
    },
    "time": {"latest": WORD, "earliest": WORD, "since": WORD, "numbers": TABLE},
}
# What only common.toml holds: the letters and spellings of `folding.fold`.
COMMON_KEYS: dict[str, dict[str, str]] = {
    "names": {"particles": WORD, "particle_pairs": WORD},
    "folding": {"spellings": TABLE, "letters": TABLE},
}
_CODE = re.compile(r"[a-z]{2,3}")
_PLACEHOLDER = re.compile(r"\{([a-z_]+\.[a-z_]+)\}")  # "{speech.reporting}"; not "{2,60}"
_SAME_FILE = re.compile(r"\{([a-z_]+)\}")  # "{participles}" in a pattern of the same section
_NEVER = "(?!)"  # the alternation of no words: matches nothing


@dataclass(frozen=True)
class LanguageFile:
    """One file's entries: `entries["speech.pronouns"]` in the order written, `tables` for
    the word -> word keys. `code` is empty for common.toml."""

    code: str
    everywhere: bool
    entries: dict[str, tuple[str, ...]]
    tables: dict[str, dict[str, str]] = field(default_factory=dict)


def read_language_file(path: Path) -> LanguageFile:
    """A language file (`<code>.toml`) read and checked: known sections and keys only,
    lists of strings for words and patterns, patterns that compile.

    Raises:
        LanguageFileError: the file cannot be read, or holds an unknown key or a bad value.
    """
    return _read(path, KEYS, path.stem)


def _read(path: Path, keys: dict[str, dict[str, str]], code: str) -> LanguageFile:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise LanguageFileError(path, f"cannot be read ({err})") from err
    entries: dict[str, tuple[str, ...]] = {}
    tables: dict[str, dict[str, str]] = {}
    everywhere = False
    for section, values in data.items():
        known = keys.get(section)
        if known is None or not isinstance(values, dict):
            raise LanguageFileError(path, f"unknown section [{section}]{_hint(section, keys)}")
        for key, value in values.items():
            kind = known.get(key)
            name = f"{section}.{key}"
            if kind is None:
                raise LanguageFileError(path, f"unknown key {name}{_hint(key, known)}")
            if kind == FLAG:
                everywhere = _flag(path, name, value)
            elif kind == TABLE:
                tables[name] = _table(path, name, value)
            else:
                entries[name] = _strings(path, name, value, kind)
    entries = {name: _expanded(path, name, found, entries) for name, found in entries.items()}
    return LanguageFile(code, everywhere, entries, tables)


def _hint(name: str, known: dict) -> str:
    close = difflib.get_close_matches(name, list(known), n=1)
    return f" (did you mean {close[0]!r}?)" if close else f"; known: {', '.join(known)}"


def _flag(path: Path, name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise LanguageFileError(path, f"{name} must be true or false")
    return value


def _table(path: Path, name: str, value: object) -> dict[str, str]:
    if isinstance(value, list):  # spellings: [["tsch", "ch"], ...], in the order applied
        pairs = [p for p in value if isinstance(p, list) and len(p) == 2]
        value = dict(pairs) if len(pairs) == len(value) else None
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise LanguageFileError(path, f"{name} must map words to words")
    return value


def _strings(path: Path, name: str, value: object, kind: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise LanguageFileError(path, f"{name} must be a list of non-empty strings")
    if kind == WORD and (bad := [v for v in value if "|" in v or v != v.strip()]):
        raise LanguageFileError(path, f"{name} holds {bad[0]!r}: words, not patterns")
    return tuple(value)


def _expanded(
    path: Path, name: str, found: tuple[str, ...], entries: dict[str, tuple[str, ...]]
) -> tuple[str, ...]:
    """A pattern's `{key}`s filled with the alternation of that key of the same section
    ("(?:ha|han) (?:{participles})"), every pattern checked to compile."""
    section = name.split(".")[0]
    if KEYS.get(section, {}).get(name.split(".")[1]) != PATTERN:
        return found
    expanded = []
    for pattern in found:
        filled = _SAME_FILE.sub(
            lambda m: _alternation(entries.get(f"{section}.{m.group(1)}", ()), escape=True),
            pattern,
        )
        try:
            re.compile(filled)
        except re.error as err:
            raise LanguageFileError(path, f"{name}: {pattern!r} is no pattern ({err})") from err
        expanded.append(filled)
    return tuple(expanded)


def _alternation(entries: tuple[str, ...] | list[str], escape: bool) -> str:
    if not entries:
        return _NEVER
    return "|".join(re.escape(e) if escape else e for e in entries)


def read_language_files(folder: Path) -> dict[str, LanguageFile]:
    """Every `<code>.toml` in `folder`, by code.

    Raises:
        LanguageFileError: the folder holds no language file, a file not named by a
            language code, or a file that does not read (`read_language_file`).
    """
    paths = sorted(folder.glob("*.toml"))
    if not paths:
        raise LanguageFileError(folder, "holds no language files (<code>.toml)")
    for path in paths:
        if not _CODE.fullmatch(path.stem):
            raise LanguageFileError(path, "is not named by a language code (en.toml, de.toml)")
    return {path.stem: read_language_file(path) for path in paths}


@lru_cache(maxsize=1)
def language_files() -> dict[str, LanguageFile]:
    """The language files in use: `Settings.words`, else the package's, read once."""
    return read_language_files(Settings().words or WORDS)


@lru_cache(maxsize=1)
def common_words() -> LanguageFile:
    """common.toml: what belongs to no one language."""
    return _read(COMMON, COMMON_KEYS, "")


def languages() -> tuple[str, ...]:
    """The codes of the languages there is a file for."""
    return tuple(language_files())


@lru_cache(maxsize=1)
def words_digest() -> str:
    """A short digest of every file in use: changes when any word does."""
    files = [COMMON, *((Settings().words or WORDS) / f"{c}.toml" for c in language_files())]
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


class Lexicon:
    """The words a text of one language is read with: common.toml's, those of every
    `everywhere` language (alphabetically) and its own, each key's entries in that order.

    Keys are named "section.key" ("speech.pronouns"), as in the files.
    """

    def __init__(self, files: tuple[LanguageFile, ...], own: LanguageFile | None) -> None:
        self.languages = tuple(f.code for f in files if f.code)
        self._files = files
        self._own = own
        friends = own.entries.get("language.false_friends", ()) if own else ()
        self._false_friends = frozenset(f.lower() for f in friends)
        self._compiled: dict[tuple[str, int], re.Pattern] = {}
        self._sets: dict[str, frozenset[str]] = {}

    def entries(self, key: str) -> tuple[str, ...]:
        """The key's entries of every file read with, in order, each once; another
        language's false friends of this one left out."""
        found: dict[str, None] = {}
        for file in self._files:
            for entry in file.entries.get(key, ()):
                if file is self._own or entry.lower() not in self._false_friends:
                    found.setdefault(entry)
        return tuple(found)

    def words(self, key: str) -> frozenset[str]:
        """The key's words as a set (as written: callers lower-case what they look up)."""
        if key not in self._sets:
            self._sets[key] = frozenset(self.entries(key))
        return self._sets[key]

    def table(self, key: str) -> dict[str, str]:
        """A word -> word key of every file read with (a later file's entry wins)."""
        merged: dict[str, str] = {}
        for file in self._files:
            merged.update(file.tables.get(key, {}))
        return merged

    def regex(self, template: str, flags: int = 0) -> re.Pattern:
        """`template` compiled with each `{section.key}` replaced by the alternation of
        the key's entries (words escaped, patterns as written; a key without entries
        matches nothing). Compiled once per lexicon."""
        compiled = self._compiled.get((template, flags))
        if compiled is None:
            compiled = re.compile(_PLACEHOLDER.sub(self._filled, template), flags)
            self._compiled[(template, flags)] = compiled
        return compiled

    def _filled(self, placeholder: re.Match) -> str:
        key = placeholder.group(1)
        section, name = key.split(".")
        kind = KEYS.get(section, {}).get(name) or COMMON_KEYS.get(section, {}).get(name)
        if kind not in (WORD, PATTERN):
            raise KeyError(f"{key} is no key of words or patterns")
        return _alternation(self.entries(key), escape=kind == WORD)

    @cached_property
    def by_language(self) -> tuple[Lexicon, ...]:
        """One lexicon per language read with, for words that go together only within a
        language (a passive's auxiliary and its agent's preposition)."""
        return tuple(Lexicon((f,), f) for f in self._files if f.code)

    @cached_property
    def own(self) -> Lexicon:
        """The words of the text's language alone (none for a language without a file),
        for what no other language's words may stand in for (the German subjunctive)."""
        return Lexicon((self._own,) if self._own else (), self._own)


@lru_cache(maxsize=64)
def lexicon(language: str | None = None) -> Lexicon:
    """The words to read a text in `language` (ISO 639-1) with; `None`, or a language
    without a file: the `everywhere` languages' words."""
    files = language_files()
    own = files.get(language) if language else None
    if language and own is None:
        # The same words as no language's: one lexicon, its patterns compiled once, for
        # every language detected that has no file ("crh", "pcm").
        return lexicon(None)
    read_with = (f for f in files.values() if f.everywhere or f is own)
    return Lexicon((common_words(), *read_with), own)


def reload_words() -> None:
    """Read the language files again at their next use (after `Settings.words` changed)."""
    for cached in (language_files, common_words, words_digest, lexicon):
        cached.cache_clear()
