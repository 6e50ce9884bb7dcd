"""FreeSWITCH `sofia global siptrace on` (or `sofia profile X siptrace on`) output.

sofia-sip's transport logger writes each message as

    recv 572 bytes from udp/[192.0.2.10]:5060 at 19:28:47.166123:
       ------------------------------------------------------------------------
       REGISTER sip:198.51.100.2 SIP/2.0
       Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-1
       ...
       ------------------------------------------------------------------------

(`send ... bytes to ...` for sent messages): the remote address only, FreeSWITCH is the logging
host, and every message line indented by three spaces. `   *** message truncated at N ***`
after the closing line is a warning. The `at` time is a UTC time of day without a date: the
date comes from the last dated FreeSWITCH log line (`2026-11-22 19:28:47.166123 [WARNING]
sofia_reg.c:1234 text`, read as a `LogEvent`), else it is Jan 1 2000 (see `clock.py`). When the
trace line itself carries such a timestamp prefix (newer versions, some log set-ups), that
time is used, like every other log line's.
"""

from __future__ import annotations

import re
from typing import Callable, Iterator

from ..frame import LOCAL, Frame, InputSummary, LogEvent, Origin
from .clock import DayClock, parse_timestamp, seconds_of_day
from .message import (
    at_message_start,
    check_declared_size,
    make_frame,
    parse_endpoint,
    read_message,
    rejoin_cut_line,
    skip_until_log,
    warn_line,
)
from .local import with_local_address
from .textio import LineStream

_PREFIX = re.compile(
    r"^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12} )?"
    r"(?P<date>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)?) (?:\d+(?:\.\d+)?% )?"
    r"(?:\[(?P<level>[A-Z]+)\] )?(?:(?P<module>[\w.-]+\.\w+):\d+ )?(?P<rest>.*)$"
)
_TRACE = re.compile(
    r"^(?P<verb>recv|send) (?P<size>[0-9]{1,10}) bytes (?:from|to) (?P<transport>[a-zA-Z]+)"
    r"/(?P<address>\[[^\]]*\]:\d+)\S*"
    r" at (?P<time>\d\d:\d\d:\d\d(?:\.\d+)?):\s*$"
)
_TRACE_START = re.compile(r"^(?:recv|send) \d+ b")
_SEPARATOR = re.compile(r"^\s*-+\s*$")  # 72 dashes, or pieces of them when wrapping cut the line
_TRUNCATED = re.compile(r"^\s*\*\*\* message truncated at (?P<at>\d+) \*\*\*")
_INDENT = "   "


class FreeswitchReader:
    """Reads sofia siptrace dumps and the FreeSWITCH log lines around them."""

    format = "freeswitch-siptrace"

    @staticmethod
    def sniff(head: str) -> int:
        """90 when the text holds sofia `recv/send N bytes ... at hh:mm:ss:` lines, else 0."""
        return 90 if any(_TRACE.match(_split_prefix(line)[1]) for line in head.splitlines()) else 0

    def __init__(self, path: str, open_lines: Callable[[], Iterator[str]]) -> None:
        self.path = path
        self._open_lines = open_lines
        self.summary = InputSummary(path, format=self.format)
        self._clock = DayClock()
        self._warned_no_date = False

    def __iter__(self) -> Iterator[Frame | LogEvent]:
        return with_local_address(self._read(), self.summary)

    def _read(self) -> Iterator[Frame | LogEvent]:
        lines = LineStream(self._open_lines(), self.summary)
        for number, raw in lines:
            prefix, rest = _split_prefix(raw)
            time = parse_timestamp(prefix["date"])[0] if prefix else None
            trace = _TRACE.match(rest)
            if trace is None and _TRACE_START.match(rest):
                trace = rejoin_cut_line(lines, rest, _TRACE.match, self.summary)
            if trace is not None:
                yield from self._message(lines, trace, time, number)
                continue
            if time is not None:
                self._clock.set_date_from(time)
            if prefix is not None and prefix["level"]:
                yield self._event(number, raw, time, prefix)
            elif truncated := _TRUNCATED.match(raw):
                warn_line(self.summary, number, f"FreeSWITCH logged only the first {truncated['at']} bytes "
                          "of the message before this line")
            elif raw.strip() and not _SEPARATOR.match(raw):
                self.summary.count("ignored_lines")

    def _message(self, lines: LineStream, trace: re.Match[str], time: float | None, number: int) -> Iterator[Frame]:
        if time is None:
            if not self._clock.dated and not self._warned_no_date:
                self._warned_no_date = True
                warn_line(self.summary, number, "trace times have no date and no dated log line precedes them: "
                          "Jan 1 2000 assumed (times of day and intervals are right)")
            seconds = seconds_of_day(trace["time"])
            time = self._clock.at(seconds) if seconds is not None else None
        while (peeked := lines.peek()) is not None and _SEPARATOR.match(peeked[1]):
            lines.take()
        if not at_message_start(lines, _content):
            skip_until_log(lines, _content)
            self.summary.count("non_sip_payloads")
            return
        message = read_message(lines, _content, self.summary)
        check_declared_size(self.summary, message, int(trace["size"]))
        skipped, first = skip_until_log(lines, _content)
        if skipped and first is not None:
            warn_line(self.summary, first, f"{skipped} lines after the message, before the closing line, ignored")
        incoming = trace["verb"] == "recv"
        remote = parse_endpoint(trace["address"])
        yield make_frame(
            self.summary,
            message,
            time=time,
            src=remote if incoming else LOCAL,
            dst=LOCAL if incoming else remote,
            transport=trace["transport"],
            direction="in" if incoming else "out",
        )

    def _event(self, number: int, raw: str, time: float | None, prefix: re.Match[str]) -> LogEvent:
        self.summary.saw_time(time)
        self.summary.count("log_events")
        return LogEvent(
            origin=Origin(self.path, line=number),
            time=time,
            level=prefix["level"],
            module=prefix["module"],
            function=None,
            text=prefix["rest"],
            raw=raw,
        )


def _split_prefix(raw: str) -> tuple[re.Match[str] | None, str]:
    """A FreeSWITCH log prefix (uuid, date, cpu idle, level, file:line) and the text after it."""
    prefix = _PREFIX.match(raw)
    return (prefix, prefix["rest"]) if prefix else (None, raw)


def _content(raw: str) -> str | None:
    """A message line without its three-space indent; None where the log goes on.

    An unindented line inside a dump is the tail of a line that wrapping cut: it is kept as is.
    """
    if _SEPARATOR.match(raw) or _PREFIX.match(raw) or _TRACE_START.match(raw):
        return None
    return raw[len(_INDENT):] if raw.startswith(_INDENT) else raw
