"""Every article's statements and the names it uses, by article id: who is quoted (merged
across spellings), what each person said, saved with each index generation and updated
article by article like the passages."""

from __future__ import annotations

import copy
import dataclasses
import difflib
import json
import sys
import unicodedata
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path

from pydantic import (
    BaseModel,
    StrictBool,
    StrictInt,
    StrictStr,
    TypeAdapter,
    ValidationError,
)

from assistant.errors import IndexDamaged, describe_invalid
from assistant.language.folding import fold
from assistant.speech.names import asked_name_key, known_name_keys
from assistant.speech.statements import ArticleSpeech, Statement, reader_version

STATEMENTS_FILE = "statements.json"


@dataclass(frozen=True)
class Speaker:
    """A person (or body) quoted in the articles, under one name across spellings."""

    name: str
    statements: int
    articles: tuple[str, ...]


class StatementIndex:
    """Every article's statements and names, by article id; saved with each index
    generation."""

    def __init__(
        self, by_article: dict[str, ArticleSpeech], version: int | str | None = None
    ) -> None:
        self.speech = by_article
        self._version = version  # None: read by the current rules
        holders = _title_holders(list(by_article.values()))
        self.by_article = {
            aid: [_as_person(s, holders) for s in speech.statements]
            for aid, speech in by_article.items()
        }
        self._speaker_at = {
            (aid, s.start): s for aid, found in self.by_article.items() for s in found
        }
        self._by_name: dict[str, list[tuple[str, Statement]]] | None = None  # `by_name_key`
        self._names: frozenset[str] | None = None  # `mentions`

    def only(self, article_ids: Collection[str] | None) -> StatementIndex:
        """The statements of the articles `article_ids` alone (all when None), speakers
        named as across all articles (a title held by one person stays theirs)."""
        if article_ids is None:
            return self
        chosen = copy.copy(self)
        chosen.speech = {aid: s for aid, s in self.speech.items() if aid in article_ids}
        chosen.by_article = {aid: s for aid, s in self.by_article.items() if aid in article_ids}
        chosen._speaker_at = {at: s for at, s in self._speaker_at.items() if at[0] in article_ids}
        chosen._by_name = chosen._names = None
        return chosen

    @property
    def version(self) -> int | str:
        """The reading rules the statements were read by (`reader_version`; an int before
        the words were data)."""
        return reader_version() if self._version is None else self._version

    def statement_at(self, article_id: str, start: int) -> Statement | None:
        """The statement that is the sentence starting at `start`, if it is one."""
        return self._speaker_at.get((article_id, start))

    def speakers(self) -> list[Speaker]:
        """Everyone quoted, most statements first; spellings of one name merged."""
        groups: dict[str, list[tuple[str, str]]] = {}
        for aid, found in self.by_article.items():
            for s in found:
                groups.setdefault(asked_name_key(s.speaker), []).append((s.speaker, aid))
        speakers = [
            Speaker(
                Counter(name for name, _ in rows).most_common(1)[0][0],
                len(rows),
                tuple(sorted({aid for _, aid in rows})),
            )
            for rows in groups.values()
        ]
        return sorted(speakers, key=lambda s: (-s.statements, s.name))

    def by_speaker(self, asked: str) -> list[tuple[str, Statement]]:
        """(article id, statement) of everyone whose name matches `asked`
        (`Statement.voices`), in article order."""
        by_name = self.by_name_key()
        return list(by_name.get(asked_name_key(asked), ())) if by_name else []

    def by_name_key(self) -> dict[str, list[tuple[str, Statement]]]:
        """Each name key (`known_name_keys`) -> the statements voicing a person of that key,
        in article order: one look-up per question instead of comparing every statement
        (18k at 100k passages: 80 ms). Built on first use."""
        if self._by_name is None:
            by_name: dict[str, list[tuple[str, Statement]]] = {}
            for aid, found in self.by_article.items():
                for s in found:
                    keys = known_name_keys(s.speaker)
                    if s.reported:
                        keys += known_name_keys(s.reported)
                    for key in dict.fromkeys(keys):
                        by_name.setdefault(key, []).append((aid, s))
            self._by_name = by_name
        return self._by_name

    def near_names(self, asked: str, count: int = 5) -> list[str]:
        """The names of the people quoted that are spelt most like `asked` (whole or its
        surname), closest first: what someone who misspelt a name may have meant."""
        by_key: dict[str, str] = {}
        for speaker in self.speakers():
            for key in (speaker.name, speaker.name.split()[-1]):
                by_key.setdefault(_plain(key), speaker.name)
        near = difflib.get_close_matches(_plain(asked), list(by_key), n=count * 2, cutoff=0.7)
        return list(dict.fromkeys(by_key[key] for key in near))[:count]

    def mentions(self, asked: str, article_ids: Collection[str] | None = None) -> bool:
        """Whether any article (of `article_ids`, when given) uses the surname of `asked`
        at all."""
        key = asked_name_key(asked)
        if article_ids is not None:
            return any(key in self.speech[aid].names for aid in article_ids if aid in self.speech)
        if self._names is None:  # every article's, gathered once
            self._names = frozenset().union(*(speech.names for speech in self.speech.values()))
        return key in self._names

    def count(self) -> int:
        return sum(len(found) for found in self.by_article.values())

    def updated(self, removed: Iterable[str], changed: dict[str, ArticleSpeech]) -> StatementIndex:
        """A copy without the removed articles and with the changed ones replaced."""
        gone = set(removed) | set(changed)
        kept = {aid: speech for aid, speech in self.speech.items() if aid not in gone}
        # Kept statements were read by this index's rules; the result is current only when
        # they were current too, or every article was read again.
        current = self.version == reader_version() or not kept
        return StatementIndex(kept | changed, None if current else self.version)

    def save(self, folder: Path) -> None:
        rows = {
            aid: {
                "statements": [
                    [s.start, s.end, s.speaker, s.direct, *([s.reported] if s.reported else [])]
                    for s in speech.statements
                ],
                "names": sorted(speech.names),
                "titles": {person: sorted(words) for person, words in speech.titles.items()},
            }
            for aid, speech in sorted(self.speech.items())
        }
        saved = {"version": self.version, "articles": rows}
        (folder / STATEMENTS_FILE).write_text(json.dumps(saved, ensure_ascii=False), "utf-8")

    @classmethod
    def load(cls, folder: Path | None, articles: Collection[str] | None = None) -> StatementIndex:
        """The generation's statements (none without a generation or its file).

        `articles`: the ids of the generation's articles; its statements must be of exactly
        these (every article has an entry, with or without statements).

        Raises:
            IndexDamaged: the file is unreadable, of another shape, or of other articles.
        """
        path = folder / STATEMENTS_FILE if folder is not None else None
        if path is None or not path.exists():
            if articles:
                raise IndexDamaged(folder, f"its {STATEMENTS_FILE} is missing")
            return cls({})
        try:
            version, rows = _read_saved(path)
        except (OSError, ValueError) as err:  # ValidationError is a ValueError
            reason = f"unreadable {STATEMENTS_FILE}: {describe_invalid(err)}"
            raise IndexDamaged(folder, reason) from err
        if articles is not None and set(rows) != set(articles):
            raise IndexDamaged(folder, f"its {STATEMENTS_FILE} is of other articles")
        # Article by article, each raw row dropped once read: validating the whole file at
        # once held ~20 bytes for each byte of it (230 MB at 100k passages).
        speech = {}
        for aid in list(rows):
            try:
                speech[aid] = _speech(_SavedArticle.model_validate(rows.pop(aid)))
            except ValidationError as err:
                reason = f"unreadable {STATEMENTS_FILE}: {aid}: {describe_invalid(err)}"
                raise IndexDamaged(folder, reason) from err
        return cls(speech, version)


