"""`SipMessage`: one SIP request or response with where it was seen, and `Anomaly`.

A message keeps its raw bytes (or where they are in its capture file) and a compact index of
its header lines (see `SipMessage`); header values, the body and structured views (Via,
From/To, Contact, digest parameters, SDP) come from the raw bytes when asked for. Messages
from the same wire event seen in several inputs (a capture and a log) are separate objects
here; flows merge them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from ..sources.frame import Endpoint, Origin
from .grammar import BOUNDARY, LIST_HEADERS_LOWER, OTHER_NAME, canonical_header, header_id, number
from .headers import (
    Credentials,
    NameAddr,
    Uri,
    Via,
    parse_credentials,
    parse_name_addr,
    parse_uri,
    parse_via,
    split_list,
)
from .keyfacts import KeyFacts, facts_from_views
from .sdp import SessionDescription, parse_sdp


_MORE = {"direction": None, "ip_fragments": 1, "tcp_segments": 1, "tunnel": None, "first_origin": None}
"""What few messages have, and its value for the others (see `SipMessage._more`)."""


NONE: tuple = ()
"""The shared empty sequence of a message without anomalies or other sightings."""


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


def _rare(name: str, doc: str) -> property:
    """An attribute few messages have, kept in `SipMessage._more` (default: `_MORE[name]`)."""
    return property(lambda self: self._get_more(name), lambda self, value: self._set_more(name, value), doc=doc)


_new_message = object.__new__

_UNSET = object()
"""A view not parsed yet (`SipMessage._kept`)."""


class _Views:
    """The structured views of one message parsed so far (a slot is unset until parsed): made
    for the few messages that are asked for one, instead of eight slots in every message."""

    __slots__ = ("top_via", "from_", "to", "contacts", "ruri", "sdp", "authorization", "challenge")


class SipMessage:
    """A parsed SIP message and its provenance, kept compact.

    How this works: the message keeps its raw bytes and, per header line, four small integers
    in one array (`_index`): the header name's id (`grammar.header_name`), where the line starts,
    and where its value starts and ends, as byte offsets into the raw bytes (parser.head_layout).
    A header value is cut out of the raw bytes and decoded when asked for (the offsets sit on
    ASCII bytes, so that is the same text as a slice of the decoded message). Call-ID and CSeq
    are read while parsing, and the key facts the flow layer asks of every message (top Via,
    tags, first Contact, User-Agent/Server: keyfacts.py) by the compiled core where it can;
    Via, From, To, Contact, the Request-URI, credentials and SDP views are parsed on first use
    and kept (`_Views`, made for the few messages asked for one). A message that is a whole UDP
    datagram of a plain capture file lets go of its bytes once parsed (`leave_in`), and with the
    compiled core of its header index too, and reads them back when asked (sources/rawfile.py),
    so on a busy capture it costs a few hundred bytes. What few messages have (fragments,
    segments, a tunnel, a log's direction) is in one dictionary (`_more`) when they have it.
    """

    __slots__ = (
        "origin", "time", "src", "dst", "transport", "_raw", "_file", "_at", "_sum", "start_line", "method",
        "status", "anomalies", "seq", "_body_at", "_index", "_folded", "_call_id", "_cseq", "_facts", "_views",
        "_more",
    )

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
        status: int | None,
        body_at: int,
        index: Sequence[int],
        folded: dict[int, str] | None = None,
        call_id: str | None = None,
        cseq: tuple[int, str] | None = None,
        anomalies: list[Anomaly] | None = None,
        facts: KeyFacts | None = None,
    ) -> None:
        self.origin = origin
        self.time = time
        self.src = src
        self.dst = dst
        self.transport = transport
        self._raw = raw
        self._file = None
        """Where the bytes can be read back from (sources/rawfile.py) once released, else None."""
        self._at: int | None = None
        """Offset of the bytes in `_file`."""
        self._sum = 0
        """hash(bytes) << 24 | len(bytes) once left in `_file` (one int instead of a tuple of three:
        the hash tells the bytes apart from others; a message is shorter than 16 MiB)."""
        self.start_line = start_line
        self.method = method
        self.status = status
        self._body_at = body_at
        """Where the body starts in the bytes."""
        self._index = index
        """Per header line: name id, line start, value start, value end (offsets in the bytes);
        None once the bytes are left in the file (`leave_in`): `_layout` derives it again."""
        self._folded = folded
        """Values of folded (multi-line) headers by header position, already joined."""
        self._call_id = call_id
        self._cseq = cseq
        self.anomalies: Sequence[Anomaly] = anomalies or NONE
        """What is odd about this message; a shared empty tuple when nothing is (most messages):
        to add one, assign a new list."""
        self._views: _Views | None = None
        """The structured views parsed so far (Via, From, To, ...: `_keep`), or None."""
        self._more: dict | None = None
        """What few messages have (`direction`, `ip_fragments`, ...: `_MORE`), or None."""
        self.seq = 0
        """Position in the merged timeline of all inputs (set by flows)."""
        self._facts = facts
        """The key facts (keyfacts.py) when the compiled core read them; else read on first use."""

    @classmethod
    def left_in(cls, file, offset: int, digest: int, origin: Origin, time: float | None, src: Endpoint,
                dst: Endpoint, transport: str, body_at: int, ident: tuple, facts: KeyFacts) -> "SipMessage":
        """The message whose bytes are at `offset` in capture file `file` (a RawFile), as the
        compiled core read them whole in one pass (rust/src/python.rs, event 5): `digest` is
        hash(bytes) << 24 | len(bytes), `ident` (start line, method, status, Call-ID, CSeq).
        The same message, slot for slot, that `__init__` and then `leave_in` make of those bytes
        when the core reads them completely (tests/test_core_differential.py compares them), made
        without the bytes."""
        self = _new_message(cls)
        self.origin = origin
        self.time = time
        self.src = src
        self.dst = dst
        self.transport = transport
        self._raw = None
        self._file = file
        self._at = offset
        self._sum = digest
        self.start_line, self.method, self.status, self._call_id, self._cseq = ident
        self.anomalies = NONE
        self.seq = 0
        self._body_at = body_at
        self._index = None
        self._folded = None
        self._facts = facts
        self._views = None
        self._more = None
        return self

    # -- basics --------------------------------------------------------------------------
    @property
    def raw(self) -> bytes:
        """The message's bytes, as received (read back from the capture file once released)."""
        raw = self._raw
        if raw is None:
            raw = self._file.read(self._at, self._sum & 0xFFFFFF, self._sum >> 24)
        return raw

    @property
    def digest(self) -> tuple[int, int]:
        """(length, hash) of the bytes: equal for the same bytes, without holding or reading them."""
        if self._at is not None:
            return self._sum & 0xFFFFFF, self._sum >> 24
        return len(self._raw), hash(self._raw)

    def leave_in(self, file, offset: int) -> None:
        """The message's bytes are also at `offset` in capture file `file` (a RawFile): let go of
        them, keeping what reads them back (`raw`) and tells them apart (`digest`); and of their
        header index too when the file says how to find it again (`index_of`, `_layout`)."""
        raw = self._raw
        if len(raw) > 0xFFFFFF or self._folded is not None:
            return  # longer than a message can be, or folded lines joined: keep it
        if self._facts is None:  # the flow layer asks every message: read them while it is cheap
            self._facts = facts_from_views(self)
        self._file = file
        self._at = offset
        self._sum = hash(raw) << 24 | len(raw)
        self._raw = None
        if file.index_of is not None:  # it is quick to find the headers again (the compiled core)
            self._index = None

    def _layout(self) -> tuple[bytes, Sequence[int]]:
        """(bytes, header index): the index kept, or found again in the bytes read back
        (parser.header_index: the RawFile's `index_of`, and keeps it with the bytes)."""
        index = self._index
        if index is not None:
            return self.raw, index
        index_of = self._file.index_of
        if index_of is None:  # a RawFile unpickled elsewhere: the active core's
            from .parser import index_function

            index_of = index_function()
        return self._file.read_indexed(self._at, self._sum & 0xFFFFFF, self._sum >> 24, index_of)

    def layout(self) -> tuple[int, Sequence[int], dict[int, str] | None]:
        """(where the body starts, header index, folded values): how the parser cut the bytes."""
        return self._body_at, self._layout()[1], self._folded

    @property
    def is_request(self) -> bool:
        return self.method is not None

    @property
    def request_uri(self) -> str | None:
        """The Request-URI as written (requests), cut from the start line when asked for."""
        if self.method is None:
            return None
        return self.start_line.split(None, 2)[1]

    @property
    def reason(self) -> str | None:
        """The reason phrase (responses; '' when there is none), cut from the start line."""
        if self.method is not None:
            return None
        return self.start_line[7:].lstrip(" ")[3:].lstrip(" ").rstrip()

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

    @property
    def body(self) -> bytes:
        return self.raw[self._body_at:]

    def text_lines(self) -> list[str]:
        """The message as lines of text (start line, header lines, blank line, body), line ends
        normalised: a bare CR ends a line too. Highlights count their line numbers in this list."""
        return self.raw.decode("utf-8", "replace").replace("\r\n", "\n").replace("\r", "\n").split("\n")

    def _value(self, position: int) -> str:
        folded = self._folded
        if folded is not None and position in folded:
            return folded[position]
        i = position * 4
        raw, index = self._layout()
        return raw[index[i + 2]:index[i + 3]].decode("utf-8", "replace").strip()

    def _written_name(self, position: int) -> str:
        """The header name of line `position` as written, canonical form."""
        raw, index = self._layout()
        line_at = index[position * 4 + 1]
        return canonical_header(raw[line_at:raw.index(b":", line_at)].decode("utf-8", "replace"))

    @property
    def headers(self) -> list[tuple[str, str]]:
        """Every header line in order as (canonical name, value); compact forms expanded, folds joined."""
        return [(self._written_name(p), self._value(p)) for p in range(len(self._layout()[1]) // 4)]

    def _positions(self, name: str) -> list[int]:
        """Positions of the header lines called `name` (case-insensitive, compact forms too)."""
        wanted = header_id(name)
        ids = self._layout()[1][0::4]
        if wanted != OTHER_NAME:
            n = ids.count(wanted)
            if n <= 1:
                return [ids.index(wanted)] if n else []
            return [p for p, i in enumerate(ids) if i == wanted]
        if OTHER_NAME not in ids:
            return []
        # a name the table never took in (it is full): compare the spelled-out names
        low = canonical_header(name).lower()
        return [p for p, i in enumerate(ids) if i == OTHER_NAME and self._written_name(p).lower() == low]

    def header(self, name: str) -> str | None:
        """First value of a header (canonical name, case-insensitive), or None."""
        wanted = header_id(name)
        if wanted != OTHER_NAME:
            raw, index = self._layout()
            try:
                position = index[0::4].index(wanted)
            except ValueError:
                return None
            folded = self._folded
            if folded is not None and position in folded:
                return folded[position]
            i = position * 4
            return raw[index[i + 2]:index[i + 3]].decode("utf-8", "replace").strip()
        positions = self._positions(name)
        if not positions:
            return None
        return self._value(positions[0])

    def header_values(self, name: str) -> list[str]:
        """All values of a header; list headers (Via, Contact, ...) split at commas."""
        positions = self._positions(name)
        if not positions:
            return []
        values = [self._value(p) for p in positions]
        if name.lower() in LIST_HEADERS_LOWER:
            return [item for v in values for item in split_list(v)]
        return values

    # -- what few messages have ----------------------------------------------------------
    def _get_more(self, name: str):
        more = self._more
        return _MORE[name] if more is None else more.get(name, _MORE[name])

    def _set_more(self, name: str, value) -> None:
        more = self._more
        if more is None:
            if value == _MORE[name]:
                return
            more = self._more = {}
        more[name] = value

    direction = _rare("direction", "For text logs: 'in' or 'out' as seen by the logging host.")
    ip_fragments = _rare("ip_fragments", "IP fragments the message came in (1: not fragmented).")
    tcp_segments = _rare("tcp_segments", "TCP segments the message came in (1: one segment or not TCP).")
    tunnel = _rare("tunnel", "Encapsulation the packet was found in (e.g. 'IPIP', 'GRE', 'VXLAN'), or None.")
    first_origin = _rare("first_origin", "Frame where a message spread over several segments began.")

    # -- structured views ----------------------------------------------------------------
    def _kept(self, name: str):
        """The message's view `name` if it was parsed already, else _UNSET."""
        views = self._views
        return _UNSET if views is None else getattr(views, name, _UNSET)

    def _keep(self, name: str, view):
        """`view` kept as the message's view `name`, and returned."""
        views = self._views
        if views is None:
            views = self._views = _Views()
        setattr(views, name, view)
        return view

    @property
    def facts(self) -> KeyFacts:
        """Top Via, Via count, From/To tags and first Contact host/port (see keyfacts.py): what the
        flow layer asks of every message, without building the views when the core read them."""
        facts = self._facts
        if facts is None:
            facts = self._facts = facts_from_views(self)
        return facts

    @property
    def call_id(self) -> str | None:
        return self._call_id

    @property
    def cseq(self) -> tuple[int, str] | None:
        return self._cseq

    @property
    def cseq_number(self) -> int | None:
        return self.cseq[0] if self.cseq else None

    @property
    def cseq_method(self) -> str | None:
        """The method this message belongs to: its own, or for a response the CSeq method."""
        if self.cseq:
            return self.cseq[1]
        return self.method

    @property
    def ruri(self) -> Uri | None:
        found = self._kept("ruri")
        if found is not _UNSET:
            return found
        return self._keep("ruri", parse_uri(self.request_uri))

    @property
    def vias(self) -> list[Via]:
        return [v for v in (parse_via(x) for x in self.header_values("Via")) if v is not None]

    @property
    def via_count(self) -> int:
        """len(self.vias) (one of the key facts)."""
        return self.facts.via_count

    def _count_vias(self) -> int:
        """len(self.vias), without parsing every Via when there is one line with one value."""
        positions = self._positions("Via")
        if len(positions) == 1:
            if "," not in self._value(positions[0]):
                return 0 if self.top_via is None else 1
        return len(self.vias)

    @property
    def top_via(self) -> Via | None:
        found = self._kept("top_via")
        if found is not _UNSET:
            return found
        top = None
        for value in self.header_values("Via"):
            top = parse_via(value)
            if top is not None:
                break
        return self._keep("top_via", top)

    @property
    def from_(self) -> NameAddr | None:
        found = self._kept("from_")
        if found is not _UNSET:
            return found
        return self._keep("from_", parse_name_addr(self.header("From")))

    @property
    def to(self) -> NameAddr | None:
        found = self._kept("to")
        if found is not _UNSET:
            return found
        return self._keep("to", parse_name_addr(self.header("To")))

    @property
    def contacts(self) -> list[NameAddr]:
        found = self._kept("contacts")
        if found is not _UNSET:
            return found
        return self._keep("contacts", [c for c in (parse_name_addr(x) for x in self.header_values("Contact"))
                                       if c is not None])

    @property
    def record_routes(self) -> list[NameAddr]:
        return [c for c in (parse_name_addr(x) for x in self.header_values("Record-Route")) if c is not None]

    @property
    def routes(self) -> list[NameAddr]:
        return [c for c in (parse_name_addr(x) for x in self.header_values("Route")) if c is not None]

    @property
    def user_agent(self) -> str | None:
        return self.header("User-Agent")

    @property
    def server(self) -> str | None:
        return self.header("Server")

    @property
    def authorization(self) -> Credentials | None:
        """Authorization or Proxy-Authorization credentials, if any."""
        found = self._kept("authorization")
        if found is not _UNSET:
            return found
        return self._keep("authorization", parse_credentials(self.header("Authorization")
                                                             or self.header("Proxy-Authorization")))

    @property
    def challenge(self) -> Credentials | None:
        """WWW-Authenticate or Proxy-Authenticate challenge, if any."""
        found = self._kept("challenge")
        if found is not _UNSET:
            return found
        return self._keep("challenge", parse_credentials(self.header("WWW-Authenticate")
                                                         or self.header("Proxy-Authenticate")))

    @property
    def expires(self) -> int | None:
        return number(self.header("Expires"))

    @property
    def content_type(self) -> str | None:
        v = self.header("Content-Type")
        return v.split(";")[0].strip().lower() if v else None

    @property
    def sdp(self) -> SessionDescription | None:
        """The SDP body, also when it is one part of a multipart body."""
        found = self._kept("sdp")
        if found is not _UNSET:
            return found
        if self._body_at >= (len(self._raw) if self._raw is not None else self._sum & 0xFFFFFF):
            return None  # no body (most messages): nothing to read back or keep
        return self._keep("sdp", self._parse_sdp())

    def _parse_sdp(self) -> SessionDescription | None:
        ctype = self.content_type
        if not ctype:
            return None
        if ctype == "application/sdp":
            return parse_sdp(self.body.decode("utf-8", "replace"))
        if ctype.startswith("multipart/"):
            for part_type, part_body in self.body_parts:
                if part_type == "application/sdp":
                    return parse_sdp(part_body.decode("utf-8", "replace"))
        return None

    @property
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
