"""Make the synthetic captures in this folder: small files for what the public corpus lacks.

Run from anywhere (needs scapy): `python samples/synthetic/make_samples.py`. The output is
deterministic (fixed timestamps and identifiers, gzip mtime 0), so re-running it leaves the
committed files unchanged; `--check` only compares and exits 1 when a file differs.

scapy only builds packet bytes. The pcap and pcapng containers are written here with
`struct`, so every variant (byte order, nanosecond magic, SPB/OPB blocks, several
interfaces) is exactly what the file name says. The SIP messages each file must yield are
asserted in tests/test_capture_synthetic.py, and tests/test_oracle.py compares every file
with tshark.
"""

from __future__ import annotations

import gzip
import io
import struct
import sys
import zlib
from pathlib import Path

from scapy.all import (  # noqa: E402  (scapy is a test/sample-making dependency only)
    GRE,
    IP,
    TCP,
    UDP,
    CookedLinux,
    CookedLinuxV2,
    Dot1AD,
    Dot1Q,
    Ether,
    IPv6,
    IPv6ExtHdrDestOpt,
    IPv6ExtHdrFragment,
    IPv6ExtHdrHopByHop,
    Raw,
    fragment,
)
from scapy.contrib.erspan import ERSPAN_II, ERSPAN_III, ERSPAN_PlatformSpecific
from scapy.layers.sctp import SCTP, SCTPChunkData, SCTPChunkIData, SCTPChunkSACK
from scapy.layers.vxlan import VXLAN

HERE = Path(__file__).resolve().parent
T0 = 1_700_000_000
"""Capture start, whole seconds since the epoch; packet n is at T0 + n * 100 ms."""

A4, B4 = "192.0.2.10", "198.51.100.20"  # RFC 5737 phone and PBX
A6, B6 = "2001:db8::10", "2001:db8::20"  # RFC 3849 documentation prefix
MAC_A, MAC_B = "02:00:00:00:00:0a", "02:00:00:00:00:0b"

LINKTYPE_NULL, LINKTYPE_ETHERNET, LINKTYPE_RAW = 0, 1, 101
LINKTYPE_SLL, LINKTYPE_IPV4, LINKTYPE_IPV6, LINKTYPE_SLL2 = 113, 228, 229, 276


# -- SIP messages ----------------------------------------------------------------------------
def sip(start: str, call_id: str, cseq: str, *, via: str = f"SIP/2.0/UDP {A4}:5060;branch=z9hG4bK-{{b}};rport",
        body: bytes = b"", ctype: str = "application/sdp", extra: tuple[str, ...] = ()) -> bytes:
    """A well-formed SIP message with the mandatory headers and a correct Content-Length.

    `{b}` in `via` becomes a branch made of the Call-ID and CSeq number."""
    lines = [
        start,
        "Via: " + via.format(b=f"{call_id}.{cseq.split()[0]}"),
        "From: <sip:alice@example.com>;tag=af1",
        "To: <sip:bob@example.com>" + (";tag=bt2" if start.startswith("SIP/2.0 ") else ""),
        f"Call-ID: {call_id}",
        f"CSeq: {cseq}",
        "Max-Forwards: 70",
        *extra,
    ]
    if body:
        lines.append(f"Content-Type: {ctype}")
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def req(method: str, ruri: str, call_id: str, n: int, **kw) -> bytes:
    return sip(f"{method} {ruri} SIP/2.0", call_id, f"{n} {method}", **kw)


def resp(code: int, reason: str, call_id: str, n: int, method: str, **kw) -> bytes:
    return sip(f"SIP/2.0 {code} {reason}", call_id, f"{n} {method}", **kw)


def sdp(ip: str, port: int, *, session: str = "1") -> bytes:
    family = "IP6" if ":" in ip else "IP4"
    return (
        f"v=0\r\no=- {session} 1 IN {family} {ip}\r\ns=-\r\nc=IN {family} {ip}\r\nt=0 0\r\n"
        f"m=audio {port} RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
        f"a=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n"
    ).encode()


# -- containers ------------------------------------------------------------------------------
def _ts(n: int) -> tuple[int, int]:
    """(seconds, nanoseconds) of packet n."""
    return T0 + n // 10, (n % 10) * 100_000_000


def pcap_bytes(linktype: int, frames: list[bytes], *, endian: str = "<", nsec: bool = False) -> bytes:
    out = io.BytesIO()
    magic = 0xA1B23C4D if nsec else 0xA1B2C3D4
    out.write(struct.pack(endian + "IHHiIII", magic, 2, 4, 0, 0, 262144, linktype))
    for n, data in enumerate(frames):
        sec, ns = _ts(n)
        frac = ns + 123 if nsec else ns // 1000  # ns files carry sub-microsecond digits
        out.write(struct.pack(endian + "IIII", sec, frac, len(data), len(data)))
        out.write(data)
    return out.getvalue()


def write(name: str, data: bytes) -> None:
    OUTPUT[name] = data


def write_pcap(name: str, linktype: int, frames: list[bytes], **kw) -> None:
    write(name, pcap_bytes(linktype, frames, **kw))


def ng_block(btype: int, body: bytes, endian: str = "<") -> bytes:
    body += b"\x00" * (-len(body) % 4)
    total = 12 + len(body)
    return struct.pack(endian + "II", btype, total) + body + struct.pack(endian + "I", total)


def ng_option(code: int, value: bytes, endian: str = "<") -> bytes:
    return struct.pack(endian + "HH", code, len(value)) + value + b"\x00" * (-len(value) % 4)


