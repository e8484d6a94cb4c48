"""Errors meant for the user: each message says what went wrong and what to do next."""

from __future__ import annotations

from pathlib import Path


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


class IndexWriteFailed(AssistantError):
    def __init__(self, path: Path, cause: Exception) -> None:
        super().__init__(
            f"Could not write the index at {path} ({cause}). Nothing was changed: questions "
            "are still answered from the index as it was. Free disk space or make the "
            "folder writable, then run: assistant index"
        )


class IndexUnusable(AssistantError):
    def __init__(self, path: Path, cause: Exception) -> None:
        super().__init__(
            f"Cannot open the index at {path} ({cause}). The embedded Chroma store needs "
            "write access to its folder even to answer questions: check the folder's "
            "permissions and free disk space (or use a Chroma server, ASSISTANT_CHROMA_URL)."
        )


class StoreUnavailable(AssistantError):
    def __init__(self, url: str, cause: Exception) -> None:
        super().__init__(
            f"Cannot reach the Chroma server at {url} ({cause}). Start it with "
            "`chroma run --path DIR --host 127.0.0.1 --port 8000`, or unset "
            "ASSISTANT_CHROMA_URL to use the embedded store."
        )


class BadQuestion(AssistantError):
    """The question cannot be asked as given (empty, too long, ...)."""


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
