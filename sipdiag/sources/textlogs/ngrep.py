"""ngrep `-W byline` output (`ngrep -d any -W byline port 5060`, optionally with `-t`).

Each packet is a header line, then its payload line by line:

    U 192.0.2.10:5060 -> 198.51.100.2:5060            (T for TCP, `[AP]` flags and `#12` may follow;
    REGISTER sip:198.51.100.2 SIP/2.0.                 with -t a `2026/11/22 19:28:47.166123` date
    Via: SIP/2.0/UDP 192.0.2.10:5060;branch=....       comes before the addresses)

In byline mode ngrep shows each CR as '.', so every CRLF line ends with '.'; it is removed
(only when the start line has it, so hand-edited traces without the dots keep their own dots).
`#` progress marks and the `interface:`/`filter:` banner are skipped. The header gives both
addresses, so frames have no direction.

People trim these traces: a message whose `U a -> b` line was deleted still becomes a frame,
with unknown addresses (Endpoint(None, None)) and its transport taken from the top Via, and a
warning. Several messages after one `T` line are read as one TCP segment and share its
addresses. Payloads that are not SIP (keep-alives) are counted in `non_sip_payloads`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Iterator

from ..frame import Endpoint, Frame, InputSummary
from .clock import parse_timestamp
from .message import (
    UNKNOWN,
    at_message_start,
    is_start_line,
    make_frame,
    parse_endpoint,
    read_message,
    rejoin_cut_line,
    skip_until_log,
    warn_line,
)
from .textio import LineStream

_HEADER = re.compile(
    r"^(?P<proto>[UT]) (?:(?P<date>\d{4}/\d\d/\d\d \d\d:\d\d:\d\d\.\d+) |\+\d+\.\d+ )?"
    r"(?P<src>\S+) -> (?P<dst>\S+?)(?: \[[A-Za-z]*\])?(?: #\d+)?\s*$"
)
_HEADER_START = re.compile(r"^[UT] (?:\d{4}/\d\d/\d\d \d\d:\d\d:\d\d\.\d+ |\+\d+\.\d+ )?\S+:\d+ ")
_HEADER_TAIL = re.compile(r"^\s*(?:\[[A-Za-z]*\])?\s*(?:#\d+)?\s*$")
_OTHER_PACKET = re.compile(r"^[A-Z] \S+(?: \S+)* -> \S+")
_BANNER = re.compile(r"^(?:#+|interface: .*|filter: .*|match: .*|input: .*|exit|\d+ received, .*)\s*$")
_MARKER = "."


@dataclass(slots=True)
class _Packet:
    src: Endpoint
    dst: Endpoint
    transport: str
    time: float | None


class NgrepReader:
    """Reads ngrep byline traces."""

    format = "ngrep"

    @staticmethod
    def sniff(head: str) -> int:
        """85 with `U/T a -> b` lines before SIP, 75 for byline SIP lines alone ('SIP/2.0.'), else 0."""
        lines = head.splitlines()
        has_sip = any(is_start_line(_without_marker(line)) for line in lines)
        if not has_sip:
            return 0
        if any(_HEADER.match(line) for line in lines):
            return 85
        if any(line.endswith(" SIP/2.0.") and is_start_line(line[:-1]) for line in lines):
            return 75
        return 0

    def __init__(self, path: str, open_lines: Callable[[], Iterator[str]]) -> None:
        self.path = path
        self._open_lines = open_lines
        self.summary = InputSummary(path, format=self.format)

    def __iter__(self) -> Iterator[Frame]:
        lines = LineStream(self._open_lines(), self.summary)
        while (peeked := lines.peek()) is not None:
            number, raw = peeked
            header = _HEADER.match(raw)
            if header is not None or _HEADER_START.match(raw):
                lines.take()
                header = self._complete_header(lines, raw, header)
                if header is not None:
                    yield from self._packet_messages(lines, self._packet(header))
            elif is_start_line(_without_marker(raw)):
                warn_line(self.summary, number, "message without its own `U/T src -> dst` line: addresses unknown")
                message = read_message(lines, _content, self.summary, eol_marker=_marker_of(raw))
                yield make_frame(self.summary, message, time=None, src=UNKNOWN, dst=UNKNOWN,
                                 transport=message.transport_from_via())
            else:
                lines.take()
                if raw.strip() and not _BANNER.match(raw) and not _OTHER_PACKET.match(raw):
                    self.summary.count("ignored_lines")

    def _complete_header(self, lines: LineStream, raw: str, header: re.Match[str] | None) -> re.Match[str] | None:
        """The header line, joined back with its `[AP] #7` tail or the rest line wrapping cut off."""
        peeked = lines.peek()
        if header is None or (peeked is not None and peeked[1].strip() and _HEADER_TAIL.match(peeked[1])):
            return rejoin_cut_line(lines, raw, _HEADER.match, self.summary) or header
        return header

    def _packet_messages(self, lines: LineStream, packet: _Packet) -> Iterator[Frame]:
        """The messages of one packet: one for UDP, as many as follow for a TCP segment."""
        found = False
        while at_message_start(lines, _content, _MARKER):
            found = True
            peeked = lines.peek()
            assert peeked is not None
            message = read_message(lines, _content, self.summary, eol_marker=_marker_of(peeked[1]))
            yield make_frame(self.summary, message, time=packet.time, src=packet.src, dst=packet.dst,
                             transport=packet.transport)
            if packet.transport == "UDP":
                return
        if not found:
            skip_until_log(lines, _content)
            self.summary.count("non_sip_payloads")

    def _packet(self, header: re.Match[str]) -> _Packet:
        time = parse_timestamp(header["date"])[0] if header["date"] else None
        return _Packet(
            src=parse_endpoint(header["src"]),
            dst=parse_endpoint(header["dst"]),
            transport="UDP" if header["proto"] == "U" else "TCP",
            time=time,
        )


def _content(raw: str) -> str | None:
    if _HEADER_START.match(raw) or _OTHER_PACKET.match(raw) or _BANNER.match(raw):
        return None
    return raw


def _marker_of(start_line: str) -> str | None:
    """ngrep byline's CR marker, when this message's start line shows it."""
    return _MARKER if start_line.rstrip().endswith(_MARKER) else None


def _without_marker(line: str) -> str:
    line = line.rstrip()
    return line[:-1] if line.endswith(_MARKER) else line
