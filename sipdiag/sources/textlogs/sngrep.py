"""sngrep's text export (Save as .txt: `F2`, format txt).

sngrep writes every message as a header line with the capture date, time and both addresses,
then the payload as captured, then an empty line:

    2026/11/22 19:28:47.166123 203.0.113.88:12995 -> 198.51.100.2:5060
    REGISTER sip:198.51.100.2 SIP/2.0
    ...

The export has no transport: it is taken from the top Via. Messages are grouped by call, not
sorted by time, so times may go back between calls. A payload holding several messages (TCP)
gives one frame each, with the header's addresses and time.
"""

from __future__ import annotations

import re
from itertools import pairwise
from typing import Callable, Iterator

from ..frame import Frame, InputSummary
from .clock import parse_timestamp
from .message import (
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
    r"^(?P<date>\d{4}/\d\d/\d\d \d\d:\d\d:\d\d(?:\.\d+)?) (?P<src>\S+) -> (?P<dst>\S+)\s*$"
)
_HEADER_START = re.compile(r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d")


class SngrepReader:
    """Reads sngrep .txt exports."""

    format = "sngrep-txt"

    @staticmethod
    def sniff(head: str) -> int:
        """90 when a `date time a -> b` line is followed by a SIP start line, else 0."""
        for header, following in pairwise(head.splitlines()):
            if _HEADER.match(header) and is_start_line(following):
                return 90
        return 0

    def __init__(self, path: str, open_lines: Callable[[], Iterator[str]]) -> None:
        self.path = path
        self._open_lines = open_lines
        self.summary = InputSummary(path, format=self.format)

    def __iter__(self) -> Iterator[Frame]:
        lines = LineStream(self._open_lines(), self.summary)
        for _, raw in lines:
            header = _HEADER.match(raw)
            if header is None and _HEADER_START.match(raw):
                header = rejoin_cut_line(lines, raw, _HEADER.match, self.summary)
            if header is None:
                if raw.strip():
                    self.summary.count("ignored_lines")
                continue
            time = parse_timestamp(header["date"])[0]
            src, dst = parse_endpoint(header["src"]), parse_endpoint(header["dst"])
            found = False
            while at_message_start(lines, _content):
                found = True
                message = read_message(lines, _content, self.summary)
                yield make_frame(self.summary, message, time=time, src=src, dst=dst,
                                 transport=message.transport_from_via())
            skipped, first = skip_until_log(lines, _content)
            if not found:
                self.summary.count("non_sip_payloads")
            elif skipped and first is not None:
                warn_line(self.summary, first, f"{skipped} lines of text after the message ignored")


def _content(raw: str) -> str | None:
    return None if _HEADER_START.match(raw) else raw
