"""Bytes of one SIP message → `SipMessage` (with anomalies) or `Anomaly`. Sans-I/O.

How this works: leading CR/LF is skipped, the head is split from the body at the first empty
line (CRLF CRLF; bare LF LF accepted for pasted text), the start line decides request vs.
response, header lines are unfolded (RFC 3261 §7.3.1 continuation lines start with SP/HT)
and compact names expanded. What is wrong but recoverable (a header line without a colon,
a missing mandatory header, a Content-Length that disagrees with the body) becomes an
anomaly on the message. Only input whose first line is no SIP start line at all is returned
as a bare `Anomaly`. Nothing here raises on peer input.
"""

from __future__ import annotations

from array import array
from typing import Callable

from ..sources import core
from ..sources.frame import Endpoint, Origin
from .grammar import MAX_HEADER_NAMES, REQUEST_LINE, STATUS_LINE, header_id, header_name, number
from .grammar import shared as _shared
from .headers import parse_cseq
from .keyfacts import KeyFacts, new_facts
from .message import Anomaly, SipMessage
from .plainfacts import FACT_IDS, plain_facts

MANDATORY = ("Via", "From", "To", "Call-ID", "CSeq")
"""RFC 3261 §8.1.1: headers every request (and its responses) must carry."""
MANDATORY_IDS = tuple(header_id(h) for h in MANDATORY)
CALL_ID_ID, CSEQ_ID, CONTENT_LENGTH_ID = header_id("Call-ID"), header_id("CSeq"), header_id("Content-Length")

def split_head(data: bytes) -> tuple[bytes, bytes, bool]:
    """Return (head, body, terminated): the head ends at the first empty line."""
    crlf = data.find(b"\r\n\r\n")
    lf = data.find(b"\n\n")
    if crlf >= 0 and (lf < 0 or crlf <= lf):
        return data[:crlf], data[crlf + 4 :], True
    if lf >= 0:
        return data[:lf], data[lf + 2 :], True
    return data, b"", False


HEADER, CONTINUATION, NO_COLON = 0, 1, 2
"""Kinds of a header line in a layout (see `head_layout`)."""
_NOT_A_NAME_START = frozenset(b":\r\x0b\x0c\x1c\x1d\x1e\x1f")
"""RFC 3261 §25.1 field-name = token: a line starting with these is no header line (SP and HT
start a continuation)."""


def head_layout(data: bytes) -> tuple[int, int, int, bool, int, list[int]]:
    """Where the parts of a message are, as byte offsets into `data` (the pure-Python twin of
    rust/src/head.rs, which gives the same tuple):

    (lead, head_end, body_at, terminated, start_end, lines): `lead` CR/LF bytes before the start
    line, the head `data[lead:head_end]` up to the first empty line (CRLF CRLF, or LF LF for
    pasted text, whichever comes first; `terminated` False when there is none), the body from
    `body_at`, the start line `data[lead:start_end]` (its CRs stripped), and per non-empty line
    after it five integers: kind (HEADER, CONTINUATION, NO_COLON), line start, line end (its CRs
    stripped), name end (before the colon and the SP/HT in front of it), value start (after the
    colon and SP/HT). Only ASCII bytes decide, so a UTF-8 decoding of a slice between two
    offsets is that slice of the decoded message.
    """
    n = len(data)
    lead = 0
    while lead < n and data[lead] in (10, 13):
        lead += 1
    crlf = data.find(b"\r\n\r\n", lead)
    lf = data.find(b"\n\n", lead)
    if crlf >= 0 and (lf < 0 or crlf <= lf):
        head_end, body_at, terminated = crlf, crlf + 4, True
    elif lf >= 0:
        head_end, body_at, terminated = lf, lf + 2, True
    else:
        head_end, body_at, terminated = n, n, False
    lines: list[int] = []
    at = lead
    start_end = -1
    while True:
        nl = data.find(b"\n", at, head_end)
        stop = head_end if nl < 0 else nl
        end = stop
        while end > at and data[end - 1] == 13:
            end -= 1
        if start_end < 0:
            start_end = end
        elif end > at:
            first = data[at]
            if first in (32, 9):
                lines += (CONTINUATION, at, end, at, at)
            else:
                colon = data.find(b":", at, end)
                if colon < 0 or first in _NOT_A_NAME_START:
                    lines += (NO_COLON, at, end, at, at)
                else:
                    name_end = colon
                    while name_end > at and data[name_end - 1] in (32, 9):
                        name_end -= 1
                    value_at = colon + 1
                    while value_at < end and data[value_at] in (32, 9):
                        value_at += 1
                    lines += (HEADER, at, end, name_end, value_at)
        if nl < 0:
            break
        at = nl + 1
    return lead, head_end, body_at, terminated, start_end, lines


