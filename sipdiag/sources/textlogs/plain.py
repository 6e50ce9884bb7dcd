"""Plain SIP messages pasted one after the other, with no log around them.

Any SIP start line begins a message (see `message.read_message` for where it ends); text
between messages is skipped and counted in `ignored_lines`. A message indented or quoted in
an e-mail (`> INVITE ...`) loses, on each of its lines, the indent or quote marks its start
line had. Such a paste says nothing of addresses, transport or time: frames have unknown
endpoints (Endpoint(None, None)), the transport of the top Via and no time. `sniff` scores
low, so that any format with more to say wins.
"""

from __future__ import annotations

import re
from itertools import pairwise
from typing import Callable, Iterator

from ..frame import Frame, InputSummary
from .message import UNKNOWN, Content, is_header_line, is_start_line, make_frame, read_message
from .textio import LineStream

_QUOTE = re.compile(r"^[ \t>]*")


class PlainSipReader:
    """Reads pasted SIP messages."""

    format = "plain-sip"

    @staticmethod
    def sniff(head: str) -> int:
        """20 when a SIP start line is followed by a header line, else 0."""
        for start, following in pairwise(head.splitlines()):
            if is_start_line(_QUOTE.sub("", start)) and is_header_line(_QUOTE.sub("", following)):
                return 20
        return 0

    def __init__(self, path: str, open_lines: Callable[[], Iterator[str]]) -> None:
        self.path = path
        self._open_lines = open_lines
        self.summary = InputSummary(path, format=self.format)

    def __iter__(self) -> Iterator[Frame]:
        lines = LineStream(self._open_lines(), self.summary)
        while (peeked := lines.peek()) is not None:
            unquoted = _QUOTE.sub("", peeked[1])
            if is_start_line(unquoted):
                quote = peeked[1][: len(peeked[1]) - len(unquoted)]
                message = read_message(lines, _unquoting(quote), self.summary)
                yield make_frame(self.summary, message, time=None, src=UNKNOWN, dst=UNKNOWN,
                                 transport=message.transport_from_via())
                continue
            lines.take()
            if peeked[1].strip():
                self.summary.count("ignored_lines")


def _unquoting(quote: str) -> Content:
    """The `content` function of a message whose start line began with `quote` (indent, `> `)."""

    def content(raw: str) -> str:
        if raw.startswith(quote):
            return raw[len(quote):]
        return "" if raw.strip() == quote.strip() else raw  # a quoted empty line, trailing space trimmed

    return content
