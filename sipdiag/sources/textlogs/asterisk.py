"""Asterisk's log and console lines, and the reading loop shared by the pjsip and chan_sip readers.

Asterisk writes the same events in two shapes, and people paste either:

* the log file (`full`): `[2026-11-22 19:28:47.166] VERBOSE[20895][C-00000001] res_pjsip_logger.c: text`
  (thread id, optional call id, source file, sometimes `:line function`);
* the console (`asterisk -r`): verbose lines as `    -- text` or `  == text`, other levels as
  `[date] WARNING[20890]: res_pjsip_registrar.c:1239 find_registrar_aor: text`, the CLI prompt
  `host*CLI> command`, and message dumps without any prefix. With `verbose timestamps` on, every
  console line, message lines included, starts with `[date] `.

A message dump starts with a header line, in either shape, that a subclass recognises
(`match_header`), and runs until the next line that belongs to the log again: a leveled log
line, a verbose line, a CLI prompt, another header, or a subclass's end marker.

Events: every leveled line becomes a `LogEvent` with its level, source file (`module`) and
function when written; console verbose lines and timestamped lines without a level become
VERBOSE events (without module). CLI prompt lines (the user's own commands) and other
unprefixed console text (banners, `PJSIP Logging enabled`) are skipped and counted in the
summary fact `ignored_lines`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Callable, Iterator

from ..frame import LOCAL, Endpoint, Frame, InputSummary, LogEvent, Origin
from .clock import ANCHOR_YEAR, DATE_TIME, parse_timestamp
from .message import (
    at_message_start,
    check_declared_size,
    could_be_wrapped,
    is_start_line,
    make_frame,
    read_message,
    rejoin_cut_line,
    skip_until_log,
    warn_line,
)
from .local import with_local_address
from .textio import LineStream

_LOG_LINE = re.compile(
    rf"^\[(?P<date>{DATE_TIME})\]\s*(?P<level>[A-Z][A-Z0-9_]*)\[\d+\](?:\[C-[0-9A-Fa-f]+\])?:?(?:\s(?P<rest>.*))?$"
)
_SOURCE = re.compile(
    r"^(?P<module>[\w./-]+\.\w+)(?::\d+(?:\s+(?:in\s+)?(?P<function>[A-Za-z_]\w*))?)?:(?:\s(?P<text>.*))?$"
)
_CONSOLE_STAMP = re.compile(rf"^\[(?P<date>{DATE_TIME})\] ?(?P<rest>.*)$")
_VERBOSE = re.compile(r"^\s{1,8}(?:==|--|>)\s(?P<text>.*)$")
_CLI_PROMPT = re.compile(r"^[\w.-]*\*?CLI>")

SNIFF_PREFIX = r"^(?:\[[^\]]*\]\s?(?:[A-Z][A-Z0-9_]*\[\d+\](?:\[[^\]]*\])?:?\s+\S+:\s)?)?"
"""Regex source for what may come before a message header: a console timestamp or a log prefix."""


@dataclass(slots=True)
class MessageHeader:
    """What a message dump's header line says about the message that follows."""

    direction: str
    """'in' (received by Asterisk) or 'out' (sent by it)."""
    remote: Endpoint
    transport: str | None
    """As written; None when the header does not say (taken from the top Via then)."""
    size: int | None = None
    """The size in bytes the header announces, when it does."""


@dataclass(slots=True)
class _LogLine:
    time: float | None
    level: str
    module: str | None
    function: str | None
    text: str


