"""`SipMessage`: one SIP request or response with where it was seen, and `Anomaly`.

A message keeps its raw bytes, its header lines in order (compact forms expanded, folded
lines joined), and its body. Structured views (Via list, From/To, CSeq, digest parameters,
SDP) are parsed on first use. Messages from the same wire event seen in several inputs (a
capture and a log) are separate objects here; flows merge them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from ..sources.frame import Endpoint, Origin
from .grammar import BOUNDARY, LIST_HEADERS, number
from .headers import (
    Credentials,
    NameAddr,
    Uri,
    Via,
    parse_credentials,
    parse_cseq,
    parse_name_addr,
    parse_uri,
    parse_via,
    split_list,
)
from .sdp import SessionDescription, parse_sdp


@dataclass(slots=True)
class Anomaly:
    """Odd or malformed peer input (Zeek's "weird"): a stable name, detail, origin and raw bytes."""

    name: str
    """Stable kebab-case identifier, e.g. 'content-length-mismatch'."""
    detail: str
    origin: Origin
    raw: bytes = b""

    def to_json(self) -> dict:
        return {"name": self.name, "detail": self.detail, "evidence": self.origin.to_json()}


class SipMessage:
    """A parsed SIP message and its provenance."""

    def __init__(
        self,
        *,
        origin: Origin,
        time: float | None,
        src: Endpoint,
        dst: Endpoint,
        transport: str,
        raw: bytes,
        start_line: str,
        method: str | None,
        request_uri: str | None,
        status: int | None,
        reason: str | None,
        headers: list[tuple[str, str]],
        body: bytes,
        anomalies: list[Anomaly] | None = None,
    ) -> None:
        self.origin = origin
        self.time = time
        self.src = src
        self.dst = dst
        self.transport = transport
        self.raw = raw
        self.start_line = start_line
        self.method = method
        self.request_uri = request_uri
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body
        self.anomalies = anomalies if anomalies is not None else []
        self.direction: str | None = None
        """For text logs: 'in' or 'out' as seen by the logging host."""
        self.ip_fragments = 1
        self.tcp_segments = 1
        self.tunnel: str | None = None
        self.first_origin: Origin | None = None
        """Frame where a message spread over several segments began."""
        self.also_seen: list[Origin] = []
        """The same message in other inputs (filled in by flows when inputs are merged)."""
        self.seq = 0
        """Position in the merged timeline of all inputs (set by flows)."""

    # -- basics --------------------------------------------------------------------------
    @property
    def is_request(self) -> bool:
        return self.method is not None

    @property
    def summary(self) -> str:
        """The start line, e.g. 'REGISTER sip:pbx SIP/2.0' or 'SIP/2.0 404 Not Found'."""
        return self.start_line

    @property
    def label(self) -> str:
        """Short label for ladders: 'REGISTER' or '404 Not Found'."""
        if self.method:
            return self.method
        return f"{self.status} {self.reason or ''}".strip()

    def header(self, name: str) -> str | None:
        """First value of a header (canonical name, case-insensitive), or None."""
        low = name.lower()
        for n, v in self.headers:
            if n.lower() == low:
                return v
        return None

    def header_values(self, name: str) -> list[str]:
        """All values of a header; list headers (Via, Contact, ...) split at commas."""
        low = name.lower()
        values = [v for n, v in self.headers if n.lower() == low]
        canonical = next((n for n, _ in self.headers if n.lower() == low), name)
        if canonical in LIST_HEADERS:
            return [item for v in values for item in split_list(v)]
        return values

    # -- structured views ----------------------------------------------------------------
    @cached_property
    def call_id(self) -> str | None:
        v = self.header("Call-ID")
        return v.strip() if v else None

    @cached_property
    def cseq(self) -> tuple[int, str] | None:
        return parse_cseq(self.header("CSeq"))

    @property
    def cseq_number(self) -> int | None:
        return self.cseq[0] if self.cseq else None

    @property
    def cseq_method(self) -> str | None:
        """The method this message belongs to: its own, or for a response the CSeq method."""
        if self.cseq:
            return self.cseq[1]
        return self.method

    @cached_property
    def ruri(self) -> Uri | None:
        return parse_uri(self.request_uri)

    @cached_property
    def vias(self) -> list[Via]:
        return [v for v in (parse_via(x) for x in self.header_values("Via")) if v is not None]

    @cached_property
    def top_via(self) -> Via | None:
        return self.vias[0] if self.vias else None

    @cached_property
    def from_(self) -> NameAddr | None:
        return parse_name_addr(self.header("From"))

    @cached_property
    def to(self) -> NameAddr | None:
        return parse_name_addr(self.header("To"))

    @cached_property
    def contacts(self) -> list[NameAddr]:
        return [c for c in (parse_name_addr(x) for x in self.header_values("Contact")) if c is not None]

    @cached_property
    def record_routes(self) -> list[NameAddr]:
        return [c for c in (parse_name_addr(x) for x in self.header_values("Record-Route")) if c is not None]

    @cached_property
    def routes(self) -> list[NameAddr]:
        return [c for c in (parse_name_addr(x) for x in self.header_values("Route")) if c is not None]

    @property
    def user_agent(self) -> str | None:
        return self.header("User-Agent")

    @property
    def server(self) -> str | None:
        return self.header("Server")

    @cached_property
    def authorization(self) -> Credentials | None:
        """Authorization or Proxy-Authorization credentials, if any."""
        return parse_credentials(self.header("Authorization") or self.header("Proxy-Authorization"))

    @cached_property
    def challenge(self) -> Credentials | None:
        """WWW-Authenticate or Proxy-Authenticate challenge, if any."""
        return parse_credentials(self.header("WWW-Authenticate") or self.header("Proxy-Authenticate"))

    @property
    def expires(self) -> int | None:
        return number(self.header("Expires"))

    @property
    def content_type(self) -> str | None:
        v = self.header("Content-Type")
        return v.split(";")[0].strip().lower() if v else None

    @cached_property
    def sdp(self) -> SessionDescription | None:
        """The SDP body, also when it is one part of a multipart body."""
        ctype = self.content_type
        if not self.body or not ctype:
            return None
        if ctype == "application/sdp":
            return parse_sdp(self.body.decode("utf-8", "replace"))
        if ctype.startswith("multipart/"):
            for part_type, part_body in self.body_parts:
                if part_type == "application/sdp":
                    return parse_sdp(part_body.decode("utf-8", "replace"))
        return None

    @cached_property
    def body_parts(self) -> list[tuple[str, bytes]]:
        """(content type, body) of each part of a multipart body (RFC 2046 §5.1)."""
        m = BOUNDARY.search(self.header("Content-Type") or "")
        if not m:
            return []
        delimiter = b"--" + m.group(1).strip().encode()
        parts: list[tuple[str, bytes]] = []
        for chunk in self.body.split(delimiter)[1:]:
            if chunk.startswith(b"--"):
                break
            chunk = chunk.lstrip(b"\r\n")
            head, sep, body = chunk.partition(b"\r\n\r\n")
            if not sep:
                head, sep, body = chunk.partition(b"\n\n")
            ctype = "text/plain"
            for line in head.decode("utf-8", "replace").splitlines():
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-type":
                    ctype = value.split(";")[0].strip().lower()
            parts.append((ctype, body.rstrip(b"\r\n")))
        return parts

    def to_json(self) -> dict:
        out = {
            "evidence": self.origin.to_json(),
            "time": self.time,
            "src": str(self.src),
            "dst": str(self.dst),
            "transport": self.transport,
            "start_line": self.start_line,
            "call_id": self.call_id,
            "cseq": f"{self.cseq[0]} {self.cseq[1]}" if self.cseq else None,
        }
        if self.direction:
            out["direction"] = self.direction
        if self.ip_fragments > 1:
            out["ip_fragments"] = self.ip_fragments
        if self.tcp_segments > 1:
            out["tcp_segments"] = self.tcp_segments
        if self.tunnel:
            out["tunnel"] = self.tunnel
        if self.anomalies:
            out["anomalies"] = [a.name for a in self.anomalies]
        return out

    def __repr__(self) -> str:
        return f"<SipMessage {self.origin} {self.start_line!r}>"
