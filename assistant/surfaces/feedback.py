"""Feedback on the page's answers: thumbs up or down with a note, appended to a file in the
index folder, and exported as questions `assistant eval` reads.

The file, `feedback.jsonl`, lies beside the index's generations, not inside one, so a
rebuild keeps it. Every change of mind is a new line (rating 0: taken back); the last line
of an answer's id is the one that counts. Several server workers may append at once: each
line is written whole, in one write, under a lock.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError

from assistant.errors import AssistantError
from assistant.language.detection import detect_language
from assistant.language.tokens import content_words
from assistant.surfaces.conversations import AnswerRecord, now

FEEDBACK_FILE = "feedback.jsonl"
_WORD = re.compile(r"\w+", re.UNICODE)
# A kept answer is re-checked by a few of each quote's words, as news-set gold strings are
# (2 to 8 words): short enough to survive a sentence cut a little differently.
KEY_WORDS = 6
MAX_KEYS = 3  # quotes whose words an exported question keeps


class Feedback(AnswerRecord):
    """An answer's record with the reader's rating (+1 up, -1 down, 0 taken back), their
    note and when they gave it (`rated`, ISO 8601, UTC)."""

    rating: Literal[1, -1, 0]
    note: str = Field("", max_length=4000)
    rated: str = Field(max_length=40)


def feedback_path(index_dir: Path) -> Path:
    return index_dir / FEEDBACK_FILE


def record_feedback(index_dir: Path, record: AnswerRecord, rating: int, note: str = "") -> None:
    """Append the reader's `rating` (+1, -1, 0) and `note` on `record` to the feedback file.

    Raises:
        AssistantError: the index folder cannot be written.
    """
    from filelock import FileLock

    entry = Feedback(**record.model_dump(), rating=rating, note=note.strip(), rated=now())
    line = (entry.model_dump_json() + "\n").encode("utf-8")
    path = feedback_path(index_dir)
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        with FileLock(f"{path}.lock", timeout=10):
            descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                os.write(descriptor, line)
            finally:
                os.close(descriptor)
    except OSError as err:
        raise AssistantError(
            f"Could not save the feedback in {path}: {err.strerror or err}. Check that the "
            "index folder can be written."
        ) from err


def read_feedback(index_dir: Path) -> list[Feedback]:
    """The feedback given, one entry per answer (its latest rating), oldest first; answers
    whose rating was taken back are left out.

    Raises:
        AssistantError: the file cannot be read, or a line is not a feedback record.
    """
    path = feedback_path(index_dir)
    if not path.exists():
        return []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as err:
        raise AssistantError(f"Cannot read {path}: {err}") from err
    latest: dict[str, Feedback] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            entry = Feedback.model_validate_json(line)
        except ValidationError as err:
            raise AssistantError(
                f"{path}, line {number} is not a feedback record ({err.error_count()} errors); "
                "fix or delete that line."
            ) from err
        latest.pop(entry.id, None)  # a later rating moves the answer to when it was given
        latest[entry.id] = entry
    return [entry for entry in latest.values() if entry.rating != 0]


def eval_questions(
    entries: list[Feedback], only: Literal["up", "down"] | None = None
) -> list[dict]:
    """The feedback as questions of the news format `assistant eval` reads.

    Thumbs up: the answer is to be given again. An answer with citations becomes a question
    whose `answers` are key words of its quotes and whose `article` is the first cited
    article (any other cited articles: `alt_articles`); a refusal becomes an `offcorpus`
    question, to be refused again. Thumbs down: kind "flagged", with no answers, the note
    and the answer given; a maintainer decides what the right answer is (see `read_qa_file`).
    """
    wanted = {"up": (1,), "down": (-1,), None: (1, -1)}[only]
    return [_question(entry) for entry in entries if entry.rating in wanted]


def _question(entry: Feedback) -> dict:
    question = {"q": entry.question, "lang": detect_language(entry.question)}
    if entry.history:
        question["history"] = [m.model_dump() for m in entry.history]
    if entry.rating < 0:
        return question | {
            "answers": [], "article": None, "alt_articles": [], "kind": "flagged",
            "note": entry.note, "answer_given": entry.answer,
        }  # fmt: skip
    if entry.abstained or not entry.citations:
        return question | {"answers": [], "article": None, "alt_articles": [], "kind": "offcorpus"}
    articles = list(dict.fromkeys(c.article_id for c in entry.citations))
    keys = [key_words(c.quote) for c in entry.citations[:MAX_KEYS]]
    return question | {
        "answers": list(dict.fromkeys(k for k in keys if k)),
        "article": articles[0],
        "alt_articles": articles[1:],
        "kind": "liked",
    }


def key_words(quote: str) -> str:
    """The run of at most `KEY_WORDS` words of `quote` that holds the most content words (not
    stop words of its language), the earliest of equals, less stop words at either end;
    copied verbatim."""
    words = list(_WORD.finditer(quote))
    if not words:
        return ""
    content = content_words(quote, detect_language(quote))
    best, best_count = 0, -1
    for first in range(max(1, len(words) - KEY_WORDS + 1)):
        window = words[first : first + KEY_WORDS]
        count = sum(w.group().lower() in content for w in window)
        if count > best_count:
            best, best_count = first, count
    window = words[best : best + KEY_WORDS]
    while len(window) > 2 and window[0].group().lower() not in content:
        window = window[1:]
    while len(window) > 2 and window[-1].group().lower() not in content:
        window = window[:-1]
    return quote[window[0].start() : window[-1].end()]


def write_questions(questions: list[dict]) -> str:
    """JSON lines, one question a line."""
    return "".join(json.dumps(q, ensure_ascii=False) + "\n" for q in questions)
