"""What a caller may ask: the question, the conversation so far and `k`, checked and cleaned.

Every surface (Python API, CLI, page, HTTP API) passes its input through here, so a bad
value gets the same clear message everywhere instead of a traceback deep in the pipeline.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

from assistant.errors import BadQuestion
from assistant.ingest.articles import clean_text
from assistant.ingest.dates import DateRange

MAX_QUESTION_CHARS = 2000
MIN_K, MAX_K = 1, 50
_HAS_WORD = re.compile(r"\w", re.UNICODE)
# Lone surrogates: what undecodable bytes become in argv and stdin (surrogateescape) or a
# JSON "\udcff". No encoder or tokenizer accepts them, so they become U+FFFD.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def readable_text(text: str) -> str:
    """`text` with undecodable characters replaced and control characters removed."""
    return clean_text(_LONE_SURROGATE.sub("\ufffd", text))


def check_question(question: object) -> str:
    """The question stripped of surrounding space and control characters.

    Raises:
        BadQuestion: not text, empty, longer than `MAX_QUESTION_CHARS`, or without any word.
    """
    if question is not None and not isinstance(question, str):
        raise BadQuestion(f"The question must be text, not {type(question).__name__}.")
    question = readable_text(question or "").strip()
    if not question:
        raise BadQuestion("The question is empty. Ask something about the articles.")
    if len(question) > MAX_QUESTION_CHARS:
        raise BadQuestion(
            f"The question is {len(question)} characters long; "
            f"please keep it under {MAX_QUESTION_CHARS}."
        )
    if not _HAS_WORD.search(question):
        raise BadQuestion("The question has no words in it. Ask something about the articles.")
    return question


def check_k(k: object) -> int | None:
    """`k` (passages to consider) as a whole number from `MIN_K` to `MAX_K`; None stays None.

    Raises:
        BadQuestion: anything else, e.g. -5, 10**9, 2.5 or "five".
    """
    if k is None:
        return None
    if isinstance(k, float) and k.is_integer():
        k = int(k)  # JSON clients and sliders send 5.0
    if isinstance(k, bool) or not isinstance(k, int) or not MIN_K <= k <= MAX_K:
        raise BadQuestion(
            f"k (passages to consider) must be a whole number from {MIN_K} to {MAX_K}, not {k!r}."
        )
    return k


def check_history(history: object) -> list[dict]:
    """The conversation so far as [{"role": "user"|"assistant", "content": str}], cleaned;
    None is an empty conversation.

    Raises:
        BadQuestion: not a list of such messages.
    """
    if history is None:
        return []
    if isinstance(history, list | tuple) and all(
        isinstance(m, dict)
        and m.get("role") in ("user", "assistant")
        and isinstance(m.get("content"), str)
        for m in history
    ):
        return [{"role": m["role"], "content": readable_text(m["content"])} for m in history]
    raise BadQuestion(
        'The history must be a list of {"role": "user" or "assistant", "content": "text"} '
        "messages, oldest first."
    )


def check_day(value: object, name: str, end: bool = False) -> dt.date | None:
    """A day given as a date or as ISO text ("2024-06-12", or "2024-06" and "2024": their
    first day, or with `end` their last); None stays None. `name` names the value in the
    message.

    Raises:
        BadQuestion: anything else, e.g. "June" or "2024-13-01".
    """
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = value.strip() if isinstance(value, str) else ""
    try:
        if re.fullmatch(r"\d{4}", text):
            return dt.date(int(text), 12, 31) if end else dt.date(int(text), 1, 1)
        if re.fullmatch(r"\d{4}-\d{2}", text):
            first = dt.date.fromisoformat(f"{text}-01")
            last = calendar.monthrange(first.year, first.month)[1]
            return first.replace(day=last) if end else first
        return dt.date.fromisoformat(text)
    except ValueError as err:
        raise BadQuestion(
            f"{name} must be a date such as 2024-06-12 (or 2024-06, or 2024), not {value!r}."
        ) from err


def check_dates(since: object, until: object) -> DateRange | None:
    """The date filter from `since` to `until` (both included; either may be None);
    None when neither is given.

    Raises:
        BadQuestion: a value is no date (`check_day`), or `since` is after `until`.
    """
    first, last = check_day(since, "since"), check_day(until, "until", end=True)
    if first is None and last is None:
        return None
    if first is not None and last is not None and first > last:
        raise BadQuestion(f"since ({first}) is after until ({last}); swap them.")
    return DateRange(first, last)
