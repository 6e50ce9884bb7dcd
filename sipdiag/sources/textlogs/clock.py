"""Log timestamps → seconds since the epoch.

Text logs write wall-clock time without a zone. sipdiag treats every such time as UTC: the
report then shows the times exactly as the log wrote them, and intervals are right whatever
the server's zone was (except across a daylight-saving change).

Some formats leave out the year (Asterisk's default `[Mar 16 16:05:41]`) or the whole date
(FreeSWITCH's `at 16:05:41.123456`). Those times are placed in `ANCHOR_YEAR`, a fixed leap
year so that reports are reproducible and Feb 29 parses; the reader says so once in a warning.
Intervals stay right; a time of day more than 12 hours before the previous one is taken to be
on the next day (midnight passed). A dated log line sets the day; a time of day more than 12
hours after that line is on the day before (the dated line was local time, the time of day UTC).
"""

from __future__ import annotations

import re
from datetime import datetime, timezone

ANCHOR_YEAR = 2000
"""Year given to timestamps written without one."""

_MONTHS = {m: i for i, m in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1)}

DATE_TIME = (
    r"\d{4}[-/]\d{2}[-/]\d{2}[ T]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?"
    r"|[A-Z][a-z]{2} [ \d]?\d \d{2}:\d{2}:\d{2}(?:\.\d+)?"
)
"""Regex source for the timestamps this module parses (to embed in line patterns)."""

_FULL = re.compile(
    r"(?P<y>\d{4})[-/](?P<mo>\d{2})[-/](?P<d>\d{2})[ T](?P<h>\d{2}):(?P<mi>\d{2}):(?P<s>\d{2})(?:[.,](?P<f>\d+))?$"
)
_NO_YEAR = re.compile(
    r"(?P<mon>[A-Z][a-z]{2}) +(?P<d>\d{1,2}) (?P<h>\d{2}):(?P<mi>\d{2}):(?P<s>\d{2})(?:\.(?P<f>\d+))?$"
)
_TIME_OF_DAY = re.compile(r"(?P<h>\d{2}):(?P<mi>\d{2}):(?P<s>\d{2})(?:\.(?P<f>\d+))?$")


def parse_timestamp(text: str) -> tuple[float | None, bool]:
    """Parse a timestamp matching `DATE_TIME`; returns (epoch seconds, year was missing)."""
    text = text.strip()
    m = _FULL.match(text)
    if m:
        return _epoch(int(m["y"]), int(m["mo"]), int(m["d"]), m), False
    m = _NO_YEAR.match(text)
    if m:
        month = _MONTHS.get(m["mon"].lower())
        if month is None:
            return None, False
        return _epoch(ANCHOR_YEAR, month, int(m["d"]), m), True
    return None, False


def seconds_of_day(text: str) -> float | None:
    """'16:05:41.123456' → seconds since midnight, None if it is not a time of day."""
    m = _TIME_OF_DAY.match(text.strip())
    if not m:
        return None
    value = int(m["h"]) * 3600 + int(m["mi"]) * 60 + int(m["s"]) + _fraction(m["f"])
    return value if value < 86400 else None


class DayClock:
    """Turns times of day into epoch seconds on a day that moves forward at midnight."""

    def __init__(self) -> None:
        self._day_start = datetime(ANCHOR_YEAR, 1, 1, tzinfo=timezone.utc).timestamp()
        self._last: float | None = None
        self._last_is_dated_line = False
        self.dated = False
        """A dated log line has set the day (otherwise the day is Jan 1 of `ANCHOR_YEAR`)."""

    def set_date_from(self, epoch: float) -> None:
        """Take the day from `epoch`, the time of a dated log line near the next times of day."""
        self._day_start = epoch - epoch % 86400
        self._last = epoch
        self._last_is_dated_line = True
        self.dated = True

    def at(self, seconds: float) -> float:
        """Epoch seconds for `seconds` since midnight, on the day that keeps the clock moving on."""
        value = self._day_start + seconds
        if self._last is not None:
            if value < self._last - 43200:
                self._day_start += 86400
                value += 86400
            elif value > self._last + 43200 and self._last_is_dated_line:
                self._day_start -= 86400
                value -= 86400
        self._last = value
        self._last_is_dated_line = False
        return value


def _epoch(year: int, month: int, day: int, m: re.Match) -> float | None:
    try:
        moment = datetime(year, month, day, int(m["h"]), int(m["mi"]), int(m["s"]), tzinfo=timezone.utc)
    except ValueError:
        return None
    return moment.timestamp() + _fraction(m["f"])


def _fraction(digits: str | None) -> float:
    digits = (digits or "")[:9]  # nanoseconds at most; int() refuses numbers of over 4300 digits
    return int(digits) / 10 ** len(digits) if digits else 0.0