class AsteriskReader:
    """Base of the Asterisk readers: subclasses say how a message header and a dump end look."""

    format = "asterisk"
    cut_header = re.compile(r"^<---")
    """How the start of a message header looks, to rejoin one that line wrapping cut in two."""

    def __init__(self, path: str, open_lines: Callable[[], Iterator[str]]) -> None:
        self.path = path
        self._open_lines = open_lines
        self.summary = InputSummary(path, format=self.format)
        self._warned_no_year = False

    def match_header(self, text: str) -> MessageHeader | None:
        """The header of a message dump, if `text` (without log prefix) is one."""
        raise NotImplementedError

    def ends_message(self, text: str) -> bool:
        """True for a line that closes a message dump (an end marker), skipped outside messages."""
        return False

    def __iter__(self) -> Iterator[Frame | LogEvent]:
        return with_local_address(self._read(), self.summary)

    def _read(self) -> Iterator[Frame | LogEvent]:
        lines = LineStream(self._open_lines(), self.summary)
        pending_time: float | None = None  # a log line with empty text, before a chan_sip dump
        for number, raw in lines:
            carried, pending_time = pending_time, None
            log = self._log_line(raw, number)
            stamp = None if log is not None else _CONSOLE_STAMP.match(raw)
            if log is not None:
                time, text = log.time, log.text
            elif stamp is not None:
                time, text = self._time(stamp["date"], number), stamp["rest"]
            else:
                time, text = carried, raw
            header = self._header(lines, text)
            if header is not None:
                yield from self._message(lines, header, time, number)
            elif not text.strip():
                pending_time = time if log is not None or stamp is not None else None
            elif log is not None:
                yield self._event(lines, number, raw, log)
            elif (verbose := _VERBOSE.match(text)) is not None:
                yield self._event(lines, number, raw, _LogLine(time, "VERBOSE", None, None, verbose["text"]))
            elif stamp is not None:
                yield self._event(lines, number, raw, _LogLine(time, "VERBOSE", None, None, text))
            elif not self.ends_message(text):
                self.summary.count("ignored_lines")

    def _header(self, lines: LineStream, text: str) -> MessageHeader | None:
        header = self.match_header(text)
        if header is None and self.cut_header.match(text.strip()):
            header = rejoin_cut_line(lines, text, self.match_header, self.summary)
        return header

    def _message(
        self, lines: LineStream, header: MessageHeader, time: float | None, header_line: int
    ) -> Iterator[Frame]:
        if not at_message_start(lines, self._content):
            skip_until_log(lines, self._content)
            self.summary.count("non_sip_payloads")
            if header.size:
                warn_line(self.summary, header_line, "no SIP message after this message header: skipped")
            return
        message = read_message(lines, self._content, self.summary)
        if header.size is not None:
            check_declared_size(self.summary, message, header.size)
        remote_is_src = header.direction == "in"
        yield make_frame(
            self.summary,
            message,
            time=time,
            src=header.remote if remote_is_src else LOCAL,
            dst=LOCAL if remote_is_src else header.remote,
            transport=header.transport or message.transport_from_via(),
            direction=header.direction,
        )

    def _content(self, raw: str) -> str | None:
        """The message text a raw line carries; None where the log goes on."""
        if _LOG_LINE.match(raw):
            return None
        stamp = _CONSOLE_STAMP.match(raw)
        text = stamp["rest"] if stamp else raw
        if (
            self.match_header(text) is not None
            or self.cut_header.match(text.strip())
            or self.ends_message(text)
            or _VERBOSE.match(text)
            or _CLI_PROMPT.match(text)
        ):
            return None
        return text

    def _log_line(self, raw: str, number: int) -> _LogLine | None:
        m = _LOG_LINE.match(raw)
        if m is None:
            return None
        rest = m["rest"] or ""
        source = _SOURCE.match(rest)
        time = self._time(m["date"], number)
        if source is None:
            return _LogLine(time, m["level"], None, None, rest)
        return _LogLine(time, m["level"], source["module"], source["function"], source["text"] or "")

    def _time(self, date: str, number: int) -> float | None:
        time, year_missing = parse_timestamp(date)
        if year_missing and not self._warned_no_year:
            self._warned_no_year = True
            warn_line(self.summary, number, f"timestamps carry no year: {ANCHOR_YEAR} assumed "
                      "(intervals are right, the year is not)")
        return time

    def _event(self, lines: LineStream, number: int, raw: str, log: _LogLine) -> LogEvent:
        pieces = [raw]
        while could_be_wrapped(len(pieces[-1])) and (peeked := lines.peek()) is not None and self._is_stray(peeked[1]):
            pieces.append(lines.take()[1])
            warn_line(self.summary, peeked[0], "log line cut in two (line wrapping): joined back to the line before")
        if len(pieces) > 1:
            joined = "".join(pieces)
            reparsed = self._log_line(joined, number)
            log = reparsed if reparsed is not None else replace(log, text=log.text + joined[len(raw):])
        self.summary.saw_time(log.time)
        self.summary.count("log_events")
        return LogEvent(
            origin=Origin(self.path, line=number),
            time=log.time,
            level=log.level,
            module=log.module,
            function=log.function,
            text=log.text,
            raw="\n".join(pieces),
        )

    def _is_stray(self, raw: str) -> bool:
        """A line the log syntax does not explain: the tail of a wrapped line, or console noise."""
        return bool(raw.strip()) and self._content(raw) is not None and not (
            _CONSOLE_STAMP.match(raw) or is_start_line(raw)
        )


def any_line_matches(head: str, pattern: re.Pattern[str]) -> bool:
    """True when a line of `head` matches `pattern` (for `sniff`)."""
    return any(pattern.match(line) for line in head.splitlines())
