"""One captured frame → its transport-layer segments (UDP, TCP, SCTP), through any tunnels.

How this works: the link layer gives an IP packet (linklayer.py). IPv4 and IPv6 headers are
read (IPv6 extension headers walked), fragments go to the `Defragmenter`, and the payload is
dispatched by protocol number: UDP, TCP and SCTP become `Segment`s; IP-in-IP (4), IPv6-in-IP
(41) and GRE (47) are unwrapped and decoded again, as are ERSPAN I/II/III and transparent
Ethernet inside GRE, and VXLAN (UDP 4789). Nesting is capped so hostile input cannot recurse
forever. Problems are returned as short strings for the caller to turn into warnings.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass

from .defrag import Defragmenter
from .hep import decode_hep, looks_like_hep
from .linklayer import network_payload

_inet4 = socket.inet_ntoa


def _inet6(b: bytes) -> str:
    return socket.inet_ntop(socket.AF_INET6, b)


MAX_TUNNEL_DEPTH = 4
VXLAN_PORT = 4789
_IPV6_EXT = {0, 43, 60, 135, 139, 140, 253, 254}


@dataclass(slots=True)
class Segment:
    """A transport-layer segment: protocol header fields and payload."""

    proto: str
    """'UDP', 'TCP' or 'SCTP'."""
    src: str
    dst: str
    sport: int
    dport: int
    payload: bytes
    ip_fragments: int = 1
    tunnel: str | None = None
    seq: int = 0
    """TCP sequence number."""
    ack: int = 0
    """TCP acknowledgment number (meaningful when the ACK flag is set)."""
    flags: int = 0
    """TCP flags (FIN=1, SYN=2, RST=4, PSH=8, ACK=16)."""
    raw_l4: bytes = b""
    """For SCTP: the whole SCTP packet after the common header."""
    time: float | None = None
    """When a capture agent saw the packet (HEP), if it says; else the record's time applies."""
    transport: str | None = None
    """For a packet carried in HEP: its original transport ('UDP', 'TCP'), delivered whole."""


