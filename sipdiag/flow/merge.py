"""Several inputs of one event → one timeline; a message seen in two inputs is one message.

How this works: the first input's items are the spine. Each later input is walked in order;
a SIP message matches a not-yet-matched message of the spine with the same fingerprint (the
message text with line endings and trailing spaces normalised) and compatible addresses (equal,
or unknown on one side), taking the k-th occurrence for the k-th — so retransmissions, which
are byte-identical, pair up in order instead of collapsing. A match adds the later origin to
the spine message's `also_seen`; anything unmatched is inserted after the last matched
position, which keeps each input's own order and places log lines next to their messages.
"""

from __future__ import annotations

import hashlib

from ..sip.message import SipMessage
from ..sources.frame import Endpoint


def fingerprint(msg: SipMessage) -> str:
    lines = [line.rstrip() for line in msg.raw.replace(b"\r\n", b"\n").strip().split(b"\n")]
    return hashlib.sha1(b"\n".join(lines)).hexdigest()


def _compatible(a: Endpoint, b: Endpoint) -> bool:
    if a.ip is None or b.ip is None:
        return True
    return a.ip == b.ip and (a.port is None or b.port is None or a.port == b.port)


def merge_inputs(per_input: list[list]) -> list:
    """Merge the item lists of several inputs (SipMessage, Anomaly, LogEvent) into one."""
    if not per_input:
        return []
    spine = list(per_input[0])
    for items in per_input[1:]:
        index: dict[str, list[int]] = {}
        for pos, item in enumerate(spine):
            if isinstance(item, SipMessage):
                index.setdefault(fingerprint(item), []).append(pos)
        used: set[int] = set()
        inserts: list[tuple[int, object]] = []
        anchor = -1
        for item in items:
            if isinstance(item, SipMessage):
                match = next(
                    (p for p in index.get(fingerprint(item), [])
                     if p not in used and p > anchor - 1000
                     and _compatible(spine[p].src, item.src) and _compatible(spine[p].dst, item.dst)),
                    None,
                )
                if match is not None:
                    used.add(match)
                    target = spine[match]
                    target.also_seen = [*target.also_seen, item.origin]
                    if target.time is None and item.time is not None:
                        target.time = item.time
                    anchor = match
                    continue
            inserts.append((anchor, item))
        merged: list = []
        by_anchor: dict[int, list] = {}
        for a, item in inserts:
            by_anchor.setdefault(a, []).append(item)
        merged.extend(by_anchor.get(-1, []))
        for pos, item in enumerate(spine):
            merged.append(item)
            merged.extend(by_anchor.get(pos, []))
        spine = merged
    return spine
