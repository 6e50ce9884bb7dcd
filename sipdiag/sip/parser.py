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

from ..sources.frame import Endpoint, Origin
from .grammar import HEADER_LINE, REQUEST_LINE, STATUS_LINE, header_name, number
from .headers import parse_cseq
from .message import Anomaly, SipMessage

MANDATORY = ("Via", "From", "To", "Call-ID", "CSeq")
"""RFC 3261 §8.1.1: headers every request (and its responses) must carry."""


def split_head(data: bytes) -> tuple[bytes, bytes, bool]:
    """Return (head, body, terminated): the head ends at the first empty line."""
    crlf = data.find(b"\r\n\r\n")
    lf = data.find(b"\n\n")
    if crlf >= 0 and (lf < 0 or crlf <= lf):
        return data[:crlf], data[crlf + 4 :], True
    if lf >= 0:
        return data[:lf], data[lf + 2 :], True
    return data, b"", False


def parse_message(
    data: bytes,
    *,
    origin: Origin,
    time: float | None = None,
    src: Endpoint = Endpoint(None, None),
    dst: Endpoint = Endpoint(None, None),
    transport: str = "UDP",
) -> SipMessage | Anomaly:
    raw = data
    lead = len(data) - len(data.lstrip(b"\r\n"))
    data = data[lead:] if lead else data
    head_bytes, body, terminated = split_head(data)
    head = head_bytes.decode("utf-8", "replace")
    lines = head.split("\n")
    start = lines[0].rstrip("\r")
    anomalies: list[Anomaly] = []

    method = request_uri = reason = None
    status = None
    m = REQUEST_LINE.match(start)
    if m and not start.upper().startswith("SIP/"):
        method, request_uri = m.group(1).upper(), m.group(2)
    else:
        s = STATUS_LINE.match(start)
        if not s:
            return Anomaly("malformed-start-line", f"not a SIP start line: {start[:120]!r}", origin, raw[:2048])
        status, reason = int(s.group(1)), (s.group(2) or "")
        if not 100 <= status <= 699:
            anomalies.append(Anomaly("bad-status-code", f"status code {status} outside 100-699", origin))

    # one pass over the header lines: four integers per header (name id, line start, value
    # start, value end in `head`), folded values joined aside, the few values checks need
    index: list[int] = []
    folded: dict[int, str] | None = None
    names: list[str] = []
    values: list[str] = []
    line_at = len(lines[0]) + 1
    for line in lines[1:]:
        at = line_at
        line_at += len(line) + 1
        line = line.rstrip("\r")
        if not line:
            continue
        if line[0] in " \t":
            if names:
                value = f"{values[-1]} {line.strip()}".strip()
                values[-1] = value
                if folded is None:
                    folded = {}
                folded[len(names) - 1] = value
            else:
                anomalies.append(Anomaly("bad-header-line", f"continuation line before any header: {line[:80]!r}", origin))
            continue
        hm = HEADER_LINE.match(line)
        if not hm:
            anomalies.append(Anomaly("bad-header-line", f"header line without a colon: {line[:80]!r}", origin))
            continue
        name, name_id = header_name(hm.group(1))
        index += (name_id, at, at + hm.start(2), at + len(line))
        names.append(name)
        values.append(hm.group(2).strip())

    if not terminated:
        if head_bytes.endswith(b"\n") or not body:
            anomalies.append(Anomaly("unterminated-headers", "no empty line after the headers", origin))

    call_id_text = cseq_text = length_text = None
    for name, value in zip(names, values):
        if name == "Call-ID":
            if call_id_text is None:
                call_id_text = value
        elif name == "CSeq":
            if cseq_text is None:
                cseq_text = value
        elif name == "Content-Length":
            if length_text is None:
                length_text = value
    cseq = parse_cseq(cseq_text)
    body_at = lead + len(head_bytes) + (len(data) - len(head_bytes) - len(body))
    _check(names, method, cseq, cseq_text, length_text, body, transport, anomalies, origin)
    return SipMessage(
        origin=origin,
        time=time,
        src=src,
        dst=dst,
        transport=transport,
        raw=raw,
        start_line=start,
        method=method,
        request_uri=request_uri,
        status=status,
        reason=reason,
        head_at=lead,
        head_end=lead + len(head_bytes),
        body_at=body_at,
        index=array("H" if len(head) < 65536 else "I", index),
        folded=folded,
        call_id=call_id_text.strip() or None if call_id_text is not None else None,
        cseq=cseq,
        anomalies=anomalies,
    )


def _check(names, method, cseq, cseq_text, length_text, body, transport, anomalies, origin) -> None:
    present = set(names)
    missing = [h for h in MANDATORY if h not in present]
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