class PacketDecoder:
    """Stateful decoder (it owns the IP defragmenters) for one capture file."""

    def __init__(self) -> None:
        self.defrag = Defragmenter()
        self.fragmented_datagrams = 0

    def decode(self, linktype: int, data: bytes, time: float | None, problems: list[str]) -> list[Segment]:
        version, off = network_payload(linktype, data)
        if version is None:
            if off:
                problems.append(off)
            return []
        out: list[Segment] = []
        self._ip(version, data, off, time, None, 0, out, problems)
        return out

    # -- network layer -------------------------------------------------------------------
    def _ip(self, version, data, off, time, tunnel, depth, out, problems) -> None:
        if version == 4:
            self._ipv4(data, off, time, tunnel, depth, out, problems)
        else:
            self._ipv6(data, off, time, tunnel, depth, out, problems)

    def _ipv4(self, data, off, time, tunnel, depth, out, problems) -> None:
        if len(data) < off + 20:
            problems.append("truncated IPv4 header")
            return
        ihl = (data[off] & 0x0F) * 4
        total = (data[off + 2] << 8) | data[off + 3]
        if total == 0 and ihl >= 20:
            # TCP segmentation offload: captured on the sending host before the NIC filled in
            # the length (Wireshark's ip.tso_support does the same)
            total = len(data) - off
        if ihl < 20 or total < ihl:
            problems.append("damaged IPv4 header")
            return
        end = off + total
        if end > len(data):
            problems.append(f"IPv4 packet cut short (snaplen?): {len(data) - off} of {total} bytes captured")
            end = len(data)
        proto = data[off + 9]
        src = _inet4(data[off + 12 : off + 16])
        dst = _inet4(data[off + 16 : off + 20])
        frag = (data[off + 6] << 8) | data[off + 7]
        payload = data[off + ihl : end]
        fragments = 1
        if frag & 0x3FFF:  # more-fragments flag or a non-zero offset
            ident = (data[off + 4] << 8) | data[off + 5]
            done = self.defrag.add((4, src, dst, proto, ident), (frag & 0x1FFF) * 8, bool(frag & 0x2000), payload, time)
            if done is None:
                return
            payload, fragments = done
            self.fragmented_datagrams += 1
        self._transport(proto, src, dst, payload, fragments, time, tunnel, depth, out, problems)

    def _ipv6(self, data, off, time, tunnel, depth, out, problems) -> None:
        if len(data) < off + 40:
            problems.append("truncated IPv6 header")
            return
        plen = (data[off + 4] << 8) | data[off + 5]
        nxt = data[off + 6]
        src = _inet6(data[off + 8 : off + 24])
        dst = _inet6(data[off + 24 : off + 40])
        end = off + 40 + plen
        if plen == 0:  # jumbogram or unknown: take what is there
            end = len(data)
        if end > len(data):
            problems.append("IPv6 packet cut short (snaplen?)")
            end = len(data)
        pos = off + 40
        frag_info = None
        while nxt in _IPV6_EXT or nxt in (44, 51):
            if pos + 8 > end:
                problems.append("truncated IPv6 extension header")
                return
            if nxt == 44:
                frag_field = (data[pos + 2] << 8) | data[pos + 3]
                ident = int.from_bytes(data[pos + 4 : pos + 8], "big")
                frag_info = (frag_field & 0xFFF8, bool(frag_field & 1), ident)
                nxt = data[pos]
                pos += 8
                break  # the rest is the fragmentable part
            hdr_len = (data[pos + 1] + 2) * 4 if nxt == 51 else (data[pos + 1] + 1) * 8
            nxt = data[pos]
            pos += hdr_len
        payload = data[pos:end]
        fragments = 1
        if frag_info is not None:
            offset, more, ident = frag_info
            if offset == 0 and not more:
                pass  # atomic fragment
            else:
                done = self.defrag.add((6, src, dst, ident), offset, more, payload, time)
                if done is None:
                    return
                payload, fragments = done
                self.fragmented_datagrams += 1
            # extension headers may follow inside the reassembled payload
            while nxt in _IPV6_EXT and len(payload) >= 8:
                hdr_len = (payload[1] + 1) * 8
                nxt, payload = payload[0], payload[hdr_len:]
        self._transport(nxt, src, dst, payload, fragments, time, tunnel, depth, out, problems)

    # -- transport layer and tunnels -----------------------------------------------------
    def _transport(self, proto, src, dst, payload, fragments, time, tunnel, depth, out, problems) -> None:
        n = len(payload)
        if proto == 17:
            if n < 8:
                problems.append("truncated UDP header")
                return
            sport = (payload[0] << 8) | payload[1]
            dport = (payload[2] << 8) | payload[3]
            ulen = (payload[4] << 8) | payload[5]
            body = payload[8:ulen] if 8 <= ulen <= n else payload[8:]
            if looks_like_hep(body):
                self._hep(body, fragments, tunnel, out, problems)
                return
            if (dport == VXLAN_PORT or sport == VXLAN_PORT) and len(body) >= 8 + 14 and body[0] & 0x08:
                self._ethernet_tunnel(body[8:], time, "VXLAN", depth, out, problems)
                return
            out.append(Segment("UDP", src, dst, sport, dport, body, fragments, tunnel))
        elif proto == 6:
            if n < 20:
                problems.append("truncated TCP header")
                return
            doff = (payload[12] >> 4) * 4
            if doff < 20 or doff > n:
                problems.append("damaged TCP header")
                return
            out.append(
                Segment(
                    "TCP",
                    src,
                    dst,
                    (payload[0] << 8) | payload[1],
                    (payload[2] << 8) | payload[3],
                    payload[doff:],
                    fragments,
                    tunnel,
                    seq=int.from_bytes(payload[4:8], "big"),
                    ack=int.from_bytes(payload[8:12], "big"),
                    flags=payload[13],
                )
            )
        elif proto == 132:
            if n < 12:
                problems.append("truncated SCTP header")
                return
            out.append(
                Segment("SCTP", src, dst, (payload[0] << 8) | payload[1], (payload[2] << 8) | payload[3], b"", fragments, tunnel, raw_l4=payload[12:])
            )
        elif proto in (4, 41):
            if depth >= MAX_TUNNEL_DEPTH:
                problems.append("too many nested tunnels")
                return
            name = "IPIP" if proto == 4 else "6in4"
            self._ip(4 if proto == 4 else 6, payload, 0, time, name, depth + 1, out, problems)
        elif proto == 47:
            self._gre(payload, time, depth, out, problems)

    def _hep(self, body, fragments, tunnel, out, problems) -> None:
        """A HEP message (hep.py): the packet it carries, with its original addresses and time."""
        packet = decode_hep(body)
        if isinstance(packet, str):
            if packet and body[:4] == b"HEP3":  # a v1/v2 look-alike that does not decode is just UDP
                problems.append(packet)
            return
        if packet.proto not in (6, 17) or not packet.payload:
            return
        out.append(Segment("UDP", packet.src, packet.dst, packet.sport, packet.dport, packet.payload, fragments,
                           f"{tunnel}+HEP{packet.version}" if tunnel else f"HEP{packet.version}",
                           time=packet.time, transport="TCP" if packet.proto == 6 else "UDP"))

    def _gre(self, payload, time, depth, out, problems) -> None:
        if depth >= MAX_TUNNEL_DEPTH:
            problems.append("too many nested tunnels")
            return
        if len(payload) < 4:
            problems.append("truncated GRE header")
            return
        flags = payload[0]
        ptype = (payload[2] << 8) | payload[3]
        off = 4 + (4 if flags & 0x80 else 0) + (4 if flags & 0x20 else 0)
        has_seq = bool(flags & 0x10)
        off += 4 if has_seq else 0
        inner = payload[off:]
        if ptype == 0x0800:
            self._ip(4, inner, 0, time, "GRE", depth + 1, out, problems)
        elif ptype == 0x86DD:
            self._ip(6, inner, 0, time, "GRE", depth + 1, out, problems)
        elif ptype == 0x6558:
            self._ethernet_tunnel(inner, time, "GRE", depth, out, problems)
        elif ptype == 0x88BE:
            if has_seq:  # ERSPAN type II: 8-byte header
                self._ethernet_tunnel(inner[8:], time, "ERSPAN-II", depth, out, problems)
            else:  # type I: Ethernet right after GRE
                self._ethernet_tunnel(inner, time, "ERSPAN-I", depth, out, problems)
        elif ptype == 0x22EB:  # ERSPAN type III: 12 bytes, +8 with the platform sub-header
            if len(inner) < 12:
                problems.append("truncated ERSPAN III header")
                return
            skip = 12 + (8 if inner[11] & 0x01 else 0)
            self._ethernet_tunnel(inner[skip:], time, "ERSPAN-III", depth, out, problems)

    def _ethernet_tunnel(self, frame, time, name, depth, out, problems) -> None:
        if depth >= MAX_TUNNEL_DEPTH:
            problems.append("too many nested tunnels")
            return
        version, off = network_payload(1, frame)
        if version is None:
            if off:
                problems.append(f"{name}: {off}")
            return
        self._ip(version, frame, off, time, name, depth + 1, out, problems)
