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
