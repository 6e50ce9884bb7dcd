"""Asterisk chan_sip `sip set debug on` output, from the console or the log file.

Asterisk 1.8 and later frame each message like this:

    <--- SIP read from UDP:192.0.2.10:5060 --->
    REGISTER sip:198.51.100.2 SIP/2.0
    ...
    <------------->

    <--- Transmitting (no NAT) to 192.0.2.10:5060 --->        (also `Reliably Transmitting (NAT)`)
    SIP/2.0 401 Unauthorized
    ...
    <------------>

and Asterisk 1.2-1.6 as `Transmitting (no NAT) to 192.0.2.10:5060:` ... `---`, which is also
how every version writes `Retransmitting #1 (no NAT) to ...:`. In the `full` log the dump
follows a `[date] VERBOSE[tid] chan_sip.c: ` line, whose time it takes. Sent messages do not
name their transport: it is taken from the top Via. Dumps that are not SIP (CRLF and `jaK`
keep-alives) are counted in the summary fact `non_sip_payloads`. Everything else is read as
Asterisk log lines (see `asterisk.py`).
"""

from __future__ import annotations

import re

from .asterisk import SNIFF_PREFIX, AsteriskReader, MessageHeader, any_line_matches
from .message import parse_endpoint

_READ = re.compile(r"^<--- SIP read from (?:(?P<transport>[A-Za-z]+):)?(?P<address>\S+) --->$")
_SENT = re.compile(r"^<--- (?:Reliably )?Transmitting \([^)]*\) to (?P<address>\S+) --->$")
_SENT_OLD = re.compile(r"^(?:(?:Reliably )?Transmitting|Retransmitting #\d+) \([^)]*\) to (?P<address>\S+):$")
_END = re.compile(r"^(?:<-{10,}>|---)$")
_SNIFF = re.compile(
    SNIFF_PREFIX
    + r"(?:<--- SIP read from |<--- (?:Reliably )?Transmitting \(|(?:Reliably )?Transmitting \(.*\) to \S+:$)"
)


class ChanSipReader(AsteriskReader):
    """Reads chan_sip debug dumps and the Asterisk log lines around them."""

    format = "chan_sip-debug"
    cut_header = re.compile(r"^(?:<---|Reliably |Transmitting|Retransmitting)")

    @staticmethod
    def sniff(head: str) -> int:
        """90 when the text holds chan_sip debug message headers, else 0."""
        return 90 if any_line_matches(head, _SNIFF) else 0

    def match_header(self, text: str) -> MessageHeader | None:
        text = text.strip()
        m = _READ.match(text)
        if m is not None:
            transport = m["transport"].upper() if m["transport"] else None
            return MessageHeader("in", parse_endpoint(m["address"]), transport)
        m = _SENT.match(text) or _SENT_OLD.match(text)
        if m is not None:
            return MessageHeader("out", parse_endpoint(m["address"]), None)
        return None

    def ends_message(self, text: str) -> bool:
        return bool(_END.match(text.strip()))
