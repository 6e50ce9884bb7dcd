"""HEP (Homer Encapsulation Protocol) v1/v2/v3 inside UDP → the packet it carries. Sans-I/O.

Capture agents (heplify, Kamailio/OpenSIPS siptrace, FreeSWITCH, `sngrep -H`) send every SIP
packet they see to a HOMER collector wrapped in HEP, with the packet's original addresses,
ports and time. A capture taken at the collector therefore shows only agent → collector UDP;
unwrapping gives back the SIP conversation as the agent saw it.

How this works:

* HEP3 (the sipcapture HEP3 specification): "HEP3", a 16-bit total length, then chunks of
  (vendor id, type id, length including the 6-byte chunk header, value), all big-endian. The
  generic (vendor 0) chunks read here: 1 IP family, 2 IP protocol, 3/4 IPv4 source/destination,
  5/6 IPv6 source/destination, 7/8 source/destination port, 9/10 time (seconds, microseconds),
  11 payload protocol type (1 = SIP), 15 the captured payload. Other chunks are skipped.
* HEP v1/v2: an 8-byte header (version, header length, family, protocol, ports in network
  order), the two addresses, and for v2 a 12-byte time header whose seconds and microseconds are
  in the sender's byte order (in practice little-endian: the C structs are sent as they are in
  memory), then the payload.

`looks_like_hep` is the cheap test run on UDP payloads; the compiled core applies the same test
(rust/src/decode.rs) and hands such packets to the Python decoder.

Over TCP (heplify `-nt tcp`, Kamailio siptrace with a TCP `duplicate_uri`) an agent writes HEP3
messages back to back on one connection; TCP may split one over several segments or put several
in one. Each message says its total length in its header, so `Hep3Stream` cuts the reassembled
stream (tcp.py) into messages: it waits until a message is whole, and after missing bytes (a hole
in the capture) or bytes that are not HEP3 it resynchronises at the next "HEP3" header. A message
is at most 65,535 bytes (the length is 16 bits), which bounds what a stream direction holds. Only
HEP3 has a length field, so only HEP3 is read over TCP (v1/v2 agents send UDP). A stream direction
is HEP3 when its first bytes are a HEP3 header (`starts_hep3_stream`), or, for a connection picked
up mid-way, when its first segment holds one.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass

AF_INET, AF_INET6 = 2, 10
SIP_PROTOCOL_TYPE = 1


@dataclass(slots=True)
class HepPacket:
    """The packet a HEP message carries, with the agent's view of where and when it was seen."""

    src: str
    dst: str
    sport: int
    dport: int
    proto: int
    """IP protocol of the original packet: 17 (UDP), 6 (TCP), 132 (SCTP)."""
    time: float | None
    payload: bytes
    version: int


def looks_like_hep(payload: bytes) -> bool:
    """HEP3 magic, or a HEP v1/v2 header with a known family, protocol and header length."""
    if payload[:4] == b"HEP3":
        return len(payload) >= 6
    if len(payload) < 8 or payload[0] not in (1, 2) or payload[3] not in (6, 17):
        return False
    return (payload[2], payload[1]) in ((AF_INET, 16), (AF_INET6, 40))


def decode_hep(payload: bytes) -> HepPacket | str:
    """The carried packet, or a short description of what is wrong with the HEP message."""
    if payload[:4] == b"HEP3":
        return _hep3(payload)
    return _hep2(payload)


def _hep3(data: bytes) -> HepPacket | str:
    total = struct.unpack_from("!H", data, 4)[0]
    if total < 6:
        return "damaged HEP3 header (length below 6)"
    if total > len(data):
        return f"HEP3 message cut short ({len(data)} of {total} bytes)"
    end = total
    fields: dict[int, bytes] = {}
    pos = 6
    while pos + 6 <= end:
        vendor, kind, length = struct.unpack_from("!HHH", data, pos)
        if length < 6 or pos + length > end:
            return f"damaged HEP3 chunk (type {kind}, length {length})"
        if vendor == 0:
            fields.setdefault(kind, data[pos + 6 : pos + length])
        pos += length
    if 15 not in fields:
        return "HEP3 message without a payload chunk"
    if 11 in fields and fields[11][:1] and fields[11][0] != SIP_PROTOCOL_TYPE:
        return ""  # RTCP reports, logs, QoS: not a SIP packet, nothing to say
    family = fields.get(1, b"\x02")[:1] or b"\x02"
    if family[0] == AF_INET6:
        src, dst = fields.get(5, b""), fields.get(6, b"")
        if len(src) != 16 or len(dst) != 16:
            return "HEP3 message with a damaged IPv6 address chunk"
        src_ip, dst_ip = socket.inet_ntop(socket.AF_INET6, src), socket.inet_ntop(socket.AF_INET6, dst)
    else:
        src, dst = fields.get(3, b""), fields.get(4, b"")
        if len(src) != 4 or len(dst) != 4:
            return "HEP3 message with a damaged IPv4 address chunk"
        src_ip, dst_ip = socket.inet_ntoa(src), socket.inet_ntoa(dst)
    sport = _uint(fields.get(7), 2)
    dport = _uint(fields.get(8), 2)
    proto = _uint(fields.get(2), 1)
    seconds = _uint(fields.get(9), 4)
    micros = _uint(fields.get(10), 4)
    time = seconds + (micros or 0) / 10**6 if seconds is not None else None
    return HepPacket(src_ip, dst_ip, sport or 0, dport or 0, proto if proto is not None else 17, time,
                     fields[15], 3)


