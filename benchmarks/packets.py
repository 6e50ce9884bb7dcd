"""Ethernet/IPv4/UDP/TCP frames and the pcap file around them, built with `struct`.

How this works: a frame is built back to front. The transport header is packed with a zero
checksum, the RFC 1071 one's-complement sum is taken over the pseudo-header, the header and
the payload (`array('H')` sums 16-bit words in C, which keeps a packet at a few µs), and the
folded sum is written into the header. The IPv4 header gets its own checksum the same way.
UDP checksums are computed too (0 would be legal over IPv4, but a capture with correct
checksums lets tshark verify them: `-o udp.check_checksum:TRUE`). MAC addresses are derived
from the host and the router, as a PBX's network card sees them: every remote packet comes
from the default gateway's MAC.

scapy is not used: it takes minutes per million packets; this takes seconds.
"""

from __future__ import annotations

import array
import struct
import sys
from typing import BinaryIO

PCAP_HEADER = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1)  # microseconds, Ethernet
RECORD_HEADER = struct.Struct("<IIII")
IP_HEADER = struct.Struct("!BBHHHBBH4s4s")
UDP_HEADER = struct.Struct("!HHHH")
TCP_HEADER = struct.Struct("!HHIIBBHHH")

SYN, FIN, PSH, ACK = 0x02, 0x01, 0x08, 0x10
TOS_SIGNALLING = 0x68  # DSCP CS3 (AF31-ish), what phones and Asterisk set for SIP
TOS_MEDIA = 0xB8  # DSCP EF, RTP

_LITTLE = sys.byteorder == "little"


def ones_sum(data: bytes) -> int:
    """RFC 1071 one's-complement sum of 16-bit big-endian words, not yet folded."""
    if len(data) % 2:
        data += b"\x00"
    words = array.array("H", data)
    if _LITTLE:
        words.byteswap()
    return sum(words)


def fold(total: int) -> int:
    """Fold a one's-complement sum to 16 bits and complement it: the checksum field."""
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def ip_bytes(ip: str) -> bytes:
    """Dotted quad → 4 bytes."""
    return bytes(int(part) for part in ip.split("."))


class FrameBuilder:
    """Builds Ethernet frames carrying IPv4 UDP or TCP with correct checksums.

    `local` is the capturing host (the PBX): frames to it come from `gateway_mac`, frames
    from it go to `gateway_mac`, unless the peer is on `local_prefix` (same LAN).
    """

    def __init__(self, local: str, local_prefix: str = "") -> None:
        self.local = local
        self.local_prefix = local_prefix
        self._ip: dict[str, bytes] = {}
        self._ident: dict[str, int] = {}
        self._pseudo: dict[tuple[str, str, int], int] = {}
        self.gateway_mac = b"\x00\x1b\x21\x3a\x4c\x01"

    def ipb(self, ip: str) -> bytes:
        """The 4 bytes of `ip`, cached."""
        b = self._ip.get(ip)
        if b is None:
            b = self._ip[ip] = ip_bytes(ip)
        return b

    def _mac(self, ip: str) -> bytes:
        if ip == self.local or (self.local_prefix and ip.startswith(self.local_prefix)):
            return b"\x02\x00" + self.ipb(ip)  # locally administered, derived from the address
        return self.gateway_mac

    def _next_ident(self, ip: str) -> int:
        n = (self._ident.get(ip, sum(self.ipb(ip)) * 251) + 1) & 0xFFFF
        self._ident[ip] = n
        return n

    def _pseudo_sum(self, src: str, dst: str, proto: int) -> int:
        key = (src, dst, proto)
        s = self._pseudo.get(key)
        if s is None:
            s = self._pseudo[key] = ones_sum(self.ipb(src) + self.ipb(dst)) + proto
        return s

    def ipv4(self, src: str, dst: str, proto: int, payload: bytes, tos: int = 0) -> bytes:
        """Ethernet + IPv4 (DF set, TTL 64, next identification of `src`) around `payload`."""
        hdr = IP_HEADER.pack(0x45, tos, 20 + len(payload), self._next_ident(src), 0x4000, 64, proto, 0,
                             self.ipb(src), self.ipb(dst))
        csum = fold(ones_sum(hdr))
        return (self._mac(dst) + self._mac(src) + b"\x08\x00"
                + hdr[:10] + csum.to_bytes(2, "big") + hdr[12:] + payload)

    def udp(self, src: str, sport: int, dst: str, dport: int, payload: bytes, tos: int = 0) -> bytes:
        """A UDP datagram in one frame (0 is sent as 0xFFFF, RFC 768)."""
        length = 8 + len(payload)
        hdr = UDP_HEADER.pack(sport, dport, length, 0)
        csum = fold(self._pseudo_sum(src, dst, 17) + length + ones_sum(hdr + payload)) or 0xFFFF
        return self.ipv4(src, dst, 17, hdr[:6] + csum.to_bytes(2, "big") + payload, tos)

    def tcp(self, src: str, sport: int, dst: str, dport: int, seq: int, ack: int, flags: int,
            payload: bytes = b"", options: bytes = b"", tos: int = 0) -> bytes:
        """One TCP segment in one frame; `options` must be a multiple of 4 bytes."""
        doff = (20 + len(options)) // 4
        seg = TCP_HEADER.pack(sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, doff << 4, flags,
                              64240, 0, 0) + options + payload
        csum = fold(self._pseudo_sum(src, dst, 6) + len(seg) + ones_sum(seg))
        return self.ipv4(src, dst, 6, seg[:16] + csum.to_bytes(2, "big") + seg[18:], tos)


class PcapWriter:
    """Writes classic pcap records; timestamps never go backwards (they are clamped)."""

    def __init__(self, fh: BinaryIO) -> None:
        self._write = fh.write
        self._pack = RECORD_HEADER.pack
        self._last_us = 0
        fh.write(PCAP_HEADER)

    def write(self, t_us: int, frame: bytes) -> None:
        """One record at `t_us` microseconds since the epoch."""
        if t_us < self._last_us:
            t_us = self._last_us
        self._last_us = t_us
        n = len(frame)
        self._write(self._pack(t_us // 1_000_000, t_us % 1_000_000, n, n))
        self._write(frame)
