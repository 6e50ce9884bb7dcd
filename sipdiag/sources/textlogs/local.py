"""The logging host's own address, read from what it sends: a text log names only the peer.

A dump header such as `<--- Transmitting SIP response (428 bytes) to UDP:203.0.113.88:12995 --->`
gives the remote end; the host that wrote the log (the PBX) is left as `LOCAL`. Once the whole
log is read, its address is taken from the messages, in order of trust:

1. the top Via sent-by of requests it sends: RFC 3261 §18.1.1, the address where it wants the
   responses, i.e. its own as it advertises it;
2. the Request-URI host of requests it receives, when an IP literal: the peers' view of it.

Never from the Contact of a response it sends: in a 2xx to REGISTER the Contact lists the
phone's bindings (RFC 3261 §10.3 step 8), which would make the phone's LAN address the PBX's
and keep a log from lining up with a capture of the same event.

Every `LOCAL` end of the log's frames gets the address, and the summary says where it came
from. With no such message the frames keep `LOCAL` and later stages may still infer it.
"""

from __future__ import annotations

import ipaddress
import re
from collections import Counter
from dataclasses import replace
from typing import Iterable, Iterator

from ..frame import LOCAL, Endpoint, Frame, InputSummary, LogEvent
from .message import REQUEST_LINE, parse_endpoint

# RFC 3261 §20.42 / §25.1: Via (or its compact form v) = SIP/2.0/transport SP sent-by *(;params).
_TOP_VIA = re.compile(r"^(?:Via|v)[ \t]*:[ \t]*SIP[ \t]*/[ \t]*2\.0[ \t]*/[ \t]*([A-Za-z]+)[ \t]+([^;,\s]+)",
                      re.IGNORECASE)
# The host[:port] of a sip:/sips: Request-URI (user part and parameters left out).
_RURI_HOST = re.compile(r"^sips?:(?:[^@;?]*@)?(\[[0-9A-Fa-f:.]+\](?::\d+)?|[^;?:>]+(?::\d+)?)", re.IGNORECASE)
_DEFAULT_PORTS = {"TLS": 5061, "WSS": 443, "WS": 80}


def with_local_address(items: Iterable[Frame | LogEvent], summary: InputSummary) -> Iterator[Frame | LogEvent]:
    """Read all `items`, then yield them with the logging host's address in place of `LOCAL`.

    Items without a `LOCAL` end (a reader already did this, or the format names both ends)
    pass through unchanged, and the summary keeps what it says."""
    items = list(items)
    frames = [i for i in items if isinstance(i, Frame)]
    found = local_address(frames) if any(f.src == LOCAL or f.dst == LOCAL for f in frames) else None
    if found is None:
        yield from items
        return
    endpoint, reason = found
    summary.local_address = f"{endpoint} ({reason})"
    for item in items:
        if isinstance(item, Frame) and (item.src == LOCAL or item.dst == LOCAL):
            item = replace(item, src=endpoint if item.src == LOCAL else item.src,
                           dst=endpoint if item.dst == LOCAL else item.dst)
        yield item


def local_address(frames: list[Frame]) -> tuple[Endpoint, str] | None:
    """The address the logging host uses, with the reason, or None if its messages do not say."""
    votes: Counter = Counter()
    first_line: dict[tuple, int | None] = {}
    for frame in frames:
        start, headers = _head(frame.payload)
        if not REQUEST_LINE.match(start):
            continue
        candidate = None
        if frame.direction == "out":
            via = next((m for m in map(_TOP_VIA.match, headers) if m), None)
            if via is not None:
                candidate = (via.group(2), via.group(1).upper(), 2, "the Via sent-by of requests it sends")
        elif frame.direction == "in":
            ruri = _RURI_HOST.match(start.split(" ")[1])
            if ruri is not None:
                candidate = (ruri.group(1), frame.transport, 1, "the Request-URI of requests it receives")
        if candidate is None:
            continue
        hostport, transport, priority, reason = candidate
        endpoint = parse_endpoint(hostport)
        if not _is_ip(endpoint.ip):
            continue
        key = (endpoint.ip, endpoint.port or _DEFAULT_PORTS.get(transport, 5060), priority, reason)
        votes[key] += 1
        first_line.setdefault(key, frame.origin.line)
    if not votes:
        return None
    best = max(votes, key=lambda k: (k[2], votes[k]))
    ip, port, _priority, reason = best
    line = first_line.get(best)
    return Endpoint(ip, port), f"inferred from {reason}" + (f", line {line}" if line else "")


def _head(payload: bytes) -> tuple[str, list[str]]:
    """Start line and header lines of a recovered message (CRLF line ends, see message.py)."""
    head = payload.split(b"\r\n\r\n", 1)[0].decode("utf-8", "replace")
    lines = head.split("\r\n")
    return lines[0].strip(), lines[1:]


def _is_ip(host: str | None) -> bool:
    if not host:
        return False
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
