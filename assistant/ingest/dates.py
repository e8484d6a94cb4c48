"""Dates as retrieval compares them: an article's date as the span of days it may mean, a
range of days a question or a filter asks for, and both as numbers Chroma can filter on.

An article dated "2025-06" may be from any day of June 2025, so its span is the whole
month; a range holds an article when the two overlap. Days are stored as YYYYMMDD integers
(`day_number`): ordered like the dates, readable in Chroma's metadata, and compared by
Chroma's `$gte` / `$lte`.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class DateRange:
    """The days from `since` to `until`, both included; None leaves that end open."""

    since: dt.date | None = None
    until: dt.date | None = None

    def holds(self, span: tuple[dt.date, dt.date] | None) -> bool:
        """Whether an article of this span of days (None: undated) may be from the range."""
        if span is None:
            return False
        first, last = span
        return (self.since is None or last >= self.since) and (
            self.until is None or first <= self.until
        )

    def describe(self) -> str:
        """The range in words for answers: "2024-06-01 to 2024-06-30", "since 2024-06-01"."""
        if self.since and self.until:
            if self.since == self.until:
                return self.since.isoformat()
            return f"{self.since.isoformat()} to {self.until.isoformat()}"
        if self.since:
            return f"since {self.since.isoformat()}"
        return f"until {self.until.isoformat()}" if self.until else "any date"

    def within(self, other: DateRange | None) -> DateRange:
        """The days both this range and `other` hold (`other` None: this range)."""
        if other is None:
            return self
        since = max((d for d in (self.since, other.since) if d), default=None)
        until = min((d for d in (self.until, other.until) if d), default=None)
        return DateRange(since, until)


def date_span(date: str | None) -> tuple[dt.date, dt.date] | None:
    """The days an article's date may mean: one day for "YYYY-MM-DD", the month for
    "YYYY-MM"; None for no date (or one of neither form)."""
    if not date:
        return None
    try:
        if len(date) == 7:
            first = dt.date.fromisoformat(f"{date}-01")
            last_day = calendar.monthrange(first.year, first.month)[1]
            return first, first.replace(day=last_day)
        day = dt.date.fromisoformat(date)
    except ValueError:
        return None
    return day, day


def day_number(day: dt.date) -> int:
    """A day as the integer YYYYMMDD (ordered as the days are)."""
    return day.year * 10000 + day.month * 100 + day.day
