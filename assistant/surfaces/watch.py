"""Keeping the index in line with a watched articles folder (`index --watch`, `serve --watch`).

`FolderWatch` waits for files to appear, change or disappear under the articles folder and
runs the same sync as `assistant index` after each burst of changes, so the index's write
lock and its copy-change-swap apply: questions are answered from the old index until the new
one is swapped in whole.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import watchfiles

from assistant.errors import AssistantError, IndexBusy, SeedsNotFound
from assistant.surfaces.api import Assistant, SyncReport

logger = logging.getLogger(__name__)

# An editor saves a file in several steps (a temporary file, a rename, a touch): changes
# belong to one burst until none follows for QUIET_MS, and a burst is cut at MAX_BURST_MS.
QUIET_MS = 300
MAX_BURST_MS = 1600
# How often the watch wakes without changes: to notice a stop, and to retry a sync that
# found the index busy (another process, or the page's own upload, was writing it).
WAKE_MS = 1000
# Files that are written and renamed away, or are no article of anyone's: editors' swap and
# backup files and downloads still arriving (watchfiles' default filter adds more).
_TEMPORARY_SUFFIXES = (".tmp", ".temp", ".part", ".crdownload", ".download", ".swp", "~")


@dataclass(frozen=True)
class IndexChange:
    """One sync the watch ran: when, and what it did (`report`) or why it failed (`error`)."""

    at: datetime
    report: SyncReport | None = None
    error: str | None = None

    @property
    def changed(self) -> bool:
        """Whether the index now holds other articles than before (or the sync failed)."""
        report = self.report
        return report is None or bool(report.added or report.updated or report.removed)

    def notice(self) -> str:
        """One sentence for people, e.g. "The index was updated at 14:05: 2 added, 1 removed."."""
        when = self.at.strftime("%H:%M")
        if self.report is None:
            return f"Updating the index at {when} failed: {self.error}"
        counts = [
            (len(self.report.added), "added"),
            (len(self.report.updated), "updated"),
            (len(self.report.removed), "removed"),
        ]
        parts = [f"{count} {what}" for count, what in counts if count] or ["no change"]
        return f"The index was updated at {when}: {', '.join(parts)}."


class ArticleFilter(watchfiles.DefaultFilter):
    """Which changes under the articles folder can change the index: not hidden files or
    folders (".git", ".~lock.x#"), temporary files, nor anything inside the index folder
    (were it kept among the articles, each sync would start the next)."""

    def __init__(self, seeds: Path, index: Path) -> None:
        super().__init__()
        self.seeds = seeds.resolve()
        self.index = index.resolve()

    def __call__(self, change: watchfiles.Change, path: str) -> bool:
        resolved = Path(path).resolve()
        if resolved == self.index or self.index in resolved.parents:
            return False
        try:
            parts = resolved.relative_to(self.seeds).parts
        except ValueError:  # a link's target outside the folder: the scan judges it
            parts = (resolved.name,)
        if any(part.startswith(".") for part in parts):
            return False
        if resolved.name.lower().endswith(_TEMPORARY_SUFFIXES):
            return False
        return super().__call__(change, path)


class FolderWatch:
    """Syncs `assistant`'s index with its articles folder once at the start, then after each
    burst of changes, until `stop()` (or Ctrl-C when run in the main thread).

    A sync that fails is logged (and kept as `last`) and the watch goes on; one that finds
    the index busy is retried at the next wake-up.

    Args:
        assistant: the assistant whose `sync()` runs (its settings name both folders).
        on_change: called with every sync's outcome, from the watching thread.

    Raises:
        SeedsNotFound: the articles folder does not exist (there is nothing to watch).
    """

    def __init__(
        self, assistant: Assistant, on_change: Callable[[IndexChange], None] | None = None
    ) -> None:
        if not assistant.settings.seeds.is_dir():
            raise SeedsNotFound(assistant.settings.seeds)
        self.assistant = assistant
        self.on_change = on_change
        self.last: IndexChange | None = None  # the latest sync that changed the index or failed
        self.version = 0  # counts those syncs, so a page can tell a new one
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run(self) -> None:
        """Watch until stopped (in the main thread, Ctrl-C raises KeyboardInterrupt)."""
        settings = self.assistant.settings
        pending = True  # the first wake-up catches up with changes made while no one watched
        for changes in watchfiles.watch(
            settings.seeds,
            watch_filter=ArticleFilter(settings.seeds, settings.index),
            debounce=MAX_BURST_MS,
            step=QUIET_MS,
            rust_timeout=WAKE_MS,
            yield_on_timeout=True,
            stop_event=self._stop,
            raise_interrupt=threading.current_thread() is threading.main_thread(),
        ):
            if changes:
                logger.info("Changed: %s", ", ".join(sorted(path for _, path in changes)))
            if changes or pending:
                pending = self._sync()

    def start(self) -> None:
        """Watch in a background thread (a server's); `stop()` ends it."""
        self._thread = threading.Thread(target=self.run, name="folder-watch", daemon=True)
        self._thread.start()

    def stop(self, timeout: float | None = None) -> None:
        """Stop watching; waits for a sync under way to finish (at most `timeout` seconds)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _sync(self) -> bool:
        """Run one sync; returns whether it must be retried (the index was busy)."""
        try:
            change = IndexChange(datetime.now(), report=self.assistant.sync())
        except IndexBusy as err:
            logger.info("%s Retrying.", err)
            return True
        except AssistantError as err:
            logger.error("Syncing the index failed: %s", err)
            change = IndexChange(datetime.now(), error=str(err))
        except Exception as err:  # the watch outlives any one sync; the log has the trace
            logger.exception("Syncing the index failed")
            change = IndexChange(datetime.now(), error=f"{type(err).__name__}: {err}")
        if change.changed:
            self.last = change
            self.version += 1
        if self.on_change is not None:
            self.on_change(change)
        return False