def _uint(value: bytes | None, size: int) -> int | None:
    if value is None or len(value) != size:
        return None
    return int.from_bytes(value, "big")


def _hep2(data: bytes) -> HepPacket | str:
    version, header_len, family, proto = data[0], data[1], data[2], data[3]
    sport, dport = struct.unpack_from("!HH", data, 4)
    if len(data) < header_len:
        return f"HEP v{version} message cut short ({len(data)} of {header_len} header bytes)"
    if family == AF_INET6:
        src_ip = socket.inet_ntop(socket.AF_INET6, data[8:24])
        dst_ip = socket.inet_ntop(socket.AF_INET6, data[24:40])
    else:
        src_ip, dst_ip = socket.inet_ntoa(data[8:12]), socket.inet_ntoa(data[12:16])
    pos, time = header_len, None
    if version == 2:
        if len(data) < pos + 12:
            return "HEP v2 message cut short in its time header"
        seconds, micros = struct.unpack_from("<II", data, pos)
        time = seconds + micros / 10**6
        pos += 12
    return HepPacket(src_ip, dst_ip, sport, dport, proto, time, data[pos:], version)


HEP3_MAGIC = b"HEP3"
MAX_HEP3 = 0xFFFF
"""The largest HEP3 message: its length field is 16 bits."""


def _hep3_header_at(data: bytes, pos: int) -> bool:
    """A plausible HEP3 header at `pos`: the magic, a total length that holds a chunk, and a first
    chunk header of the generic vendor (0) with a type and length that make sense."""
    if data[pos:pos + 4] != HEP3_MAGIC or len(data) < pos + 12:
        return False
    total, vendor, kind, length = struct.unpack_from("!HHHH", data, pos + 4)
    return total >= 12 and vendor == 0 and 0 < kind < 0x100 and 6 <= length <= total - 6


def starts_hep3_stream(first: bytes) -> bool:
    """The first bytes of a TCP stream direction are HEP3: at its start, or (picked up mid-way)
    anywhere in its first segment."""
    if _hep3_header_at(first, 0):
        return True
    pos = first.find(HEP3_MAGIC, 1)
    return pos > 0 and _hep3_header_at(first, pos)


class Hep3Stream:
    """One TCP stream direction of HEP3 messages → whole messages (see the module docstring)."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._synced = True
        """The buffer starts at a message boundary (false after a hole or garbage)."""

    def feed(self, data: bytes, gap_before: bool = False) -> tuple[list[bytes], list[str]]:
        """Add in-order stream bytes; return the complete HEP3 messages and any problems."""
        problems: list[str] = []
        if gap_before:
            if self._buf:
                problems.append(f"HEP3 stream has missing bytes: a message of which {len(self._buf)} bytes "
                                "were seen is lost; resynchronised at the next HEP3 header")
            self._buf.clear()
            self._synced = False
        self._buf += data
        out: list[bytes] = []
        buf = self._buf
        while True:
            if not self._synced or buf[:4] != HEP3_MAGIC[:len(buf[:4])]:
                expected = self._synced  # after a hole, skipping the rest of a lost message is no news
                skipped = self._resync(buf)
                if skipped and expected:
                    problems.append(f"{skipped} bytes that are not HEP3 skipped in a HEP3 stream")
                if not buf:
                    break
            if len(buf) < 6:
                break
            total = (buf[4] << 8) | buf[5]
            if total < 6:
                problems.append("damaged HEP3 header in a TCP stream (length below 6); resynchronised")
                del buf[:4]
                self._synced = False
                continue
            if len(buf) < total:
                break
            out.append(bytes(buf[:total]))
            del buf[:total]
            self._synced = True
        return out, problems

    def _resync(self, buf: bytearray) -> int:
        """Drop bytes up to the next plausible HEP3 header (or keep a tail that may start one)."""
        pos = 0
        while True:
            pos = buf.find(HEP3_MAGIC, pos)
            if pos < 0:
                keep = next((k for k in (3, 2, 1) if buf.endswith(HEP3_MAGIC[:k])), 0)
                skipped = len(buf) - keep
                del buf[:skipped]
                if keep:
                    self._synced = True  # the tail may begin a header: judged when more bytes come
                return skipped
            if len(buf) < pos + 12 or _hep3_header_at(bytes(buf[pos:pos + 12]), 0):
                del buf[:pos]
                self._synced = True
                return pos
            pos += 1

    def finish(self) -> str | None:
        """The stream direction ended: a problem if it stopped inside a message."""
        if not self._buf:
            return None
        if len(self._buf) >= 6 and self._buf[:4] == HEP3_MAGIC:
            total = (self._buf[4] << 8) | self._buf[5]
            text = f"HEP3 stream ends inside a message ({len(self._buf)} of {total} bytes)"
        else:
            text = f"HEP3 stream ends with {len(self._buf)} bytes that are not a whole HEP3 message"
        self._buf.clear()
        return text
