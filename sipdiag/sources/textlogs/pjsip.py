"""Asterisk `pjsip set logger on` output, from the log file or the console.

Each message is announced by one header line, alone on the console or after the log prefix in
the `full` log file (`[2026-11-22 19:28:47.166] VERBOSE[20895] res_pjsip_logger.c: `):

    <--- Received SIP request (522 bytes) from UDP:203.0.113.88:12995 --->
    <--- Transmitting SIP response (483 bytes) to UDP:203.0.113.88:12995 --->

then the message as it was on the wire. Asterisk is the logging host: a received message comes
from the address in the header (direction 'in'), a transmitted one goes to it ('out'). The byte
count in the header is checked against the recovered message. Console dumps carry no time
(unless `verbose timestamps` is on); log file dumps carry the log line's time. Everything else
is read as Asterisk log lines (see `asterisk.py`).
"""

from __future__ import annotations

import re

from .asterisk import SNIFF_PREFIX, AsteriskReader, MessageHeader, any_line_matches
from .message import parse_endpoint

_HEADER = re.compile(
    r"^<--- (?P<verb>Received|Transmitting) SIP (?:request|response)(?: \((?P<size>[0-9]{1,10}) bytes\))?"
    r" (?:from|to) (?P<transport>[A-Za-z]+):(?P<address>\S+) --->\s*$"
)
_SNIFF = re.compile(SNIFF_PREFIX + r"<--- (?:Received|Transmitting) SIP (?:request|response)\b")


class PjsipLoggerReader(AsteriskReader):
    """Reads `pjsip set logger on` dumps and the Asterisk log lines around them."""

    format = "pjsip-logger"

    @staticmethod
    def sniff(head: str) -> int:
        """90 when the text holds pjsip logger message headers, else 0."""
        return 90 if any_line_matches(head, _SNIFF) else 0

    def match_header(self, text: str) -> MessageHeader | None:
        m = _HEADER.match(text.strip())
        if m is None:
            return None
        return MessageHeader(
            direction="in" if m["verb"] == "Received" else "out",
            remote=parse_endpoint(m["address"]),
            transport=m["transport"].upper(),
            size=int(m["size"]) if m["size"] else None,
        )