def ng_shb(endian: str = "<") -> bytes:
    body = struct.pack(endian + "IHHq", 0x1A2B3C4D, 1, 0, -1)
    body += ng_option(4, b"sipdiag make_samples.py", endian) + ng_option(0, b"", endian)
    return ng_block(0x0A0D0D0A, body, endian)


def ng_idb(linktype: int, endian: str = "<", tsresol: int | None = None) -> bytes:
    body = struct.pack(endian + "HHI", linktype, 0, 262144)
    if tsresol is not None:
        body += ng_option(9, bytes([tsresol]), endian) + ng_option(0, b"", endian)
    return ng_block(1, body, endian)


def ng_epb(if_id: int, n: int, data: bytes, endian: str = "<", units: int = 10**6) -> bytes:
    sec, ns = _ts(n)
    ticks = sec * units + ns * units // 10**9
    body = struct.pack(endian + "IIIII", if_id, ticks >> 32, ticks & 0xFFFFFFFF, len(data), len(data)) + data
    return ng_block(6, body, endian)


def ng_spb(data: bytes, endian: str = "<") -> bytes:
    return ng_block(3, struct.pack(endian + "I", len(data)) + data, endian)


def ng_opb(if_id: int, n: int, data: bytes, endian: str = "<") -> bytes:
    sec, ns = _ts(n)
    ticks = sec * 10**6 + ns // 1000
    body = struct.pack(endian + "HHIIII", if_id, 0, ticks >> 32, ticks & 0xFFFFFFFF, len(data), len(data)) + data
    return ng_block(2, body, endian)


def ng_isb(if_id: int, endian: str = "<") -> bytes:
    """Interface Statistics Block: not a packet, must not count as a frame."""
    return ng_block(5, struct.pack(endian + "III", if_id, 0, 0), endian)


def ng_nrb(endian: str = "<") -> bytes:
    """Name Resolution Block with one IPv4 record: not a packet either."""
    record = struct.pack(endian + "HH", 1, 4 + 8) + bytes([198, 51, 100, 20]) + b"pbx.lab\x00"
    return ng_block(4, record + struct.pack(endian + "HH", 0, 0), endian)


# -- packets ---------------------------------------------------------------------------------
def ip_udp(src: str, dst: str, payload: bytes, sport: int = 5060, dport: int = 5060):
    ip = IPv6(src=src, dst=dst) if ":" in src else IP(src=src, dst=dst, id=0x1000 + len(payload) % 0x1000)
    return ip / UDP(sport=sport, dport=dport) / Raw(payload)


def eth(pkt, src: str = MAC_A, dst: str = MAC_B) -> bytes:
    return bytes(Ether(src=src, dst=dst) / pkt)


def register_pair(call_id: str, a: str = A4, b: str = B4) -> list:
    """A REGISTER and its 200 OK as IP/UDP packets (scapy objects)."""
    host = f"[{a}]" if ":" in a else a
    via = f"SIP/2.0/UDP {host}:5060;branch=z9hG4bK-{{b}};rport"
    return [
        ip_udp(a, b, req("REGISTER", "sip:example.com", call_id, 1, via=via,
                         extra=(f"Contact: <sip:alice@{host}:5060>", "Expires: 600"))),
        ip_udp(b, a, resp(200, "OK", call_id, 1, "REGISTER", via=via,
                          extra=(f"Contact: <sip:alice@{host}:5060>;expires=600",))),
    ]


# -- the files -------------------------------------------------------------------------------
def make_pcap_variants() -> None:
    """pcap in both byte orders, microsecond and nanosecond magic."""
    for name, endian, nsec in (
        ("pcap-be-usec.pcap", ">", False),
        ("pcap-le-nsec.pcap", "<", True),
        ("pcap-be-nsec.pcap", ">", True),
    ):
        call_id = name.split(".")[0]
        write_pcap(name, LINKTYPE_ETHERNET, [eth(p) for p in register_pair(call_id)], endian=endian, nsec=nsec)
    # the same capture gzip'd: must just work
    plain = pcap_bytes(LINKTYPE_ETHERNET, [eth(p) for p in register_pair("gzipped")])
    buf = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0) as gz:
        gz.write(plain)
    write("gzipped.pcap.gz", buf.getvalue())


def make_pcapng_interfaces() -> None:
    """pcapng: four interfaces with four link types, EPB/SPB/OPB, non-packet blocks between."""
    reg = register_pair("ng-eth")
    sll2 = register_pair("ng-sll2")
    raw = register_pair("ng-raw6", A6, B6)
    null = register_pair("ng-null")
    blocks = [
        ng_shb(),
        ng_idb(LINKTYPE_ETHERNET),  # if 0: µs (default resolution)
        ng_idb(LINKTYPE_SLL2, tsresol=9),  # if 1: ns
        ng_nrb(),
        ng_idb(LINKTYPE_RAW, tsresol=6),  # if 2: µs, said explicitly
        ng_idb(LINKTYPE_NULL),  # if 3
        ng_epb(0, 0, eth(reg[0])),  # frame 1
        ng_epb(1, 1, bytes(CookedLinuxV2(proto=0x0800, ifindex=2, pkttype=4) / sll2[0]), units=10**9),  # 2
        ng_isb(0),
        ng_spb(eth(reg[1])),  # frame 3: simple packet block, interface 0, no timestamp
        ng_epb(1, 3, bytes(CookedLinuxV2(proto=0x0800, ifindex=2, pkttype=0) / sll2[1]), units=10**9),  # 4
        ng_epb(2, 4, bytes(raw[0])),  # 5
        ng_opb(2, 5, bytes(raw[1])),  # 6: obsolete packet block
        ng_opb(3, 6, struct.pack("<I", 2) + bytes(null[0])),  # 7
        ng_epb(3, 7, struct.pack("<I", 2) + bytes(null[1])),  # 8
    ]
    write("pcapng-interfaces.pcapng", b"".join(blocks))
    # big-endian section followed by a little-endian one: interface ids restart per section
    be = [ng_shb(">"), ng_idb(LINKTYPE_ETHERNET, ">"), ng_epb(0, 0, eth(register_pair("ng-be")[0]), ">")]
    le = [ng_shb("<"), ng_idb(LINKTYPE_IPV4, "<"), ng_epb(0, 1, bytes(register_pair("ng-be")[1]), "<")]
    write("pcapng-two-sections.pcapng", b"".join(be + le))