_NAMES: dict[bytes, tuple[str, int]] = {}
"""Header names as written (bytes) → (canonical name, id); bounded like grammar's table."""


def _name_id(written: bytes) -> int:
    found = _NAMES.get(written)
    if found is None:
        found = header_name(written.decode("utf-8", "replace"))
        if len(_NAMES) < MAX_HEADER_NAMES:
            _NAMES[written] = found
            if _compiled_parser is not None:
                _compiled_parser.learn(written, found[1])
    return found[1]


UNKNOWN = 0xFFFFFFFF
"""A name id the compiled parser does not know yet (see `head_record`)."""
SPECIAL_IDS = (CALL_ID_ID, CSEQ_ID, CONTENT_LENGTH_ID)


def head_record(data: bytes, with_facts: bool = True):
    """The parser's record of `data` (the pure-Python twin of rust/src/head.rs `Record`, which
    gives the same tuple, except that it reports names it has not learnt yet as UNKNOWN):

    (lead, head_end, body_at, terminated, start_end, index, unknown, others, specials, facts,
    ident): the layout's offsets (see `head_layout`), per header line four integers (name id,
    line start, value start, value end), (position, name end) of each header whose id is
    UNKNOWN, per other line (kind, start, end, headers before it), the first positions of
    Call-ID, CSeq and Content-Length (-1: none), the key facts (plainfacts.py, the twin of
    rust/src/facts.rs: None when the message is not of the plain form, or not `with_facts`)
    and the identity (start line, method, status, Call-ID, CSeq) — always None here: where the
    compiled core reads it from the bytes (rust/src/ident.rs), this path takes it from
    `parse_message`'s general path, which is where the core sends everything it declines too;
    declined facts are read from the views when first asked (`SipMessage.facts`, keyfacts.py)."""
    lead, head_end, body_at, terminated, start_end, lines = head_layout(data)
    index: list[int] = []
    others: list[int] = []
    specials = [-1, -1, -1]
    for i in range(0, len(lines), 5):
        kind, at, end, name_end, value_at = lines[i:i + 5]
        if kind != HEADER:
            others += (kind, at, end, len(index) // 4)
            continue
        name_id = _name_id(data[at:name_end])
        if name_id in SPECIAL_IDS:
            k = SPECIAL_IDS.index(name_id)
            if specials[k] < 0:
                specials[k] = len(index) // 4
        index += (name_id, at, value_at, end)
    facts = plain_facts(data, index, others) if with_facts else None
    return lead, head_end, body_at, terminated, start_end, index, [], others, specials, facts, None


_compiled_parser = None


def record_function() -> Callable:
    """The record function of the active core: rust/src/head.rs, or `head_record` above (looked
    up once per input by `dissect`, and per message by `parse_message` without one)."""
    return _record_function()


def _record_function():
    """The record function of the active core: rust/src/head.rs, or `head_record` above."""
    global _compiled_parser
    compiled = core.compiled()
    if compiled is None:
        return head_record
    if _compiled_parser is None:
        _compiled_parser = compiled.HeadParser(*SPECIAL_IDS, *FACT_IDS)
        for written, (_canonical, name_id) in _NAMES.items():
            _compiled_parser.learn(written, name_id)
    return _compiled_parser.parse


def plain_messages(raw_file) -> tuple[object, Callable] | None:
    """For `CaptureReader.plain_messages` on the compiled core: its head parser and what makes
    a message of a UDP datagram it read whole (the message left in `raw_file`, a RawFile, as
    `SipMessage.left_in` says); None on the pure core, whose reader hands every datagram over
    as a frame."""
    _record_function()
    if _compiled_parser is None or core.compiled() is None:
        return None
    left_in = SipMessage.left_in

    def make(origin: Origin, time: float | None, src: Endpoint, dst: Endpoint, offset: int, digest: int,
             body_at: int, ident: tuple, facts: tuple) -> SipMessage:
        return left_in(raw_file, offset, digest, origin, time, src, dst, "UDP", body_at, ident,
                       new_facts(KeyFacts, facts))

    return _compiled_parser, make


def header_index(data: bytes) -> array:
    """The header index `parse_message` gave the message of `data`: for a message whose bytes
    were left in the capture file and read back (`SipMessage._layout`). Name ids are stable,
    so the same bytes give the same index, on either core."""
    return index_function()(data)


def index_function() -> Callable[[bytes], array]:
    """`header_index` of the active core, looked up once."""
    _record_function()  # the active core's parser, made and taught the names once
    if _compiled_parser is None or core.compiled() is None:
        return _pure_header_index
    index_of = _compiled_parser.index

    def compiled_header_index(data: bytes) -> array:
        head_end, index, unknown = index_of(data)
        if not unknown:
            return array("H" if head_end < 65536 else "I", index)
        return _with_names(data, array("I", index), unknown, head_end)

    return compiled_header_index


def compiled_index_function() -> Callable[[bytes], array] | None:
    """`index_function()` when the compiled core is active (a microsecond a message), else
    None: the pure-Python twin takes about ten, so messages read by it keep their index."""
    fn = index_function()
    return None if fn is _pure_header_index else fn


def _pure_header_index(data: bytes) -> array:
    _lead, head_end, _body_at, _terminated, _start_end, index, unknown, *_ = head_record(data, with_facts=False)
    return _with_names(data, index, unknown, head_end)


def _with_names(data: bytes, index, unknown: list[int], head_end: int) -> array:
    """`index` with the ids of the names the compiled parser did not know, as `parse_message`."""
    for i in range(0, len(unknown), 2):
        position = unknown[i]
        index[position * 4] = _name_id(data[index[position * 4 + 1]:unknown[i + 1]])
    return array("H" if head_end < 65536 else "I", index)


def parse_message(
    data: bytes,
    *,
    origin: Origin,
    time: float | None = None,
    src: Endpoint = Endpoint(None, None),
    dst: Endpoint = Endpoint(None, None),
    transport: str = "UDP",
    record: Callable | None = None,
) -> SipMessage | Anomaly:
    """`record`: the record function of the active core (`record_function()`), when the caller
    parses many messages and has looked it up once."""
    return parse_message_checked(data, origin=origin, time=time, src=src, dst=dst, transport=transport,
                                 record=record)[0]


def parse_message_checked(
    data: bytes,
    *,
    origin: Origin,
    time: float | None = None,
    src: Endpoint = Endpoint(None, None),
    dst: Endpoint = Endpoint(None, None),
    transport: str = "UDP",
    record: Callable | None = None,
) -> tuple[SipMessage | Anomaly, bool]:
    """`parse_message`, and whether the body is known to be exactly as long as Content-Length
    says (or there is none): True when the compiled core checked it (rust/src/ident.rs), False
    when nothing is known."""
    raw = data
    lead, head_end, body_at, terminated, start_end, index, unknown, others, specials, facts, ident = \
        (record or _record_function())(data)
    if type(index) is bytes:  # the compiled core's array bytes (see rust/src/python.rs)
        index = array("H" if head_end < 65536 and not unknown else "I", index)
    if ident is not None:
        # the compiled core read the start line, Call-ID and CSeq, and the checks below would
        # all pass (rust/src/ident.rs): only lines that are no header lines remain to be told
        start, method, status, call_id, cseq = ident
        anomalies: list[Anomaly] = []
        if others:
            _other_lines(data, index, others, origin, anomalies)
        return SipMessage(
            origin=origin, time=time, src=src, dst=dst, transport=transport, raw=raw, start_line=start,
            method=method, status=status, body_at=body_at, index=index, call_id=call_id, cseq=cseq,
            anomalies=anomalies or None, facts=None if facts is None else new_facts(KeyFacts, facts),
        ), True
    start = data[lead:start_end].decode("utf-8", "replace")
    anomalies = []

    method = None
    status = None
    m = REQUEST_LINE.match(start)
    if m and not start.upper().startswith("SIP/"):
        method = _shared(m.group(1).upper())
    else:
        s = STATUS_LINE.match(start)
        if not s:
            bad = Anomaly("malformed-start-line", f"not a SIP start line: {start[:120]!r}", origin, raw[:2048])
            return bad, False
        status = int(s.group(1))
        if not 100 <= status <= 699:
            anomalies.append(Anomaly("bad-status-code", f"status code {status} outside 100-699", origin))

    for i in range(0, len(unknown), 2):  # names the compiled parser meets for the first time
        position = unknown[i]
        name_id = index[position * 4] = _name_id(data[index[position * 4 + 1]:unknown[i + 1]])
        if name_id in SPECIAL_IDS:
            k = SPECIAL_IDS.index(name_id)
            if specials[k] < 0 or position < specials[k]:
                specials[k] = position

    folded = _other_lines(data, index, others, origin, anomalies)

    head_bytes_end_nl = head_end > lead and data[head_end - 1] == 10
    body = data[body_at:]
    if not terminated:
        if head_bytes_end_nl or not body:
            anomalies.append(Anomaly("unterminated-headers", "no empty line after the headers", origin))

    def value_of(position: int) -> str | None:
        if position < 0:
            return None
        if folded is not None and position in folded:
            return folded[position]
        return data[index[position * 4 + 2]:index[position * 4 + 3]].decode("utf-8", "replace").strip()

    call_id_text = value_of(specials[0])
    cseq_text = value_of(specials[1])
    length_text = value_of(specials[2])
    cseq = parse_cseq(cseq_text)
    if cseq is not None:
        cseq = _shared(cseq)
    _check(set(index[0::4]), method, cseq, cseq_text, length_text, body, transport, anomalies, origin)
    return SipMessage(
        origin=origin,
        time=time,
        src=src,
        dst=dst,
        transport=transport,
        raw=raw,
        start_line=start,
        method=method,
        status=status,
        body_at=body_at,
        index=array("H" if head_end < 65536 else "I", index),
        folded=folded,
        call_id=_shared(call_id_text.strip()) or None if call_id_text is not None else None,
        cseq=cseq,
        anomalies=anomalies or None,
        facts=None if facts is None else new_facts(KeyFacts, facts),
    ), False


def _other_lines(data: bytes, index, others, origin: Origin, anomalies: list[Anomaly]) -> dict[int, str] | None:
    """Continuation lines joined to the header before them (returned by header position); a
    line that is no header line becomes an anomaly."""
    folded: dict[int, str] | None = None
    for i in range(0, len(others), 4):
        kind, at, end, before = others[i:i + 4]
        line = data[at:end].decode("utf-8", "replace")
        if kind == CONTINUATION:
            if before:
                last = before - 1
                if folded is None:
                    folded = {}
                previous = folded.get(last)
                if previous is None:
                    previous = data[index[last * 4 + 2]:index[last * 4 + 3]].decode("utf-8", "replace").strip()
                folded[last] = f"{previous} {line.strip()}".strip()
            else:
                anomalies.append(Anomaly("bad-header-line", f"continuation line before any header: {line[:80]!r}", origin))
        else:
            anomalies.append(Anomaly("bad-header-line", f"header line without a colon: {line[:80]!r}", origin))
    return folded


def _check(present_ids, method, cseq, cseq_text, length_text, body, transport, anomalies, origin) -> None:
    missing = [h for h, name_id in zip(MANDATORY, MANDATORY_IDS) if name_id not in present_ids]
    if missing:
        anomalies.append(Anomaly("missing-header", "missing mandatory header(s): " + ", ".join(missing), origin))
    if cseq_text is not None:
        if cseq is None:
            anomalies.append(Anomaly("bad-cseq", f"CSeq not understood: {cseq_text[:80]!r}", origin))
        elif method and cseq[1] != method:
            anomalies.append(Anomaly("cseq-method-mismatch", f"CSeq method {cseq[1]} differs from {method}", origin))
    if length_text is not None:
        declared = number(length_text)
        if declared is None:
            anomalies.append(Anomaly("bad-content-length", f"Content-Length not a number: {length_text[:40]!r}", origin))
        elif declared > len(body):
            anomalies.append(
                Anomaly("truncated-body", f"Content-Length {declared} but only {len(body)} body bytes", origin)
            )
        elif declared < len(body) and body[declared:].strip(b"\r\n\x00 "):
            anomalies.append(
                Anomaly("content-length-mismatch", f"Content-Length {declared} but {len(body)} body bytes follow",
                        origin)
            )
    elif transport in ("TCP", "TLS") and body:
        anomalies.append(Anomaly("missing-content-length", "stream message without Content-Length", origin))
