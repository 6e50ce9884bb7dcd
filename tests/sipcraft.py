"""Small pcap scenarios for tests: SIP dialogues written as text, RTP as counted packets.

A `Scenario` collects UDP packets (SIP messages, RTP) with their times and writes a classic
pcap with correct IPv4/UDP checksums (benchmarks/packets.py builds the frames), so tshark
reads it like any capture. SIP messages are written by `request` / `response`, which keep the
RFC 3261 bookkeeping a real UA does (Via branch, tags, CSeq, Content-Length) so each test only
says what is particular to its story.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.packets import FrameBuilder, PcapWriter

T0 = 1_795_000_000.0
_ids = itertools.count(1)


def sdp(ip: str, port: int, codecs: tuple[int, ...] = (0, 8)) -> bytes:
    names = {0: "PCMU/8000", 8: "PCMA/8000", 9: "G722/8000", 18: "G729/8000", 101: "telephone-event/8000"}
    lines = ["v=0", f"o=- {next(_ids)} 1 IN IP4 {ip}", "s=-", f"c=IN IP4 {ip}", "t=0 0",
             f"m=audio {port} RTP/AVP {' '.join(str(c) for c in codecs)}"]
    lines += [f"a=rtpmap:{c} {names.get(c, 'x/8000')}" for c in codecs] + ["a=sendrecv"]
    return ("\r\n".join(lines) + "\r\n").encode()


@dataclass
class Dialog:
    """One side's view of a dialog: who calls whom, and the identifiers it keeps."""

    caller: str          # "user@ip:port" of the UA sending the requests
    callee_uri: str      # Request-URI / To URI, e.g. "sip:2001@pbx.example"
    call_id: str = field(default_factory=lambda: f"call-{next(_ids)}@test")
    from_tag: str = field(default_factory=lambda: f"ft{next(_ids)}")
    to_tag: str | None = None
    cseq: int = 0
    contact: str | None = None
    """Contact the caller advertises (defaults to its address)."""

    @property
    def user(self) -> str:
        return self.caller.split("@", 1)[0]

    @property
    def host(self) -> str:
        return self.caller.split("@", 1)[1]

    def request(self, method: str, *, ruri: str | None = None, body: bytes = b"", branch: str | None = None,
                extra: tuple[tuple[str, str], ...] = (), cseq: int | None = None, in_dialog: bool = False) -> "Msg":
        if cseq is None:
            if method not in ("ACK", "CANCEL"):
                self.cseq += 1
            cseq = self.cseq
        branch = branch or f"z9hG4bK{next(_ids)}"
        to = f"<{self.callee_uri}>" + (f";tag={self.to_tag}" if in_dialog and self.to_tag else "")
        headers = [
            ("Via", f"SIP/2.0/UDP {self.host};rport;branch={branch}"),
            ("Max-Forwards", "70"),
            ("From", f"<sip:{self.user}@{self.host.split(':')[0]}>;tag={self.from_tag}"),
            ("To", to),
            ("Call-ID", self.call_id),
            ("CSeq", f"{cseq} {method}"),
            ("Contact", f"<sip:{self.contact or self.caller}>"),
            ("User-Agent", "craft-ua 1.0"),
            *extra,
        ]
        if body:
            headers.append(("Content-Type", "application/sdp"))
        return Msg(f"{method} {ruri or self.callee_uri} SIP/2.0", headers, body)

    def response(self, request: "Msg", status: int, reason: str, *, body: bytes = b"", to_tag: str | None = None,
                 server: str = "craft-server 1.0", extra: tuple[tuple[str, str], ...] = ()) -> "Msg":
        headers = []
        for name, value in request.headers:
            if name in ("Via", "From", "Call-ID", "CSeq"):
                headers.append((name, value))
            elif name == "To":
                tag = to_tag if status > 100 else None
                headers.append(("To", value + (f";tag={tag}" if tag and ";tag=" not in value else "")))
        headers += [("Server", server), *extra]
        if body:
            headers.append(("Content-Type", "application/sdp"))
        return Msg(f"SIP/2.0 {status} {reason}", headers, body)


@dataclass
class Msg:
    start: str
    headers: list[tuple[str, str]]
    body: bytes = b""

    def header(self, name: str) -> str:
        return next(v for n, v in self.headers if n == name)

    def branch(self) -> str:
        return self.header("Via").split("branch=", 1)[1].split(";", 1)[0]

    def bytes(self) -> bytes:
        head = [self.start] + [f"{n}: {v}" for n, v in self.headers] + [f"Content-Length: {len(self.body)}"]
        return ("\r\n".join(head) + "\r\n\r\n").encode() + self.body


@dataclass
class Scenario:
    """Packets in time order; `local` is the capturing host (for MAC addresses only)."""

    local: str = "192.0.2.10"
    packets: list[tuple[float, bytes]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._frames = FrameBuilder(self.local)

    def sip(self, t: float, src: str, dst: str, msg: Msg | bytes) -> bytes:
        """Send `msg` from "ip:port" to "ip:port" at T0 + t; returns the frame (to send it twice)."""
        sip, sport = src.rsplit(":", 1)
        dip, dport = dst.rsplit(":", 1)
        payload = msg.bytes() if isinstance(msg, Msg) else msg
        frame = self._frames.udp(sip, int(sport), dip, int(dport), payload, tos=0x68)
        self.packets.append((T0 + t, frame))
        return frame

    def frame(self, t: float, frame: bytes) -> None:
        """The same frame again (a capture duplicate when `t` is microseconds later)."""
        self.packets.append((T0 + t, frame))

    def rtp(self, t: float, src: str, dst: str, count: int = 50, ssrc: int = 0x1234, pt: int = 0) -> None:
        """`count` RTP packets, 20 ms apart."""
        sip, sport = src.rsplit(":", 1)
        dip, dport = dst.rsplit(":", 1)
        for i in range(count):
            header = bytes([0x80, pt & 0x7F]) + (i & 0xFFFF).to_bytes(2, "big") + (160 * i).to_bytes(4, "big") \
                + ssrc.to_bytes(4, "big")
            frame = self._frames.udp(sip, int(sport), dip, int(dport), header + b"\xff" * 160, tos=0xB8)
            self.packets.append((T0 + t + 0.02 * i, frame))

    def write(self, path: Path) -> Path:
        with open(path, "wb") as fh:
            writer = PcapWriter(fh)
            for t, frame in sorted(self.packets, key=lambda p: p[0]):
                writer.write(int(round(t * 1_000_000)), frame)
        return path