def make_link_types() -> None:
    v = register_pair("vlan")
    write_pcap("link-vlan.pcap", LINKTYPE_ETHERNET, [bytes(Ether(src=MAC_A, dst=MAC_B) / Dot1Q(vlan=100) / p) for p in v])
    q = register_pair("qinq")
    write_pcap("link-qinq.pcap", LINKTYPE_ETHERNET,
               [bytes(Ether(src=MAC_A, dst=MAC_B) / Dot1AD(vlan=10) / Dot1Q(vlan=200) / p) for p in q])
    s = register_pair("sll")
    write_pcap("link-sll.pcap", LINKTYPE_SLL,
               [bytes(CookedLinux(pkttype=4, lladdrtype=1, lladdrlen=6, src=b"\x02\x00\x00\x00\x00\x0a\x00\x00") / s[0]),
                bytes(CookedLinux(pkttype=0, lladdrtype=1, lladdrlen=6, src=b"\x02\x00\x00\x00\x00\x0b\x00\x00") / s[1])])
    s2 = register_pair("sll2", A6, B6)
    write_pcap("link-sll2.pcap", LINKTYPE_SLL2,
               [bytes(CookedLinuxV2(proto=0x86DD, ifindex=3, pkttype=4) / p) for p in s2])
    write_pcap("link-ipv4-228.pcap", LINKTYPE_IPV4, [bytes(p) for p in register_pair("raw228")])
    write_pcap("link-ipv6-229.pcap", LINKTYPE_IPV6, [bytes(p) for p in register_pair("raw229", A6, B6)])
    r4, r6 = register_pair("raw101-v4"), register_pair("raw101-v6", A6, B6)
    write_pcap("link-raw-101.pcap", LINKTYPE_RAW, [bytes(r4[0]), bytes(r6[0]), bytes(r4[1]), bytes(r6[1])])
    n4, n6 = register_pair("null-v4"), register_pair("null-v6", A6, B6)
    write_pcap("link-null.pcap", LINKTYPE_NULL, [
        struct.pack("<I", 2) + bytes(n4[0]),  # AF_INET, little-endian host
        struct.pack(">I", 2) + bytes(n4[1]),  # AF_INET written by a big-endian host
        struct.pack("<I", 30) + bytes(n6[0]),  # AF_INET6 on macOS
        struct.pack("<I", 24) + bytes(n6[1]),  # AF_INET6 on NetBSD/OpenBSD
    ])


OUTER_A, OUTER_B = "203.0.113.1", "203.0.113.2"