class _SavedArticle(BaseModel):
    """One article's entry in statements.json: [start, end, speaker, direct(, reported)]
    per statement, the names it uses, the title words of each person it introduces. Read
    from `json.loads`' lists, so tuples come from lists and every scalar is strict."""

    statements: list[
        tuple[StrictInt, StrictInt, StrictStr, StrictBool]
        | tuple[StrictInt, StrictInt, StrictStr, StrictBool, StrictStr]
    ]
    names: list[StrictStr]
    titles: dict[StrictStr, list[StrictStr]] = {}


class _Saved(BaseModel):
    """The file's top level; its articles are checked one by one (`_SavedArticle`)."""

    version: StrictInt | StrictStr  # int: older rules; str: `reader_version()`
    articles: dict[StrictStr, dict]


_FIRST_FILES = TypeAdapter(dict[StrictStr, dict])


def _read_saved(path: Path) -> tuple[int | str, dict[str, dict]]:
    """The version the statements were read by and each article's raw row. Files of the
    first reader held the articles alone, without a version.

    Raises:
        OSError, ValueError: the file is unreadable or of another shape.
    """
    saved = json.loads(path.read_bytes())
    try:
        head = _Saved.model_validate(saved)
    except ValidationError:
        return 1, _FIRST_FILES.validate_python(saved)
    return head.version, head.articles


def _speech(row: _SavedArticle) -> ArticleSpeech:
    # Names recur across articles: one string each (json.loads makes one per occurrence,
    # ~50 MB of them at 100k passages).
    return ArticleSpeech(
        [Statement(*r) for r in row.statements],
        frozenset(map(sys.intern, row.names)),
        {person: frozenset(map(sys.intern, t)) for person, t in row.titles.items()},
    )


def _plain(name: str) -> str:
    """A name lower-cased without accents, for comparing spellings letter by letter
    (`fold` merges sounds and drops final vowels: too coarse to rank near spellings)."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _title_holders(speech: Iterable[ArticleSpeech]) -> dict[str, str]:
    """Each speaker that is a title alone ("UN Secretary-General", from a headline) -> the
    one person the articles give all its words ("UN Secretary-General António Guterres");
    titles several people or no one holds are left out."""
    titled: dict[str, set[str]] = {}
    for article in speech:
        for person, words in article.titles.items():
            titled.setdefault(person, set()).update(words)
    # Surnames and first names of everyone introduced: a speaker named so is no title.
    named = {fold(word) for person in titled for word in person.split()}
    holders: dict[str, str] = {}
    for speaker in {s.speaker for article in speech for s in article.statements}:
        if fold(speaker.split()[-1]) in named:
            continue
        title = {word.lower() for word in speaker.split()}
        matches = [person for person, words in titled.items() if title <= words]
        if len({fold(person.split()[-1]) for person in matches}) == 1:
            holders[speaker] = max(matches, key=len)  # the fullest spelling
    return holders


def _as_person(statement: Statement, holders: dict[str, str]) -> Statement:
    """The statement under the person its speaker's title stands for, if it is a title."""
    person = holders.get(statement.speaker)
    return dataclasses.replace(statement, speaker=person) if person else statement
