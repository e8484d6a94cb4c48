"""Errors meant for the user: each message says what went wrong and what to do next."""

from __future__ import annotations

import errno
from pathlib import Path

from pydantic import ValidationError


class AssistantError(Exception):
    """Base of every error the assistant raises on purpose; its message is shown to users."""


class ArticleError(AssistantError):
    """An article file could not be read; indexing skips it and goes on."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason

    def __reduce__(self) -> tuple:
        return (ArticleError, (self.path, self.reason))  # rebuilt as such in another process


class PageNotFetched(AssistantError):
    """A web page or feed could not be fetched or saved as an article; the others go on."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{url}: {reason}")
        self.url = url
        self.reason = reason


class LanguageFileError(AssistantError):
    """A language file (assistant/language/words/<code>.toml, or one in ASSISTANT_WORDS)
    cannot be used."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(
            f"{path}: {problem}. Fix the file; en.toml documents every key a language "
            "file may hold."
        )


class SeedsNotFound(AssistantError):
    def __init__(self, path: Path) -> None:
        super().__init__(f"No articles folder at {path}. Create it or pass --seeds PATH.")


class IndexNotFound(AssistantError):
    def __init__(self, path: Path) -> None:
        super().__init__(f"No index at {path}. Build one with: assistant index")


class IndexMismatch(AssistantError):
    def __init__(self, path: Path, differences: list[str]) -> None:
        detail = "; ".join(differences)
        super().__init__(
            f"The index at {path} was built with other settings ({detail}). "
            "Rebuild it with: assistant index --rebuild"
        )


class IndexBusy(AssistantError):
    def __init__(self, path: Path) -> None:
        super().__init__(
            f"The index at {path} is being updated by another process. "
            "Wait for it to finish, then try again."
        )


class IndexDamaged(AssistantError):
    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(
            f"The index at {path} cannot be read ({reason}). "
            "Rebuild it with: assistant index --rebuild"
        )
        self.path = path
        self.reason = reason


class IndexWriteFailed(AssistantError):
    def __init__(self, path: Path, cause: Exception) -> None:
        problem, fix = describe_write_failure(cause) or _UNKNOWN_WRITE_FAILURE
        super().__init__(
            f"Could not write the index at {path}: {problem} ({cause}). Nothing was changed: "
            f"questions are still answered from the index as it was. {fix}, then run: "
            "assistant index"
        )


class IndexUnusable(AssistantError):
    def __init__(self, path: Path, cause: Exception) -> None:
        problem, fix = describe_write_failure(cause) or _UNKNOWN_WRITE_FAILURE
        super().__init__(
            f"Cannot open the index at {path}: {problem} ({cause}). The embedded Chroma store "
            "writes whenever it is opened; where it cannot write in the index folder, a copy "
            f"in the temporary folder (TMPDIR) is read instead. {fix}, then try again."
        )


class ProbeFailed(AssistantError):
    """Checking the index in another process failed for a reason other than damage (a
    full disk, an unreachable server); the message is that process's."""


_UNKNOWN_WRITE_FAILURE = ("a write failed", "Free disk space and check the folder's permissions")


def describe_write_failure(cause: Exception) -> tuple[str, str] | None:
    """What stopped a write (full disk, read-only folder, permissions), in words, and what
    the user can do about it; None when `cause` is no such failure."""
    text = str(cause).lower()
    number = getattr(cause, "errno", None)
    if number in (errno.ENOSPC, errno.EDQUOT) or "disk is full" in text or "no space" in text:
        return "the disk is full", "Free disk space"
    if number == errno.EROFS or "read-only" in text or "readonly database" in text:
        return "the folder is read-only", "Make the folder writable"
    if number in (errno.EACCES, errno.EPERM) or "permission denied" in text:
        return "permission denied", "Make the folder writable for this user"
    if number == errno.EFBIG or "file too large" in text:
        return "a file grew too large", "Free disk space or raise the file size limit"
    return None


class StoreUnavailable(AssistantError):
    def __init__(self, url: str, cause: Exception) -> None:
        super().__init__(
            f"Cannot reach the Chroma server at {url} ({cause}). Start it with "
            "`chroma run --path DIR --host 127.0.0.1 --port 8000`, or unset "
            "ASSISTANT_CHROMA_URL to use the embedded store."
        )


class BadQuestion(AssistantError):
    """The question cannot be asked as given (empty, too long, ...)."""


class UnknownPerson(AssistantError):
    """No one the articles quote has the name asked about."""

    def __init__(self, name: str, near: list[str]) -> None:
        self.name = name
        self.near = near
        hint = f" Did you mean: {', '.join(near)}?" if near else ""
        super().__init__(
            f"The articles quote no one named {name}.{hint} "
            "See everyone they quote with: assistant people"
        )


class NoArticlesMatch(AssistantError):
    """A choice of articles (`--only`, `articles=`) names none of the indexed articles."""

    def __init__(self, pattern: str, folder: Path) -> None:
        self.pattern = pattern
        super().__init__(
            f"No indexed article matches {pattern!r}. Name an article's path, a glob such as "
            f"'en/*.txt' or a sub-folder of {folder}; see them with: assistant articles"
        )


class ModelError(AssistantError):
    """An embedding or reranking model could not be loaded."""


class LLMError(AssistantError):
    """The configured LLM backend could not be used; never silently replaced by another."""


class FittedValuesError(AssistantError):
    """A file of fitted values (assistant/fitted/*.json) is missing or does not hold the
    values the code expects."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(
            f"The fitted values in {path} cannot be used: the file {problem}. Restore the "
            "file shipped with the assistant, or write it again with the script named in it "
            "(its --write option)."
        )


def describe_invalid(err: Exception) -> str:
    """A saved file that failed to read or validate, in a few words: where, and what."""
    if isinstance(err, ValidationError):
        first = err.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "the top level"
        return f"{where}: {first['msg']}"
    return str(err)