def make_tunnels() -> None:
    p = register_pair("ipip")
    write_pcap("tunnel-ipip.pcap", LINKTYPE_ETHERNET, [eth(IP(src=OUTER_A, dst=OUTER_B) / x) for x in p])
    p = register_pair("6in4", A6, B6)
    write_pcap("tunnel-6in4.pcap", LINKTYPE_ETHERNET, [eth(IP(src=OUTER_A, dst=OUTER_B) / x) for x in p])
    g = register_pair("gre-ip")
    ge = register_pair("gre-eth")
    write_pcap("tunnel-gre.pcap", LINKTYPE_ETHERNET, [
        eth(IP(src=OUTER_A, dst=OUTER_B) / GRE(proto=0x0800) / g[0]),
        eth(IP(src=OUTER_B, dst=OUTER_A) / GRE(proto=0x0800, key_present=1, key=7, seqnum_present=1, seqence_number=1) / g[1]),
        eth(IP(src=OUTER_A, dst=OUTER_B) / GRE(proto=0x6558, chksum_present=1) / Ether(src=MAC_A, dst=MAC_B) / ge[0]),
        eth(IP(src=OUTER_B, dst=OUTER_A) / GRE(proto=0x6558) / Ether(src=MAC_B, dst=MAC_A) / ge[1]),
    ])
    e1, e2, e3, e3p = (register_pair(f"erspan-{x}") for x in ("1", "2", "3", "3p"))
    inner = lambda x: Ether(src=MAC_A, dst=MAC_B) / x  # noqa: E731
    write_pcap("tunnel-erspan.pcap", LINKTYPE_ETHERNET, [
        eth(IP(src=OUTER_A, dst=OUTER_B) / GRE(proto=0x88BE) / inner(e1[0])),  # type I: no header
        eth(IP(src=OUTER_A, dst=OUTER_B) / GRE(proto=0x88BE) / inner(e1[1])),
        eth(IP(src=OUTER_A, dst=OUTER_B) / GRE(proto=0x88BE, seqnum_present=1, seqence_number=1)
            / ERSPAN_II(session_id=5, index=1) / inner(e2[0])),
        eth(IP(src=OUTER_A, dst=OUTER_B) / GRE(proto=0x88BE, seqnum_present=1, seqence_number=2)
            / ERSPAN_II(session_id=5, index=1) / inner(e2[1])),
        eth(IP(src=OUTER_A, dst=OUTER_B) / GRE(proto=0x22EB, seqnum_present=1, seqence_number=3)
            / ERSPAN_III(session_id=6, timestamp=1, o=0) / inner(e3[0])),
        eth(IP(src=OUTER_A, dst=OUTER_B) / GRE(proto=0x22EB, seqnum_present=1, seqence_number=4)
            / ERSPAN_III(session_id=6, timestamp=2, o=0) / inner(e3[1])),
        eth(IP(src=OUTER_A, dst=OUTER_B) / GRE(proto=0x22EB, seqnum_present=1, seqence_number=5)
            / ERSPAN_III(session_id=6, timestamp=3, o=1) / ERSPAN_PlatformSpecific(platf_id=3, info1=1, info2=2)
            / inner(e3p[0])),
        eth(IP(src=OUTER_A, dst=OUTER_B) / GRE(proto=0x22EB, seqnum_present=1, seqence_number=6)
            / ERSPAN_III(session_id=6, timestamp=4, o=1) / ERSPAN_PlatformSpecific(platf_id=3, info1=1, info2=2)
            / inner(e3p[1])),
    ])
    x = register_pair("vxlan")
    write_pcap("tunnel-vxlan.pcap", LINKTYPE_ETHERNET, [
        eth(IP(src=OUTER_A, dst=OUTER_B) / UDP(sport=49152 + i, dport=4789) / VXLAN(vni=42, flags=0x08) / inner(pkt))
        for i, pkt in enumerate(x)
    ])


def big_invite(call_id: str, a: str, b: str, *, padding: int = 40) -> bytes:
    host = f"[{a}]" if ":" in a else a
    extra = tuple(f"X-Padding-{i:02d}: " + "p" * 60 for i in range(padding))
    return req("INVITE", f"sip:bob@{'[' + b + ']' if ':' in b else b}", call_id, 1,
               via=f"SIP/2.0/UDP {host}:5060;branch=z9hG4bK-{{b}};rport", body=sdp(a, 4000),
               extra=(f"Contact: <sip:alice@{host}:5060>",) + extra)


