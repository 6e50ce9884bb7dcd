"""WebSocket (RFC 6455, RFC 7118 for SIP) inside reassembled TCP streams → whole messages.

How this works: a connection becomes WebSocket when one direction opens with an HTTP
`GET` carrying `Upgrade: websocket`. From then on both directions are decoded: the HTTP
header (request or `101 Switching Protocols`) is skipped up to its blank line, then frames
are parsed (7/16/64-bit lengths, client masking, continuation frames, control frames
ignored). Text and binary messages are returned whole; permessage-deflate (RSV1) payloads
are inflated with a per-direction window, as RFC 7692 requires.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

MAX_BUFFER = 4 << 20


@dataclass(slots=True)
class _WsDirection:
    buf: bytearray = field(default_factory=bytearray)
    in_http: bool = True
    parts: list[bytes] = field(default_factory=list)
    kind: str = "text"
    deflated: bool = False
    inflater: zlib._Decompress | None = None


def _conn(key: tuple) -> tuple:
    src, sport, dst, dport, gen = key
    return (min((src, sport), (dst, dport)), max((src, sport), (dst, dport)), gen)


class WebSocketTracker:
    """Recognises WebSocket connections and decodes their frames."""

    def __init__(self) -> None:
        self._conns: set[tuple] = set()
        self._dirs: dict[tuple, _WsDirection] = {}
        self.problems: list[str] = []

    def claims(self, key: tuple, first_data: bytes | None) -> bool:
        """True if this stream direction belongs to a WebSocket connection."""
        conn = _conn(key)
        if conn in self._conns:
            return True
        if first_data is not None and first_data[:4] == b"GET " and b"websocket" in first_data[:4096].lower():
            self._conns.add(conn)
            return True
        return False

    def forget(self, key: tuple) -> None:
        """The stream direction `key` ended: drop its decoder state."""
        self._dirs.pop(key, None)

    def feed(self, key: tuple, data: bytes, gap_before: bool) -> list[tuple[bytes, str]]:
        """Add stream bytes; return complete messages as (payload, 'text'|'binary')."""
        d = self._dirs.get(key)
        if d is None:
            d = self._dirs[key] = _WsDirection()
        if gap_before:
            d.buf.clear()
            d.parts.clear()
            d.in_http = False
            self.problems.append("WebSocket stream has missing bytes; resynchronised")
        d.buf += data
        out: list[tuple[bytes, str]] = []
        if d.in_http:
            end = d.buf.find(b"\r\n\r\n")
            if end < 0:
                if len(d.buf) > 65536:
                    d.buf.clear()
                return out
            del d.buf[: end + 4]
            d.in_http = False
        self._frames(d, out)
        if len(d.buf) > MAX_BUFFER:
            self.problems.append("WebSocket frame larger than 4 MiB; dropped")
            d.buf.clear()
        return out

    def _frames(self, d: _WsDirection, out: list) -> None:
        buf = d.buf
        while len(buf) >= 2:
            b0, b1 = buf[0], buf[1]
            fin, rsv1, opcode = b0 & 0x80, b0 & 0x40, b0 & 0x0F
            masked, length = b1 & 0x80, b1 & 0x7F
            pos = 2
            if length == 126:
                if len(buf) < 4:
                    return
                length = int.from_bytes(buf[2:4], "big")
                pos = 4
            elif length == 127:
                if len(buf) < 10:
                    return
                length = int.from_bytes(buf[2:10], "big")
                pos = 10
            if masked:
                if len(buf) < pos + 4:
                    return
                mask = bytes(buf[pos : pos + 4])
                pos += 4
            if len(buf) < pos + length:
                return
            payload = bytes(buf[pos : pos + length])
            del buf[: pos + length]
            if masked:
                payload = _unmask(payload, mask)
            if opcode >= 8:
                continue  # close / ping / pong
            if opcode in (1, 2):
                d.parts = [payload]
                d.kind = "text" if opcode == 1 else "binary"
                d.deflated = bool(rsv1)
            elif opcode == 0:
                d.parts.append(payload)
            else:
                continue
            if fin and d.parts:
                message = b"".join(d.parts)
                d.parts = []
                if d.deflated:
                    message = self._inflate(d, message)
                out.append((message, d.kind))

    def _inflate(self, d: _WsDirection, data: bytes) -> bytes:
        if d.inflater is None:
            d.inflater = zlib.decompressobj(-15)
        try:
            return d.inflater.decompress(data + b"\x00\x00\xff\xff")
        except zlib.error:
            self.problems.append("WebSocket permessage-deflate data could not be inflated")
            d.inflater = None
            return b""


def _unmask(payload: bytes, mask: bytes) -> bytes:
    n = len(payload)
    key = int.from_bytes((mask * (n // 4 + 1))[:n], "big")
    return (int.from_bytes(payload, "big") ^ key).to_bytes(n, "big")
