"""Which articles a question is asked of: the chosen sources (`--only`, `articles=`).

A choice is a list of patterns, each an article's id (its path inside the articles folder,
"en/rates.txt"), a sub-folder ("en", "en/": a collection, every article under it), a glob
("en/*.txt", "*rates*") or any of these as a path through the articles folder
("seeds/en/rates.txt"). The articles chosen are those any pattern matches; a pattern that
matches none is an error naming it, never an empty choice that would quietly refuse.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from fnmatch import fnmatchcase
from pathlib import Path, PurePosixPath

from assistant.errors import BadQuestion, NoArticlesMatch
from assistant.question.checks import readable_text

_MAX_PATTERNS = 1000


def choose_articles(
    patterns: Sequence[str] | None, article_ids: Collection[str], folder: Path
) -> frozenset[str] | None:
    """The ids of the articles `patterns` choose among `article_ids` (the index's), paths
    read against the articles `folder`; None when no pattern is given (every article).

    Raises:
        BadQuestion: the patterns are not a list of text.
        NoArticlesMatch: a pattern matches no indexed article.
    """
    if patterns is None:
        return None
    if isinstance(patterns, str) or not isinstance(patterns, Sequence):
        raise BadQuestion("Choose articles with a list of paths, globs or sub-folders.")
    if len(patterns) > _MAX_PATTERNS:
        raise BadQuestion(f"Choose articles with at most {_MAX_PATTERNS} patterns.")
    chosen: set[str] = set()
    for pattern in patterns:
        if not isinstance(pattern, str) or not pattern.strip():
            raise BadQuestion("Each chosen article must be a non-empty path, glob or sub-folder.")
        text = readable_text(pattern).strip().replace("\\", "/").removeprefix("./")
        found = _matching(text, article_ids) or _matching(_inside(text, folder), article_ids)
        if not found:
            raise NoArticlesMatch(pattern, folder)
        chosen |= found
    return frozenset(chosen) if patterns else None


def collections(article_ids: Collection[str]) -> list[str]:
    """Every sub-folder holding articles, as "en/" (choosable like an article), sorted."""
    folders = {
        parent.as_posix() + "/"
        for article_id in article_ids
        for parent in PurePosixPath(article_id).parents
        if parent.as_posix() != "."
    }
    return sorted(folders)


def _inside(pattern: str, folder: Path) -> str:
    """The pattern relative to the articles folder when it is a path through it
    ("seeds/en/*.txt", an absolute path), else as given."""
    path = PurePosixPath(pattern)
    for base in (folder, folder.absolute()):
        base = PurePosixPath(base.as_posix())
        if base != PurePosixPath(".") and path.is_relative_to(base):
            return path.relative_to(base).as_posix()
    return pattern


def _matching(pattern: str, article_ids: Collection[str]) -> set[str]:
    """The ids an article id, a sub-folder or a glob matches."""
    if pattern in article_ids:
        return {pattern}
    folder = pattern.rstrip("/")
    if folder in (".", ""):
        return set(article_ids)
    return {
        article_id
        for article_id in article_ids
        if article_id.startswith(folder + "/") or fnmatchcase(article_id, pattern)
    }