def make_fragments() -> None:
    """IPv4 and IPv6 fragments, in order and out of order, with IPv6 extension headers."""
    inv = IP(src=A4, dst=B4, id=0x4242) / UDP(sport=5060, dport=5060) / Raw(big_invite("frag4-a", A4, B4))
    frags = fragment(inv, fragsize=1200)  # 3 fragments
    trying = IP(src=B4, dst=A4, id=0x4243) / UDP(sport=5060, dport=5060) / Raw(resp(100, "Trying", "frag4-a", 1, "INVITE"))
    inv2 = IP(src=A4, dst=B4, id=0x4244) / UDP(sport=5060, dport=5060) / Raw(big_invite("frag4-b", A4, B4, padding=20))
    frags2 = fragment(inv2, fragsize=800)
    frames = [eth(f) for f in frags] + [eth(trying)] + [eth(f) for f in (frags2[2], frags2[0], frags2[1])]
    write_pcap("ipv4-fragments.pcap", LINKTYPE_ETHERNET, frames)

    def frag6(call_id: str, ident: int, before: list, after: list, size: int, padding: int = 40) -> list[bytes]:
        """Fragment an IPv6/UDP INVITE by hand: `before` ext headers are unfragmentable."""
        inner = b"".join(bytes(h) for h in after)
        # build UDP inside a whole packet first so its length and checksum are right
        full = IPv6(src=A6, dst=B6) / UDP(sport=5060, dport=5060) / Raw(big_invite(call_id, A6, B6, padding=padding))
        udp = bytes(full[UDP])
        payload = inner + udp
        first_nh = after[0].__class__ if after else None
        nh_after = {IPv6ExtHdrDestOpt: 60}.get(first_nh, 17)
        out = []
        for off in range(0, len(payload), size):
            chunk = payload[off : off + size]
            more = off + size < len(payload)
            hdrs = IPv6(src=A6, dst=B6)
            for h in before:
                hdrs = hdrs / h
            pkt = hdrs / IPv6ExtHdrFragment(nh=nh_after, offset=off // 8, m=int(more), id=ident) / Raw(chunk)
            out.append(bytes(Ether(src=MAC_A, dst=MAC_B) / pkt))
        return out

    f1 = frag6("frag6-a", 0x61, [IPv6ExtHdrHopByHop(), IPv6ExtHdrDestOpt()], [], 1200)
    f2 = frag6("frag6-b", 0x62, [], [IPv6ExtHdrDestOpt(nh=17)], 800, padding=20)
    trying6 = eth(IPv6(src=B6, dst=A6) / UDP(sport=5060, dport=5060) / Raw(resp(100, "Trying", "frag6-a", 1, "INVITE",
                                                                           via=f"SIP/2.0/UDP [{A6}]:5060;branch=z9hG4bK-x")))
    write_pcap("ipv6-fragments.pcap", LINKTYPE_ETHERNET, [f1[1], f1[0], f1[2], trying6, f2[0], f2[2], f2[1]])


class TcpConn:
    """Builds the Ethernet frames of one TCP connection; seq/ack are relative to fixed ISNs."""

    def __init__(self, c: str, cport: int, s: str, sport: int, *, isn_c: int = 1000, isn_s: int = 0xFFFFF000):
        self.ends = {"c": (c, cport), "s": (s, sport)}
        self.isn = {"c": isn_c, "s": isn_s}
        self.sent = {"c": 0, "s": 0}  # bytes sent so far (relative offset of the next byte)

    def pkt(self, side: str, data: bytes = b"", *, off: int | None = None, flags: str = "PA",
            ack: int | None = None, advance: bool = True) -> bytes:
        other = "s" if side == "c" else "c"
        (src, sport), (dst, dport) = self.ends[side], self.ends[other]
        rel = self.sent[side] if off is None else off
        seq = (self.isn[side] + 1 + rel) & 0xFFFFFFFF
        if "S" in flags:
            seq = self.isn[side]
        ackno = (self.isn[other] + 1 + (self.sent[other] if ack is None else ack)) & 0xFFFFFFFF
        if flags == "S":
            ackno = 0
        ip = IPv6(src=src, dst=dst) if ":" in src else IP(src=src, dst=dst)
        frame = eth(ip / TCP(sport=sport, dport=dport, seq=seq, ack=ackno, flags=flags, window=65535) / Raw(data)
                    if data else ip / TCP(sport=sport, dport=dport, seq=seq, ack=ackno, flags=flags, window=65535))
        if advance and off is None:
            self.sent[side] += len(data)
        elif advance and off is not None:
            self.sent[side] = max(self.sent[side], off + len(data))
        return frame

    def handshake(self) -> list[bytes]:
        return [self.pkt("c", flags="S"), self.pkt("s", flags="SA"), self.pkt("c", flags="A")]

    def close(self) -> list[bytes]:
        out = [self.pkt("c", flags="FA")]
        self.sent["c"] += 1
        out.append(self.pkt("s", flags="FA"))
        self.sent["s"] += 1
        out.append(self.pkt("c", flags="A"))
        return out


def split(data: bytes, *cuts: int) -> list[bytes]:
    bounds = [0, *cuts, len(data)]
    return [data[a:b] for a, b in zip(bounds, bounds[1:])]


def tcp_via(host: str = A4, port: int = 5060) -> str:
    return f"SIP/2.0/TCP {host}:{port};branch=z9hG4bK-{{b}};rport"


def make_tcp() -> None:
    via = tcp_via(A4, 40001)
    c = TcpConn(A4, 40001, B4, 5060)
    frames = c.handshake()  # 1-3
    reg = req("REGISTER", "sip:example.com;transport=tcp", "tcp-reg", 1, via=via,
              extra=("Contact: <sip:alice@192.0.2.10:40001;transport=tcp>",))
    opt = req("OPTIONS", "sip:example.com", "tcp-opt", 1, via=via)
    frames.append(c.pkt("c", reg + opt))  # 4: two messages in one segment
    frames.append(c.pkt("s", resp(401, "Unauthorized", "tcp-reg", 1, "REGISTER", via=via,
                                  extra=('WWW-Authenticate: Digest realm="example.com", nonce="abc", qop="auth"',))))  # 5
    frames.append(c.pkt("s", resp(200, "OK", "tcp-opt", 1, "OPTIONS", via=via)))  # 6
    frames.append(c.pkt("c", b"\r\n\r\n"))  # 7: keep-alive ping (RFC 5626)
    frames.append(c.pkt("s", b"\r\n"))  # 8: pong
    invite = req("INVITE", "sip:bob@example.com;transport=tcp", "tcp-call", 1, via=via, body=sdp(A4, 4000),
                 extra=("Contact: <sip:alice@192.0.2.10:40001;transport=tcp>",))
    p1, p2, p3, p4 = split(invite, 150, 300, 480)
    base = c.sent["c"]
    frames.append(c.pkt("c", p1))  # 9
    frames.append(c.pkt("c", p3, off=base + 300, advance=False))  # 10: out of order
    frames.append(c.pkt("c", p2))  # 11: fills the hole
    frames.append(c.pkt("c", p2, off=base + 150, advance=False))  # 12: retransmission
    c.sent["c"] = base + 480
    frames.append(c.pkt("c", p4))  # 13: INVITE complete
    trying = resp(100, "Trying", "tcp-call", 1, "INVITE", via=via)
    frames.append(c.pkt("s", trying))  # 14
    frames.append(c.pkt("s", trying, off=c.sent["s"] - len(trying)))  # 15: retransmission, no new message
    ok = resp(200, "OK", "tcp-call", 1, "INVITE", via=via, body=sdp(B4, 5000, session="2"),
              extra=("Contact: <sip:bob@198.51.100.20:5060;transport=tcp>",))
    base = c.sent["s"]
    frames.append(c.pkt("s", ok[:200]))  # 16
    frames.append(c.pkt("s", ok[190:], off=base + 190))  # 17: overlaps the last 10 bytes of 16
    ack = req("ACK", "sip:bob@198.51.100.20:5060;transport=tcp", "tcp-call", 1, via=via)
    bye = req("BYE", "sip:bob@198.51.100.20:5060;transport=tcp", "tcp-call", 2, via=via)
    frames.append(c.pkt("c", ack + b"\r\n\r\n" + bye))  # 18: keep-alive between two messages
    frames.append(c.pkt("s", resp(200, "OK", "tcp-call", 2, "BYE", via=via)))  # 19
    frames += c.close()  # 20-22
    write_pcap("tcp-reassembly.pcap", LINKTYPE_ETHERNET, frames)


def make_tcp_midstream() -> None:
    """Capture starts in the middle of a connection: the first segment begins inside a body."""
    via = tcp_via(A4, 40002)
    c = TcpConn(A4, 40002, B4, 5060, isn_c=5000, isn_s=9000)
    earlier = req("INVITE", "sip:bob@example.com", "mid-call", 1, via=via, body=sdp(A4, 4002))
    c.sent["c"], c.sent["s"] = 3000, 2000
    info = req("INFO", "sip:bob@198.51.100.20;transport=tcp", "mid-call", 2, via=via,
               body=b"Signal=5\r\nDuration=160\r\n", ctype="application/dtmf-relay")
    frames = [c.pkt("c", earlier[-60:] + info)]  # 1: tail of an earlier body, then INFO
    frames.append(c.pkt("s", resp(200, "OK", "mid-call", 2, "INFO", via=via)))  # 2
    frames.append(c.pkt("c", req("BYE", "sip:bob@198.51.100.20;transport=tcp", "mid-call", 3, via=via)))  # 3
    frames.append(c.pkt("s", resp(200, "OK", "mid-call", 3, "BYE", via=via)))  # 4
    write_pcap("tcp-midstream.pcap", LINKTYPE_ETHERNET, frames)


def make_tcp_gap() -> None:
    """A segment is missing from the capture (the server did get it: it ACKs past the hole)."""
    via = tcp_via(A4, 40003)
    c = TcpConn(A4, 40003, B4, 5060, isn_c=0xFFFFFF00)  # the client's sequence numbers wrap
    frames = c.handshake()  # 1-3
    frames.append(c.pkt("c", req("REGISTER", "sip:example.com", "gap-reg", 1, via=via)))  # 4
    frames.append(c.pkt("s", resp(401, "Unauthorized", "gap-reg", 1, "REGISTER", via=via,
                                  extra=('WWW-Authenticate: Digest realm="example.com", nonce="n1"',))))  # 5
    reg2 = req("REGISTER", "sip:example.com", "gap-reg", 2, via=via,
               extra=('Authorization: Digest username="alice", realm="example.com", nonce="n1", '
                      'uri="sip:example.com", response="0123456789abcdef0123456789abcdef"',))
    opt = req("OPTIONS", "sip:example.com", "gap-opt", 1, via=via)
    msg = req("MESSAGE", "sip:bob@example.com", "gap-msg", 1, via=via, body=b"hello", ctype="text/plain")
    frames.append(c.pkt("c", reg2[:300]))  # 6
    c.pkt("c", reg2[300:] + opt[:100])  # lost: never written to the capture
    frames.append(c.pkt("c", opt[100:] + msg))  # 7: starts inside OPTIONS, MESSAGE whole
    frames.append(c.pkt("s", resp(200, "OK", "gap-reg", 2, "REGISTER", via=via)))  # 8: ACKs the lost bytes
    frames.append(c.pkt("s", resp(200, "OK", "gap-opt", 1, "OPTIONS", via=via)))  # 9
    frames.append(c.pkt("c", req("SUBSCRIBE", "sip:bob@example.com", "gap-sub", 1, via=via,
                                 extra=("Event: presence", "Expires: 60"))))  # 10
    frames.append(c.pkt("s", resp(200, "OK", "gap-msg", 1, "MESSAGE", via=via)))  # 11
    frames.append(c.pkt("s", resp(200, "OK", "gap-sub", 1, "SUBSCRIBE", via=via)))  # 12
    write_pcap("tcp-gap.pcap", LINKTYPE_ETHERNET, frames)


def make_tcp_6060() -> None:
    """A SIP trunk on TCP 6060: found by content, not by port."""
    via = tcp_via(B4, 6060)
    c = TcpConn(B4, 6060, "203.0.113.50", 6060, isn_c=77, isn_s=88)
    frames = c.handshake()
    invite = req("INVITE", "sip:+15551234567@203.0.113.50:6060;transport=tcp;user=phone", "trunk-6060", 1, via=via,
                 body=sdp(B4, 10000), extra=("Contact: <sip:pbx@198.51.100.20:6060;transport=tcp>",))
    frames.append(c.pkt("c", invite))
    frames.append(c.pkt("s", resp(100, "Trying", "trunk-6060", 1, "INVITE", via=via)))
    frames.append(c.pkt("s", resp(180, "Ringing", "trunk-6060", 1, "INVITE", via=via)))
    frames.append(c.pkt("s", resp(486, "Busy Here", "trunk-6060", 1, "INVITE", via=via)))
    frames.append(c.pkt("c", req("ACK", "sip:+15551234567@203.0.113.50:6060;transport=tcp;user=phone",
                                 "trunk-6060", 1, via=via)))
    write_pcap("tcp-port-6060.pcap", LINKTYPE_ETHERNET, frames)


def make_sctp() -> None:
    opt = req("OPTIONS", "sip:pbx@198.51.100.20;transport=sctp", "sctp-1", 1,
              via=f"SIP/2.0/SCTP {A4}:5060;branch=z9hG4bK-{{b}}")
    ok = resp(200, "OK", "sctp-1", 1, "OPTIONS", via=f"SIP/2.0/SCTP {A4}:5060;branch=z9hG4bK-x")
    m1 = req("MESSAGE", "sip:bob@example.com", "sctp-2", 1, via=f"SIP/2.0/SCTP {A4}:5060;branch=z9hG4bK-y",
             body=b"one", ctype="text/plain")
    m2 = req("MESSAGE", "sip:bob@example.com", "sctp-2", 2, via=f"SIP/2.0/SCTP {A4}:5060;branch=z9hG4bK-z",
             body=b"two", ctype="text/plain")

    def data(tsn: int, seq: int, payload: bytes):
        return SCTPChunkData(beginning=1, ending=1, tsn=tsn, stream_id=0, stream_seq=seq, proto_id=0, data=payload)

    def piece(tsn: int, payload: bytes, b: bool, e: bool):
        return SCTPChunkData(beginning=int(b), ending=int(e), tsn=tsn, stream_id=1, stream_seq=0, proto_id=0,
                             data=payload)

    def ipiece(mid: int, fsn: int, payload: bytes, b: bool, e: bool):
        return SCTPChunkIData(beginning=int(b), ending=int(e), tsn=200 + fsn, stream_id=2, reserved_16=0,
                              message_id=mid, ppid_fsn=0 if b else fsn, data=payload)

    invite = big_invite("sctp-3", A4, B4, padding=10).replace(b"SIP/2.0/UDP", b"SIP/2.0/SCTP")
    p1, p2, p3 = split(invite, 400, 800)
    info = req("INFO", "sip:bob@198.51.100.20;transport=sctp", "sctp-3", 2,
               via=f"SIP/2.0/SCTP {A4}:5060;branch=z9hG4bK-i", body=b"Signal=1\r\nDuration=100\r\n",
               ctype="application/dtmf-relay")
    i1, i2 = split(info, 200)

    def pkt(payload_chunks, src=A4, dst=B4, tag=0x1111):
        return eth(IP(src=src, dst=dst) / SCTP(sport=5060, dport=5060, tag=tag) / payload_chunks)

    frames = [
        pkt(data(1, 0, opt)),  # 1
        pkt(SCTPChunkSACK(cumul_tsn_ack=1) / data(101, 0, ok), B4, A4, 0x2222),  # 2: after a SACK chunk
        pkt(data(2, 1, m1) / data(3, 2, m2)),  # 3: two DATA chunks in one packet
        pkt(piece(4, p1, True, False)),  # 4: INVITE in three fragments, the middle one last
        pkt(piece(6, p3, False, True)),  # 5
        pkt(piece(5, p2, False, False)),  # 6: completes the INVITE
        pkt(ipiece(1, 0, i1, True, False)),  # 7: I-DATA (RFC 8260) fragments
        pkt(ipiece(1, 1, i2, False, True)),  # 8: completes the INFO
    ]
    write_pcap("sctp.pcap", LINKTYPE_ETHERNET, frames)


def ws_frame(payload: bytes, *, opcode: int = 1, fin: bool = True, mask: bytes | None = None, rsv1: bool = False) -> bytes:
    b0 = (0x80 if fin else 0) | (0x40 if rsv1 else 0) | opcode
    n = len(payload)
    if n < 126:
        head = bytes([b0, (0x80 if mask else 0) | n])
    elif n < 65536:
        head = bytes([b0, (0x80 if mask else 0) | 126]) + struct.pack(">H", n)
    else:
        head = bytes([b0, (0x80 if mask else 0) | 127]) + struct.pack(">Q", n)
    if mask:
        payload = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        head += mask
    return head + payload


def make_websocket() -> None:
    via = f"SIP/2.0/WS df7jal23ls0d.invalid;branch=z9hG4bK-{{b}};rport"
    c = TcpConn(A4, 50001, B4, 8088, isn_c=100, isn_s=200)
    frames = c.handshake()  # 1-3
    upgrade = (b"GET /ws HTTP/1.1\r\nHost: 198.51.100.20:8088\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
               b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
               b"Sec-WebSocket-Protocol: sip\r\n\r\n")
    switching = (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                 b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: sip\r\n\r\n")
    frames.append(c.pkt("c", upgrade))  # 4
    frames.append(c.pkt("s", switching))  # 5
    reg = req("REGISTER", "sip:example.com", "ws-reg", 1, via=via,
              extra=("Contact: <sip:a1b2c3@df7jal23ls0d.invalid;transport=ws>",))
    frames.append(c.pkt("c", ws_frame(reg, mask=b"\x11\x22\x33\x44")))  # 6: masked client frame
    frames.append(c.pkt("s", ws_frame(resp(401, "Unauthorized", "ws-reg", 1, "REGISTER", via=via,
                                           extra=('WWW-Authenticate: Digest realm="example.com", nonce="w1"',)))))  # 7
    reg2 = req("REGISTER", "sip:example.com", "ws-reg", 2, via=via,
               extra=("Contact: <sip:a1b2c3@df7jal23ls0d.invalid;transport=ws>",
                      'Authorization: Digest username="alice", realm="example.com", nonce="w1", '
                      'uri="sip:example.com", response="00112233445566778899aabbccddeeff"'))
    a, b, d = split(reg2, 100, 250)
    mask = b"\xa0\xb1\xc2\xd3"
    frames.append(c.pkt("c", ws_frame(a, fin=False, mask=mask)))  # 8: first fragment
    frames.append(c.pkt("c", ws_frame(b"ka", opcode=9, mask=mask)))  # 9: ping between fragments
    frames.append(c.pkt("s", ws_frame(b"ka", opcode=10)))  # 10: pong
    frag2 = ws_frame(b, opcode=0, fin=False, mask=mask) + ws_frame(d, opcode=0, mask=mask)
    frames.append(c.pkt("c", frag2[:40]))  # 11: a WebSocket frame split over two TCP segments
    frames.append(c.pkt("c", frag2[40:]))  # 12: message complete
    frames.append(c.pkt("s", ws_frame(resp(200, "OK", "ws-reg", 2, "REGISTER", via=via))))  # 13

    # second connection, permessage-deflate (RFC 7692) with context takeover
    d_conn = TcpConn(A4, 50002, B4, 8088, isn_c=300, isn_s=400)
    frames += d_conn.handshake()  # 14-16
    frames.append(d_conn.pkt("c", upgrade.replace(b"\r\n\r\n", b"\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n")))
    frames.append(d_conn.pkt("s", switching.replace(b"\r\n\r\n", b"\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n")))
    tx = zlib.compressobj(9, zlib.DEFLATED, -15)
    rx = zlib.compressobj(9, zlib.DEFLATED, -15)

    def deflate(z, data: bytes) -> bytes:
        out = z.compress(data) + z.flush(zlib.Z_SYNC_FLUSH)
        assert out.endswith(b"\x00\x00\xff\xff")
        return out[:-4]

    invite = req("INVITE", "sip:bob@example.com", "ws-deflate", 1, via=via, body=sdp("192.0.2.10", 4010),
                 extra=("Contact: <sip:a1b2c3@df7jal23ls0d.invalid;transport=ws>",))
    frames.append(d_conn.pkt("c", ws_frame(deflate(tx, invite), mask=b"\x01\x02\x03\x04", rsv1=True)))  # 19
    frames.append(d_conn.pkt("s", ws_frame(deflate(rx, resp(100, "Trying", "ws-deflate", 1, "INVITE", via=via)),
                                           rsv1=True)))  # 20
    frames.append(d_conn.pkt("s", ws_frame(deflate(rx, resp(180, "Ringing", "ws-deflate", 1, "INVITE", via=via)),
                                           rsv1=True)))  # 21: uses the previous message as dictionary
    write_pcap("websocket.pcap", LINKTYPE_ETHERNET, frames)


def make_udp_syntax() -> None:
    """Datagram with two messages; compact and folded headers; multipart; IPv6 literals; tel."""
    first = req("NOTIFY", "sip:alice@192.0.2.10:5060", "udp-two", 5, extra=("Event: message-summary",
                "Subscription-State: active"), body=b"Messages-Waiting: yes\r\n", ctype="application/simple-message-summary")
    second = resp(200, "OK", "udp-two-b", 7, "OPTIONS")
    compact = (
        "INVITE sip:+15551234567;npdi;rn=+15550000000@[2001:db8::20]:5060;user=phone SIP/2.0\r\n"
        f"v: SIP/2.0/UDP [{A6}]:5060;branch=z9hG4bK-c1;rport\r\n"
        "f: \"Alice, A.\" <sip:alice@[2001:db8::10]>;tag=c1\r\n"
        "t: <tel:+1-555-123-4567;phone-context=example.com>\r\n"
        "i: compact-folded@[2001:db8::10]\r\n"
        "CSeq: 1\r\n  INVITE\r\n"
        "m: <sip:alice@[2001:db8::10]:5060>;expires=60\r\n"
        "Subject: a folded\r\n\tsubject line\r\n"
        "k: timer, 100rel\r\n"
    ).encode()
    boundary = "unique-boundary-1"
    body = (
        f"--{boundary}\r\nContent-Type: application/sdp\r\n\r\n".encode()
        + sdp(A6, 4004)
        + f"\r\n--{boundary}\r\nContent-Type: text/plain\r\n\r\nhello\r\n--{boundary}--\r\n".encode()
    )
    compact += f"c: multipart/mixed;boundary={boundary}\r\nl: {len(body)}\r\n\r\n".encode() + body
    frames = [
        eth(ip_udp(B4, A4, first + second)),  # 1: two messages in one datagram
        eth(ip_udp(A6, B6, compact)),  # 2
        eth(ip_udp(B6, A6, b"\r\n\r\n")),  # 3: keep-alive only: no message
        eth(ip_udp(B6, A6, resp(200, "OK", "compact-folded@[2001:db8::10]", 1, "INVITE",
                                via=f"SIP/2.0/UDP [{A6}]:5060;branch=z9hG4bK-c1;rport=5060;received=2001:db8::10"))),
    ]
    write_pcap("udp-syntax.pcap", LINKTYPE_ETHERNET, frames)


OUTPUT: dict[str, bytes] = {}
MAKERS = (make_pcap_variants, make_pcapng_interfaces, make_link_types, make_tunnels, make_fragments, make_tcp,
          make_tcp_midstream, make_tcp_gap, make_tcp_6060, make_sctp, make_websocket, make_udp_syntax)


def main(argv: list[str]) -> int:
    check = "--check" in argv
    for maker in MAKERS:
        maker()
    differ = []
    for name, data in sorted(OUTPUT.items()):
        path = HERE / name
        if check:
            if not path.exists() or path.read_bytes() != data:
                differ.append(name)
        else:
            path.write_bytes(data)
    if check and differ:
        print("differs from make_samples.py: " + ", ".join(differ))
        return 1
    print(f"{'checked' if check else 'wrote'} {len(OUTPUT)} files in {HERE}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
