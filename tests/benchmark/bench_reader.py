#!/usr/bin/env python3
"""Benchmark of the capture reader: sipdiag against tcpdump and tshark on one large capture.

How this works: a synthetic Ethernet pcap is written once with `struct` (no scapy: it would
take minutes per million packets) and cached in `--workdir` with a JSON sidecar holding its
ground truth (how many SIP messages it holds, of which kinds). The traffic is what a PBX's
NIC sees: mostly RTP/RTCP of concurrent call legs, SIP over UDP (REGISTER with a 401
challenge, INVITE dialogs with SDP, some challenged with 407 or refused with 486, OPTIONS
qualify, CRLF keep-alives), SIP over persistent TCP connections (messages split across
segments and several per segment), HTTP provisioning downloads as non-SIP TCP noise, and a
few IP-fragmented big INVITEs (some with the fragments in reverse order, as Linux sends
them). Addresses are RFC 5737 documentation ranges only.

Every timed tool runs as a child process under `/usr/bin/time -v` (else `os.wait4`) for its
peak RSS; the in-process reader runs in a fresh interpreter of this script (`--worker`), so
its RSS is the reader's and not the generator's, and its time excludes start-up and
imports. Times are best of `--repeat`. Nothing here asserts a time: it prints a table.

Run: python tests/benchmark/bench_reader.py [--packets N] [--repeat K] [--profile]
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the repository root, for benchmarks/
from benchmarks.packets import (  # noqa: E402
    ACK,
    FIN,
    IP_HEADER,
    PCAP_HEADER,
    PSH,
    RECORD_HEADER as REC_HEADER,
    SYN,
    TCP_HEADER,
    UDP_HEADER,
)
from benchmarks.packets import fold as _fold  # noqa: E402
from benchmarks.packets import ip_bytes as _ip_bytes  # noqa: E402
from benchmarks.packets import ones_sum as _ones_sum  # noqa: E402

GENERATOR_VERSION = 3
"""Bump when the generated traffic changes, so cached captures are rebuilt."""

SEED = 5060
START_US = 1_709_283_600 * 1_000_000  # 2024-03-01 09:00:00 UTC
PACKETS_PER_SECOND = 1700  # ~16 concurrent calls of G.711 both ways, plus signalling

# Share of packets per kind; the rest is RTP/RTCP.
SHARE_SIP_UDP = 0.030
SHARE_SIP_TCP = 0.007
SHARE_HTTP = 0.012
CONCURRENT_LEGS = 16

# RFC 5737 addresses only.
PBX = "192.0.2.10"
TRUNK = "203.0.113.5"
PROVISIONING = "203.0.113.80"
UDP_PHONES = [f"198.51.100.{i}" for i in range(20, 60)]
TCP_PHONES = [f"198.51.100.{i}" for i in range(100, 106)]
HTTP_CLIENTS = [f"198.51.100.{i}" for i in range(20, 30)]

MTU_PAYLOAD = 1480  # IPv4 payload per fragment on a 1500-byte MTU (multiple of 8)
TCP_MSS = 1460

RTP_HEADER = struct.Struct("!BBHII")


# -- packet building (the wire formats and checksums are the benchmark's: benchmarks/packets.py) --

class PacketFactory:
    """Builds Ethernet/IPv4/UDP|TCP frames with correct IP and TCP checksums."""

    def __init__(self) -> None:
        self._ip_cache: dict[str, bytes] = {}
        self._ident: dict[str, int] = {}

    def ipb(self, ip: str) -> bytes:
        b = self._ip_cache.get(ip)
        if b is None:
            b = self._ip_cache[ip] = _ip_bytes(ip)
        return b

    def next_ident(self, ip: str) -> int:
        n = (self._ident.get(ip, sum(self.ipb(ip)) * 251) + 1) & 0xFFFF
        self._ident[ip] = n
        return n

    def ipv4(self, src: str, dst: str, proto: int, payload: bytes, *, tos: int = 0,
             ident: int | None = None, frag: int = 0x4000) -> bytes:
        s, d = self.ipb(src), self.ipb(dst)
        ident = self.next_ident(src) if ident is None else ident
        hdr = IP_HEADER.pack(0x45, tos, 20 + len(payload), ident, frag, 64, proto, 0, s, d)
        csum = _fold(_ones_sum(hdr))
        hdr = hdr[:10] + csum.to_bytes(2, "big") + hdr[12:]
        # Ethernet: locally administered MACs derived from the addresses.
        return b"\x02\x00" + d + b"\x02\x00" + s + b"\x08\x00" + hdr + payload

    def udp(self, src: str, sport: int, dst: str, dport: int, payload: bytes, tos: int = 0) -> bytes:
        # UDP checksum 0 = "not computed", legal over IPv4 and common with offload.
        return self.ipv4(src, dst, 17, UDP_HEADER.pack(sport, dport, 8 + len(payload), 0) + payload, tos=tos)

    def udp_fragments(self, src: str, sport: int, dst: str, dport: int, payload: bytes) -> list[bytes]:
        datagram = UDP_HEADER.pack(sport, dport, 8 + len(payload), 0) + payload
        ident = self.next_ident(src)
        frames = []
        for off in range(0, len(datagram), MTU_PAYLOAD):
            piece = datagram[off : off + MTU_PAYLOAD]
            more = off + MTU_PAYLOAD < len(datagram)
            frames.append(self.ipv4(src, dst, 17, piece, tos=0x68, ident=ident,
                                    frag=(0x2000 if more else 0) | (off // 8)))
        return frames

    def tcp(self, src: str, sport: int, dst: str, dport: int, seq: int, ack: int, flags: int,
            payload: bytes = b"", options: bytes = b"") -> bytes:
        doff = (20 + len(options)) // 4
        hdr = TCP_HEADER.pack(sport, dport, seq, ack, doff << 4, flags, 64240, 0, 0) + options
        seg = hdr + payload
        pseudo = self.ipb(src) + self.ipb(dst) + struct.pack("!BBH", 0, 6, len(seg))
        csum = _fold(_ones_sum(pseudo) + _ones_sum(seg))
        seg = seg[:16] + csum.to_bytes(2, "big") + seg[18:]
        return self.ipv4(src, dst, 6, seg, tos=0x68 if 5060 in (sport, dport) else 0)


# -- SIP message text -------------------------------------------------------------------------

UA_PHONE = "Yealink SIP-T46U 108.86.0.20"
UA_PBX = "Asterisk PBX 20.5.2"
UA_TRUNK = "Sippy Softswitch"
ALLOW = "INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, REFER, NOTIFY, SUBSCRIBE, UPDATE, PRACK, MESSAGE"


def _msg(start: str, headers: list[tuple[str, str]], body: bytes = b"") -> bytes:
    lines = [start] + [f"{k}: {v}" for k, v in headers]
    if body:
        lines.append("Content-Type: application/sdp")
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def sdp(ip: str, port: int, session: int, big: bool = False) -> bytes:
    lines = [
        "v=0", f"o=- {session} {session} IN IP4 {ip}", "s=-", f"c=IN IP4 {ip}", "t=0 0",
        f"m=audio {port} RTP/AVP 0 8 101" + (" 9 18 96 97 98 99 100 102 103" if big else ""),
        "a=rtpmap:0 PCMU/8000", "a=rtpmap:8 PCMA/8000", "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-16",
    ]
    if big:
        lines += [
            "a=rtpmap:9 G722/8000", "a=rtpmap:18 G729/8000", "a=fmtp:18 annexb=no",
            "a=rtpmap:96 opus/48000/2", "a=fmtp:96 useinbandfec=1;minptime=10;maxplaybackrate=48000",
            "a=rtpmap:97 iLBC/8000", "a=fmtp:97 mode=30", "a=rtpmap:98 AMR-WB/16000", "a=fmtp:98 octet-align=1",
            "a=rtpmap:99 AMR/8000", "a=rtpmap:100 speex/16000", "a=rtpmap:102 G7221/16000", "a=fmtp:102 bitrate=32000",
            "a=rtpmap:103 telephone-event/16000",
        ]
        for i in range(1, 4):
            key = "".join(random.Random(session + i).choices("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop0123456789+/", k=40))
            lines.append(f"a=crypto:{i} AES_CM_128_HMAC_SHA1_80 inline:{key}")
        for i in range(12):
            lines.append(f"a=candidate:{1000 + i} 1 udp {2130706431 - i * 256} 198.51.100.{100 + i} {port + i * 2} typ host")
        lines += ["a=ice-ufrag:Xq3k", "a=ice-pwd:asd88fgpdd777uzjYhagZg7fOz3bXq", "a=rtcp-mux", "a=rtcp:%d" % (port + 1)]
    lines += ["a=ptime:20", "a=maxptime:150", "a=sendrecv", ""]
    return "\r\n".join(lines).encode()


@dataclass
class Dialog:
    """One SIP dialog's identifiers, from the caller's (UAC's) side."""

    transport: str
    caller: tuple[str, int]
    callee: tuple[str, int]
    caller_user: str
    callee_user: str
    call_id: str
    from_tag: str
    to_tag: str = ""
    cseq: int = 1
    ua: str = UA_PHONE

    def via(self, branch: str) -> str:
        return f"SIP/2.0/{self.transport} {self.caller[0]}:{self.caller[1]};rport;branch=z9hG4bK{branch}"

    def request(self, method: str, branch: str, body: bytes = b"", extra: list[tuple[str, str]] = (),
                cseq: int | None = None, to_tag: bool = True, big: bool = False) -> bytes:
        cseq = self.cseq if cseq is None else cseq
        ruri = f"sip:{self.callee_user}@{self.callee[0]}:{self.callee[1]}"
        headers = [("Via", self.via(branch))]
        if big:
            headers += [("Record-Route", f"<sip:203.0.113.{200 + i};lr;ftag={self.from_tag};nat=yes>") for i in range(4)]
        headers += [
            ("Max-Forwards", "70"),
            ("From", f"\"{self.caller_user}\" <sip:{self.caller_user}@{self.callee[0]}>;tag={self.from_tag}"),
            ("To", f"<sip:{self.callee_user}@{self.callee[0]}>" + (f";tag={self.to_tag}" if to_tag and self.to_tag else "")),
            ("Call-ID", self.call_id),
            ("CSeq", f"{cseq} {method}"),
        ]
        if method in ("INVITE", "REGISTER", "OPTIONS"):
            headers.append(("Contact", f"<sip:{self.caller_user}@{self.caller[0]}:{self.caller[1]};transport={self.transport.lower()}>"))
        headers += list(extra)
        if method == "INVITE":
            headers += [("Allow", ALLOW), ("Supported", "replaces, timer, 100rel"), ("Session-Expires", "1800")]
        if big:
            headers += [
                ("P-Asserted-Identity", f"\"Front Desk {self.caller_user}\" <sip:+15555550{self.caller_user}@203.0.113.5;user=phone>"),
                ("Diversion", f"<sip:+15555550199@203.0.113.5>;reason=unconditional;counter=1;privacy=off"),
                ("History-Info", f"<sip:+15555550199@203.0.113.5?Reason=SIP%3Bcause%3D302>;index=1"),
                ("History-Info", f"<sip:{self.callee_user}@192.0.2.10;cause=302>;index=1.1"),
                ("X-Carrier-Trace", "ingress=ams-sbc-03;route=premium-eu;lrn=15555550100;" + "t" * 160),
                ("P-Charging-Vector", f"icid-value=PCSF:{self.call_id[:24]};icid-generated-at=203.0.113.5;orig-ioi=example.net"),
            ]
        headers.append(("User-Agent", self.ua))
        return _msg(f"{method} {ruri} SIP/2.0", headers, body)

    def response(self, code: int, reason: str, method: str, branch: str, body: bytes = b"",
                 extra: list[tuple[str, str]] = (), cseq: int | None = None, server: str = UA_PBX) -> bytes:
        cseq = self.cseq if cseq is None else cseq
        headers = [
            ("Via", self.via(branch) + f";received={self.caller[0]}"),
            ("From", f"\"{self.caller_user}\" <sip:{self.caller_user}@{self.callee[0]}>;tag={self.from_tag}"),
            ("To", f"<sip:{self.callee_user}@{self.callee[0]}>" + (f";tag={self.to_tag}" if code > 100 and self.to_tag else "")),
            ("Call-ID", self.call_id),
            ("CSeq", f"{cseq} {method}"),
        ]
        if method == "INVITE" and 180 <= code < 300:
            headers.append(("Contact", f"<sip:{self.callee_user}@{self.callee[0]}:{self.callee[1]}>"))
        headers += list(extra)
        headers.append(("Server", server))
        return _msg(f"SIP/2.0 {code} {reason}", headers, body)


# -- traffic scheduling ------------------------------------------------------------------------


@dataclass
class Item:
    """One frame waiting in a queue: its bytes, its kind, and the SIP messages it completes."""

    frame: bytes
    kind: str
    completes: int = 0


@dataclass
class RtpLeg:
    """Both directions of one call's media."""

    a: tuple[str, int]
    b: tuple[str, int]
    length: int
    ssrc: list[int]
    seq: list[int]
    ts: list[int]
    sent: int = 0
    active: bool = False
    dialog: Dialog | None = None


@dataclass
class TcpConn:
    client: tuple[str, int]
    server: tuple[str, int]
    cseq: int = 0
    sseq: int = 0
    open: bool = False


@dataclass
class Stats:
    packets: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)
    sip_messages: int = 0


class TrafficGenerator:
    """Yields `Item`s in capture order: RTP from active legs, signalling from queues."""

    def __init__(self, packets: int, seed: int = SEED) -> None:
        self.total = packets
        self.rng = random.Random(seed)
        self.pf = PacketFactory()
        self.sip_udp: deque = deque()
        self.sip_tcp: deque = deque()
        self.http: deque = deque()
        self.legs: list[RtpLeg] = []
        self.payloads = [bytes(self.rng.getrandbits(8) for _ in range(160)) for _ in range(64)]
        self.counter = 0
        self.tcp_conns: dict[str, TcpConn] = {}
        self.next_port = 40000
        frag_count = max(3, packets // 50_000)
        self.frag_at = set(range(packets // (frag_count + 1), packets, packets // (frag_count + 1) or 1))
        self.frag_sent = 0

    def uid(self, prefix: str = "") -> str:
        self.counter += 1
        return f"{prefix}{self.counter:06x}{self.rng.getrandbits(40):010x}"

    def ephemeral_port(self) -> int:
        self.next_port = 40000 + (self.next_port - 40000 + self.rng.randint(1, 97)) % 20000
        return self.next_port

    # -- SIP over UDP -------------------------------------------------------------------
    def _udp_sip(self, q: deque, src: tuple[str, int], dst: tuple[str, int], data: bytes) -> None:
        q.append(Item(self.pf.udp(src[0], src[1], dst[0], dst[1], data, tos=0x68), "sip_udp", 1))

    def _call_setup(self, leg: RtpLeg) -> None:
        """INVITE dialog for a leg; the leg's RTP starts when its ACK has gone out."""
        rng = self.rng
        trunk_side = rng.random() < 0.4
        if trunk_side:
            caller, callee, ua = (TRUNK, 5060), (PBX, 5060), UA_TRUNK
            cu, ce = f"+1555555{rng.randint(1000, 9999)}", f"{rng.randint(200, 299)}"
        else:
            caller, callee, ua = (rng.choice(UDP_PHONES), 5060), (PBX, 5060), UA_PHONE
            cu, ce = f"{rng.randint(200, 299)}", f"+1555555{rng.randint(1000, 9999)}"
        d = Dialog("UDP", caller, callee, cu, ce, self.uid() + "@" + caller[0], self.uid("ft"), ua=ua,
                   cseq=rng.randint(1, 200))
        leg.a = (caller[0], rng.randrange(10000, 20000, 2))
        leg.b = (PBX, rng.randrange(10000, 20000, 2))
        leg.dialog = d
        q = self.sip_udp
        offer = sdp(leg.a[0], leg.a[1], rng.getrandbits(31))
        r = rng.random()
        if r < 0.08:  # refused first, then retried
            br = self.uid()
            d.to_tag = self.uid("tt")
            self._udp_sip(q, caller, callee, d.request("INVITE", br, offer, to_tag=False))
            self._udp_sip(q, callee, caller, d.response(100, "Trying", "INVITE", br))
            self._udp_sip(q, callee, caller, d.response(486, "Busy Here", "INVITE", br))
            self._udp_sip(q, caller, callee, d.request("ACK", br))
            d.call_id, d.from_tag, d.to_tag = self.uid() + "@" + caller[0], self.uid("ft"), ""
        elif r < 0.20:  # proxy challenge, then authenticated INVITE
            br = self.uid()
            d.to_tag = self.uid("tt")
            self._udp_sip(q, caller, callee, d.request("INVITE", br, offer, to_tag=False))
            self._udp_sip(q, callee, caller, d.response(407, "Proxy Authentication Required", "INVITE", br, extra=[
                ("Proxy-Authenticate", f'Digest realm="asterisk",nonce="{self.uid()}",algorithm=MD5,qop="auth"')]))
            self._udp_sip(q, caller, callee, d.request("ACK", br))
            d.to_tag = ""
            d.cseq += 1
        br = self.uid()
        auth = [("Proxy-Authorization", f'Digest username="{d.caller_user}",realm="asterisk",nonce="{self.uid()}",'
                                         f'uri="sip:{d.callee_user}@{PBX}",response="{self.uid()}{self.uid()}",'
                                         'algorithm=MD5,qop=auth,nc=00000001')] if r < 0.20 and r >= 0.08 else []
        self._udp_sip(q, caller, callee, d.request("INVITE", br, offer, extra=auth, to_tag=False))
        self._udp_sip(q, callee, caller, d.response(100, "Trying", "INVITE", br))
        d.to_tag = self.uid("tt")
        self._udp_sip(q, callee, caller, d.response(180, "Ringing", "INVITE", br))
        answer = sdp(leg.b[0], leg.b[1], rng.getrandbits(31))
        self._udp_sip(q, callee, caller, d.response(200, "OK", "INVITE", br, answer))
        self._udp_sip(q, caller, callee, d.request("ACK", self.uid()))
        q.append(lambda: setattr(leg, "active", True))

    def _call_teardown(self, leg: RtpLeg) -> None:
        d = leg.dialog
        d.cseq += 1
        br = self.uid()
        self._udp_sip(self.sip_udp, d.caller, d.callee, d.request("BYE", br))
        self._udp_sip(self.sip_udp, d.callee, d.caller, d.response(200, "OK", "BYE", br))

    def _registration(self, q: deque, phone: tuple[str, int], transport: str = "UDP",
                      send=None) -> None:
        rng = self.rng
        user = str(rng.randint(200, 299))
        d = Dialog(transport, phone, (PBX, 5060), user, user, self.uid() + "@" + phone[0], self.uid("ft"),
                   cseq=rng.randint(1, 5000))
        br = self.uid()
        msgs = [(True, d.request("REGISTER", br, extra=[("Expires", "3600")], to_tag=False))]
        msgs.append((False, d.response(401, "Unauthorized", "REGISTER", br, extra=[
            ("WWW-Authenticate", f'Digest realm="asterisk",nonce="{self.uid()}",algorithm=MD5,qop="auth"')])))
        d.cseq += 1
        br = self.uid()
        msgs.append((True, d.request("REGISTER", br, to_tag=False, extra=[
            ("Authorization", f'Digest username="{user}",realm="asterisk",nonce="{self.uid()}",uri="sip:{PBX}",'
                              f'response="{self.uid()}{self.uid()}",algorithm=MD5,cnonce="{self.uid()}",qop=auth,nc=00000001'),
            ("Expires", "3600")])))
        msgs.append((False, d.response(200, "OK", "REGISTER", br, extra=[
            ("Contact", f"<sip:{user}@{phone[0]}:{phone[1]};transport={transport.lower()}>;expires=3600"),
            ("Date", "Fri, 01 Mar 2024 09:00:00 GMT")])))
        self._deliver(q, phone, (PBX, 5060), msgs, send)

    def _options(self, q: deque, peer: tuple[str, int], transport: str = "UDP", send=None) -> None:
        d = Dialog(transport, (PBX, 5060), peer, "asterisk", "s", self.uid() + "@" + PBX, self.uid("ft"), ua=UA_PBX,
                   cseq=self.rng.randint(100, 60000))
        br = self.uid()
        msgs = [(True, d.request("OPTIONS", br, extra=[("Accept", "application/sdp")], to_tag=False))]
        d.to_tag = self.uid("tt")
        msgs.append((False, d.response(200, "OK", "OPTIONS", br, server=UA_PHONE, extra=[
            ("Allow", ALLOW), ("Accept", "application/sdp"), ("Supported", "replaces, timer")])))
        self._deliver(q, (PBX, 5060), peer, msgs, send)

    def _deliver(self, q, a, b, msgs, send) -> None:
        if send is not None:
            send(msgs)
            return
        for forward, data in msgs:
            src, dst = (a, b) if forward else (b, a)
            self._udp_sip(q, src, dst, data)

    def _fragmented_invite(self) -> None:
        rng = self.rng
        caller, callee = (TRUNK, 5060), (PBX, 5060)
        d = Dialog("UDP", caller, callee, f"+1555555{rng.randint(1000, 9999)}", str(rng.randint(200, 299)),
                   self.uid() + "@" + TRUNK, self.uid("ft"), ua=UA_TRUNK)
        br = self.uid()
        invite = d.request("INVITE", br, sdp(TRUNK, rng.randrange(20000, 30000, 2), rng.getrandbits(31), big=True),
                           to_tag=False, big=True)
        frames = self.pf.udp_fragments(caller[0], caller[1], callee[0], callee[1], invite)
        if self.frag_sent % 2:
            frames.reverse()  # Linux sends the last fragment first
        self.frag_sent += 1
        for i, f in enumerate(frames):
            self.sip_udp.append(Item(f, "ip_fragment", 1 if i == len(frames) - 1 else 0))
        self._udp_sip(self.sip_udp, callee, caller, d.response(100, "Trying", "INVITE", br))
        d.to_tag = self.uid("tt")
        self._udp_sip(self.sip_udp, callee, caller, d.response(486, "Busy Here", "INVITE", br))
        self._udp_sip(self.sip_udp, caller, callee, d.request("ACK", br))

    def _udp_filler(self) -> None:
        r = self.rng.random()
        if r < 0.45:
            self._registration(self.sip_udp, (self.rng.choice(UDP_PHONES), 5060))
        elif r < 0.95:
            peer = (TRUNK, 5060) if self.rng.random() < 0.2 else (self.rng.choice(UDP_PHONES), 5060)
            self._options(self.sip_udp, peer)
        else:  # CRLF keep-alive (RFC 5626 style, sent over UDP by many phones anyway)
            phone = self.rng.choice(UDP_PHONES)
            self.sip_udp.append(Item(self.pf.udp(phone, 5060, PBX, 5060, b"\r\n\r\n"), "sip_udp_keepalive"))

    # -- TCP ----------------------------------------------------------------------------
    def _tcp_packet(self, q: deque, c: TcpConn, from_client: bool, flags: int, data: bytes = b"",
                    kind: str = "sip_tcp", completes: int = 0, options: bytes = b"") -> None:
        (src, dst) = (c.client, c.server) if from_client else (c.server, c.client)
        seq, ack = (c.cseq, c.sseq) if from_client else (c.sseq, c.cseq)
        frame = self.pf.tcp(src[0], src[1], dst[0], dst[1], seq, ack, flags, data, options)
        advance = len(data) + (1 if flags & (SYN | FIN) else 0)
        if from_client:
            c.cseq = (c.cseq + advance) & 0xFFFFFFFF
        else:
            c.sseq = (c.sseq + advance) & 0xFFFFFFFF
        q.append(Item(frame, kind, completes))

    def _tcp_open(self, q: deque, c: TcpConn, kind: str) -> None:
        c.cseq, c.sseq = self.rng.getrandbits(32), self.rng.getrandbits(32)
        mss = struct.pack("!BBH", 2, 4, TCP_MSS)
        self._tcp_packet(q, c, True, SYN, kind=kind, options=mss)
        self._tcp_packet(q, c, False, SYN | ACK, kind=kind, options=mss)
        self._tcp_packet(q, c, True, ACK, kind=kind)
        c.open = True

    def _tcp_close(self, q: deque, c: TcpConn, kind: str) -> None:
        self._tcp_packet(q, c, True, FIN | ACK, kind=kind)
        self._tcp_packet(q, c, False, FIN | ACK, kind=kind)
        self._tcp_packet(q, c, True, ACK, kind=kind)
        c.open = False

    def _tcp_send_run(self, q: deque, c: TcpConn, from_client: bool, messages: list[bytes], kind: str) -> None:
        """Send consecutive messages of one direction, segmented one of three ways."""
        run = b"".join(messages)
        ends, pos = [], 0
        for m in messages:
            pos += len(m)
            ends.append(pos)
        mode = self.rng.random()
        if mode < 0.5:  # one segment per message (split at the MSS only)
            cuts = [0] + ends
        elif mode < 0.75:  # everything in as few segments as the MSS allows: several per segment
            cuts = [0, len(run)]
        else:  # cut at arbitrary points: messages split across segments
            points = sorted(self.rng.sample(range(1, len(run)), k=min(len(run) - 1, self.rng.randint(1, 3))))
            cuts = [0] + points + [len(run)]
        for lo, hi in zip(cuts, cuts[1:]):
            for s in range(lo, hi, TCP_MSS):
                e = min(s + TCP_MSS, hi)
                done = sum(1 for x in ends if s < x <= e)
                self._tcp_packet(q, c, from_client, PSH | ACK, run[s:e], kind=kind, completes=done)
        if self.rng.random() < 0.5:
            self._tcp_packet(q, c, not from_client, ACK, kind=kind)

    def _tcp_messages(self, c: TcpConn, msgs: list[tuple[bool, bytes]]) -> None:
        run: list[bytes] = []
        direction = None
        for forward, data in msgs + [(None, b"")]:
            from_client = forward  # True: client → server
            if forward is None or (run and from_client != direction):
                self._tcp_send_run(self.sip_tcp, c, direction, run, "sip_tcp")
                run = []
            if forward is None:
                break
            direction = from_client
            run.append(data)

    def _tcp_scenario(self) -> None:
        rng = self.rng
        phone = rng.choice(TCP_PHONES)
        c = self.tcp_conns.get(phone)
        if c is None or not c.open:
            c = self.tcp_conns[phone] = TcpConn((phone, self.ephemeral_port()), (PBX, 5060))
            self._tcp_open(self.sip_tcp, c, "sip_tcp")
            self._registration(self.sip_tcp, c.client, "TCP", send=lambda m: self._tcp_messages(c, m))
            return
        r = rng.random()
        if r < 0.25:
            self._registration(self.sip_tcp, c.client, "TCP", send=lambda m: self._tcp_messages(c, m))
        elif r < 0.50:
            # OPTIONS from the PBX travel over the phone's connection (server → client).
            self._options(self.sip_tcp, c.client, "TCP", send=lambda m: self._tcp_messages(c, [(not f, x) for f, x in m]))
        elif r < 0.90:
            d = Dialog("TCP", c.client, (PBX, 5060), str(rng.randint(200, 299)), f"+1555555{rng.randint(1000, 9999)}",
                       self.uid() + "@" + phone, self.uid("ft"))
            br = self.uid()
            msgs = [(True, d.request("INVITE", br, sdp(phone, rng.randrange(10000, 20000, 2), rng.getrandbits(31)),
                                     to_tag=False))]
            msgs.append((False, d.response(100, "Trying", "INVITE", br)))
            d.to_tag = self.uid("tt")
            msgs.append((False, d.response(180, "Ringing", "INVITE", br)))
            msgs.append((False, d.response(200, "OK", "INVITE", br, sdp(PBX, rng.randrange(10000, 20000, 2),
                                                                        rng.getrandbits(31)))))
            msgs.append((True, d.request("ACK", self.uid())))
            d.cseq += 1
            br = self.uid()
            msgs.append((True, d.request("BYE", br)))
            msgs.append((False, d.response(200, "OK", "BYE", br)))
            self._tcp_messages(c, msgs)
        elif r < 0.95:  # RFC 5626 CRLF keep-alive and pong
            self._tcp_packet(self.sip_tcp, c, True, PSH | ACK, b"\r\n\r\n", kind="sip_tcp_keepalive")
            self._tcp_packet(self.sip_tcp, c, False, PSH | ACK, b"\r\n", kind="sip_tcp_keepalive")
        else:
            self._tcp_close(self.sip_tcp, c, "sip_tcp")

    def _http_scenario(self) -> None:
        rng = self.rng
        c = TcpConn((rng.choice(HTTP_CLIENTS), self.ephemeral_port()), (PROVISIONING, 80))
        q = self.http
        self._tcp_open(q, c, "http")
        for _ in range(rng.choice((1, 1, 1, 2))):
            mac = "805ec0%06x" % rng.getrandbits(24)
            req = (f"GET /provisioning/{mac}.cfg HTTP/1.1\r\nHost: {PROVISIONING}\r\n"
                   f"User-Agent: {UA_PHONE}\r\nAccept: */*\r\nConnection: keep-alive\r\n\r\n").encode()
            self._tcp_packet(q, c, True, PSH | ACK, req, kind="http")
            entries = rng.randint(40, 400)
            body = "#!version:1.0.0.1\n" + "".join(
                f"account.1.codec.{i}.enable = {rng.randint(0, 1)}\nlocal_time.ntp_server{i} = pool{i}.example.net\n"
                for i in range(entries))
            resp = (f"HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Type: text/plain\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n{body}").encode()
            segments = [resp[i : i + 1448] for i in range(0, len(resp), 1448)]
            for n, seg in enumerate(segments):
                self._tcp_packet(q, c, False, PSH | ACK if n == len(segments) - 1 else ACK, seg, kind="http")
                if n % 2:
                    self._tcp_packet(q, c, True, ACK, kind="http")
        self._tcp_close(q, c, "http")

    # -- RTP ----------------------------------------------------------------------------
    def _new_leg(self) -> RtpLeg:
        rng = self.rng
        leg = RtpLeg(("", 0), ("", 0), length=rng.randint(1500, 9000),
                     ssrc=[rng.getrandbits(32), rng.getrandbits(32)], seq=[rng.getrandbits(16), rng.getrandbits(16)],
                     ts=[rng.getrandbits(32), rng.getrandbits(32)])
        self._call_setup(leg)
        return leg

    def _rtp(self, leg: RtpLeg) -> Item:
        i = self.rng.getrandbits(1)
        src, dst = (leg.a, leg.b) if i == 0 else (leg.b, leg.a)
        leg.sent += 1
        if leg.sent % 250 == 0:  # RTCP sender report now and then
            sender_report = struct.pack("!BBHIIIIII", 0x80, 200, 6, leg.ssrc[i], 0xE9A1B2C3, 0x12345678,
                                        leg.ts[i], leg.sent // 2, leg.sent * 86)
            cname = b"pbx@example."  # SDES: 4 + 4 + (2 + 12) + end + pad = 24 bytes
            sdes = b"\x81\xca\x00\x05" + leg.ssrc[i].to_bytes(4, "big") + b"\x01" + bytes([len(cname)]) + cname + b"\x00\x00"
            rtcp = sender_report + sdes
            return Item(self.pf.udp(src[0], src[1] + 1, dst[0], dst[1] + 1, rtcp, tos=0xB8), "rtcp")
        seq = leg.seq[i] = (leg.seq[i] + 1) & 0xFFFF
        ts = leg.ts[i] = (leg.ts[i] + 160) & 0xFFFFFFFF
        payload = RTP_HEADER.pack(0x80, 0, seq, ts, leg.ssrc[i]) + self.payloads[seq & 63]
        return Item(self.pf.udp(src[0], src[1], dst[0], dst[1], payload, tos=0xB8), "rtp")

    # -- the schedule -------------------------------------------------------------------
    @staticmethod
    def _pop(q: deque) -> Item | None:
        while q:
            item = q.popleft()
            if callable(item):
                item()
                continue
            return item
        return None

    def items(self):
        rng = self.rng
        self.legs = [self._new_leg() for _ in range(CONCURRENT_LEGS)]
        for n in range(self.total):
            if n in self.frag_at:
                self._fragmented_invite()
            r = rng.random()
            item = None
            if r < SHARE_SIP_UDP:
                if not self.sip_udp:
                    self._udp_filler()
                item = self._pop(self.sip_udp)
            elif r < SHARE_SIP_UDP + SHARE_SIP_TCP:
                if not self.sip_tcp:
                    self._tcp_scenario()
                item = self._pop(self.sip_tcp)
            elif r < SHARE_SIP_UDP + SHARE_SIP_TCP + SHARE_HTTP:
                if not self.http:
                    self._http_scenario()
                item = self._pop(self.http)
            if item is None:
                active = [leg for leg in self.legs if leg.active]
                if not active:
                    item = self._pop(self.sip_udp)  # signalling that starts the legs
                    if item is None:
                        self._udp_filler()
                        item = self._pop(self.sip_udp)
                else:
                    leg = rng.choice(active)
                    item = self._rtp(leg)
                    if leg.sent >= leg.length:
                        leg.active = False
                        self._call_teardown(leg)
                        self.legs[self.legs.index(leg)] = self._new_leg()
            yield item


def generate(path: Path, packets: int) -> dict:
    """Write the synthetic capture to `path`; return its ground truth."""
    gen = TrafficGenerator(packets)
    stats = Stats()
    t_us = START_US
    rng = random.Random(SEED + 1)
    mean_gap = 1e6 / PACKETS_PER_SECOND
    tmp = path.with_suffix(".tmp")
    started = time.perf_counter()
    with open(tmp, "wb", buffering=1 << 20) as fh:
        fh.write(PCAP_HEADER)
        write, pack = fh.write, REC_HEADER.pack
        for item in gen.items():
            t_us += 1 + int(rng.expovariate(1.0) * mean_gap)
            frame = item.frame
            write(pack(t_us // 1_000_000, t_us % 1_000_000, len(frame), len(frame)))
            write(frame)
            stats.packets += 1
            stats.by_kind[item.kind] = stats.by_kind.get(item.kind, 0) + 1
            stats.sip_messages += item.completes
    tmp.replace(path)
    truth = {
        "generator_version": GENERATOR_VERSION,
        "packets": stats.packets,
        "sip_messages": stats.sip_messages,
        "by_kind": dict(sorted(stats.by_kind.items(), key=lambda kv: -kv[1])),
        "bytes": path.stat().st_size,
        "seconds_to_generate": round(time.perf_counter() - started, 1),
    }
    path.with_suffix(".json").write_text(json.dumps(truth, indent=2))
    return truth


def capture_for(workdir: Path, packets: int) -> tuple[Path, dict]:
    """The cached capture of `packets` packets, generated if missing or stale."""
    workdir.mkdir(parents=True, exist_ok=True)
    path = workdir / f"bench-{packets}-v{GENERATOR_VERSION}.pcap"
    meta = path.with_suffix(".json")
    if path.exists() and meta.exists():
        truth = json.loads(meta.read_text())
        if truth.get("packets") == packets and truth.get("bytes") == path.stat().st_size:
            return path, truth
    print(f"generating {path} ({packets:,} packets)...", file=sys.stderr, flush=True)
    truth = generate(path, packets)
    print(f"  done in {truth['seconds_to_generate']} s, {truth['bytes'] / 1e6:.0f} MB", file=sys.stderr)
    return path, truth


# -- running and measuring ---------------------------------------------------------------------


@dataclass
class Run:
    seconds: float
    rss_mb: float | None
    stdout: bytes
    returncode: int
    stderr: bytes = b""


GNU_TIME = "/usr/bin/time"


def run_measured(cmd: list[str], stdout=subprocess.PIPE) -> Run:
    """Run `cmd` as a child; wall time from here, peak RSS from GNU time or wait4."""
    if os.path.exists(GNU_TIME):
        with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
            started = time.perf_counter()
            p = subprocess.run([GNU_TIME, "-v", "-o", tf.name] + cmd, stdout=stdout, stderr=subprocess.PIPE)
            seconds = time.perf_counter() - started
            rss = None
            for line in Path(tf.name).read_text().splitlines():
                if "Maximum resident set size" in line:
                    rss = int(line.rsplit(":", 1)[1]) / 1024
        return Run(seconds, rss, p.stdout or b"", p.returncode, p.stderr or b"")
    with tempfile.TemporaryFile() as err:
        started = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=stdout, stderr=err)
        out = p.stdout.read() if p.stdout is not None else b""
        _pid, status, usage = os.wait4(p.pid, 0)  # this child's own rusage, unlike RUSAGE_CHILDREN
        seconds = time.perf_counter() - started
        p.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        return Run(seconds, usage.ru_maxrss / 1024, out, p.returncode, err.read())


def sipdiag_command() -> list[str]:
    script = Path(sys.executable).parent / "sipdiag"
    if script.exists():  # the console script itself: no pyenv shim in the timing
        return [str(script)]
    found = shutil.which("sipdiag")
    return [found] if found else [sys.executable, "-m", "sipdiag.cli"]


@dataclass
class ToolResult:
    name: str
    seconds: float
    rss_mb: float | None
    messages: int | None = None
    note: str = ""


def best_of(name: str, cmd: list[str], repeat: int, stdout=subprocess.PIPE, parse=None,
            ok_codes: tuple[int, ...] = (0,)) -> ToolResult | None:
    runs = [run_measured(cmd, stdout) for _ in range(repeat)]
    failed = next((r for r in runs if r.returncode not in ok_codes), None)
    if failed is not None:
        tail = failed.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
        print(f"!! {name} exited with {failed.returncode}: {' '.join(cmd)}\n   " + "\n   ".join(tail), file=sys.stderr)
    best = min(runs, key=lambda r: r.seconds)
    rss = max((r.rss_mb for r in runs if r.rss_mb is not None), default=None)
    result = ToolResult(name, best.seconds, rss)
    if parse is not None:
        parse(result, best)
    return result


def parse_tshark(result: ToolResult, run: Run) -> None:
    frames = messages = 0
    for line in run.stdout.decode("utf-8", "replace").splitlines():
        if not line.strip():
            continue
        frames += 1
        _num, _tab, methods = line.partition("\t")
        messages += len([m for m in methods.split(",") if m])
    result.messages = messages
    result.note = f"{frames:,} frames"


def worker_info(run: Run) -> dict | None:
    """The worker's JSON line, or None when it failed (sipdiag broken, say)."""
    lines = run.stdout.decode("utf-8", "replace").strip().splitlines()
    try:
        return json.loads(lines[-1])
    except (IndexError, ValueError):
        return None


def parse_worker(result: ToolResult, run: Run) -> None:
    info = worker_info(run)
    if info is None:
        result.note = "FAILED: " + run.stderr.decode("utf-8", "replace").strip()[-300:]
        return
    result.seconds = info["seconds"]  # the read itself, without start-up and imports
    result.messages = info["messages"]
    result.note = (f"{info['anomalies']} anomalies; RSS {info['rss_before_mb']:.0f} MB after imports; "
                   f"summary says {info['packets']:,} packets")


def worker_command(path: Path) -> list[str]:
    return [sys.executable, str(Path(__file__).resolve()), "--worker", str(path)]


def worker(path: str) -> None:
    """In a fresh interpreter: iterate `read_messages` once, print timing and counts as JSON."""
    import resource

    from sipdiag.dissect import read_messages
    from sipdiag.sip.message import Anomaly, SipMessage

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.perf_counter()
    source, items = read_messages(path)
    messages = anomalies = 0
    for item in items:
        if isinstance(item, SipMessage):
            messages += 1
        elif isinstance(item, Anomaly):
            anomalies += 1
    seconds = time.perf_counter() - started
    print(json.dumps({
        "seconds": seconds, "messages": messages, "anomalies": anomalies, "packets": source.summary.packets,
        "rss_before_mb": rss_before, "rss_after_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


def warm_page_cache(path: Path) -> None:
    with open(path, "rb") as fh:
        while fh.read(1 << 24):
            pass


def time_tools(path: Path, truth: dict, repeat: int, tools: set[str]) -> list[ToolResult]:
    results: list[ToolResult] = []
    if "tcpdump" in tools:
        tcpdump = shutil.which("tcpdump")
        if tcpdump:
            results.append(best_of("tcpdump -r -w /dev/null", [tcpdump, "-r", str(path), "-w", "/dev/null"], repeat))
            results.append(best_of("tcpdump -nn -r > /dev/null", [tcpdump, "-nn", "-r", str(path)], repeat,
                                   stdout=subprocess.DEVNULL))
        else:
            print("(tcpdump is not installed: skipped)", file=sys.stderr)
    if "tshark" in tools:
        tshark = shutil.which("tshark")
        if tshark:
            cmd = [tshark, "-n", "-r", str(path), "-Y", "sip", "-T", "fields", "-e", "frame.number",
                   "-e", "sip.CSeq.method", "-E", "occurrence=a", "-E", "aggregator=,"]
            results.append(best_of("tshark -Y sip -T fields", cmd, repeat, parse=parse_tshark))
        else:
            print("(tshark is not installed: skipped)", file=sys.stderr)
    if "cli" in tools:
        cmd = sipdiag_command() + ["messages", str(path), "--format", "jsonl"]
        results.append(best_of("sipdiag messages --format jsonl", cmd, repeat, stdout=subprocess.DEVNULL))
    if "inproc" in tools:
        results.append(best_of("sipdiag read_messages (in-process)", worker_command(path), repeat, parse=parse_worker))
    if "analyze" in tools:  # the whole pipeline: read, flows, rules, JSON report
        cmd = sipdiag_command() + ["analyze", str(path), "--format", "json"]
        results.append(best_of("sipdiag analyze --format json", cmd, repeat, stdout=subprocess.DEVNULL,
                               ok_codes=(0, 1)))  # 1 = error findings, a normal outcome
    return results


def print_table(results: list[ToolResult], truth: dict) -> None:
    packets = truth["packets"]
    tshark = next((r for r in results if r.name.startswith("tshark")), None)
    print(f"\n{'tool':36} {'seconds':>8} {'packets/s':>11} {'µs/packet':>10} {'peak RSS MB':>12} {'vs tshark':>10} "
          f"{'SIP msgs':>9}")
    print("-" * 102)
    for r in results:
        ratio = f"{r.seconds / tshark.seconds:.2f}x" if tshark else "-"
        rss = f"{r.rss_mb:.0f}" if r.rss_mb is not None else "?"
        msgs = f"{r.messages:,}" if r.messages is not None else ""
        print(f"{r.name:36} {r.seconds:8.2f} {packets / r.seconds:11,.0f} {r.seconds / packets * 1e6:10.2f} {rss:>12} "
              f"{ratio:>10} {msgs:>9}")
    print("(vs tshark = time ÷ tshark's time: below 1 is faster. The in-process time excludes interpreter "
          "start-up and imports; its RSS includes them.)")
    for r in results:
        if r.note:
            print(f"  {r.name}: {r.note}")


def check_counts(results: list[ToolResult], truth: dict) -> None:
    print(f"\nSIP messages in the capture (generator's ground truth): {truth['sip_messages']:,}")
    counts = {r.name: r.messages for r in results if r.messages is not None}
    for name, n in counts.items():
        print(f"  {name}: {n:,}")
    tshark = next((n for name, n in counts.items() if name.startswith("tshark")), None)
    ours = next((n for name, n in counts.items() if name.startswith("sipdiag")), None)
    if tshark is not None and ours is not None and tshark != ours:
        bar = "!" * 78
        print(f"\n{bar}\n!! WARNING: sipdiag found {ours:,} SIP messages, tshark {tshark:,} "
              f"(difference {ours - tshark:+,})\n{bar}")
    elif ours is not None and ours != truth["sip_messages"]:
        print(f"\n!! WARNING: sipdiag found {ours:,} SIP messages, the generator wrote {truth['sip_messages']:,}")
    elif tshark is not None and ours is not None:
        print("  sipdiag and tshark agree.")


def memory_flatness(workdir: Path, n: int, repeat: int) -> None:
    print(f"\nMemory flatness: sipdiag in-process read of {n:,} and {2 * n:,} packets")
    print(f"{'packets':>10} {'seconds':>8} {'peak RSS MB':>12} {'RSS after imports':>18} {'growth in read':>15}")
    rows = []
    for size in (n, 2 * n):
        path, truth = capture_for(workdir, size)
        warm_page_cache(path)
        runs = [run_measured(worker_command(path)) for _ in range(repeat)]
        infos = [worker_info(r) for r in runs]
        if None in infos:
            print(f"!! the sipdiag worker failed on {path}: "
                  + runs[infos.index(None)].stderr.decode("utf-8", "replace").strip()[-300:])
            return
        peak = max(r.rss_mb for r in runs)
        base = min(i["rss_before_mb"] for i in infos)
        seconds = min(i["seconds"] for i in infos)
        rows.append((size, peak, base))
        print(f"{size:>10,} {seconds:8.2f} {peak:12.1f} {base:18.1f} {peak - base:15.1f}")
    (_, p1, b1), (_, p2, b2) = rows
    g1, g2 = p1 - b1, p2 - b2
    verdict = "flat" if g2 - g1 <= max(5.0, 0.1 * g1) else "GROWS with capture size"
    print(f"  growth during the read: {g1:.1f} MB → {g2:.1f} MB for twice the packets: {verdict}")


def profile(path: Path, top: int = 25) -> None:
    from sipdiag.dissect import read_messages

    print(f"\ncProfile of read_messages({path.name}) — times are inflated by the profiler")
    prof = cProfile.Profile()
    started = time.perf_counter()
    prof.enable()
    source, items = read_messages(str(path))
    n = sum(1 for _ in items)
    prof.disable()
    print(f"  {n:,} items, {time.perf_counter() - started:.1f} s under the profiler")
    for key in ("cumulative", "tottime"):
        out = io.StringIO()
        stats = pstats.Stats(prof, stream=out)
        stats.strip_dirs().sort_stats(key).print_stats(top)
        text = out.getvalue()
        body = text[text.find("   ncalls"):] if "   ncalls" in text else text
        print(f"\n--- top {top} by {key} ---\n{body.rstrip()}")


def _sipdiag_version() -> str:
    try:
        from sipdiag import __version__
    except ImportError:
        return "?"
    return __version__


def _tool_version(name: str) -> str:
    exe = shutil.which(name)
    if exe is None:
        return f"{name} not installed"
    p = subprocess.run([exe, "--version"], capture_output=True, text=True)
    first = (p.stdout or p.stderr).strip().splitlines()
    return first[0].rstrip(".") if first else name


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--packets", type=int, default=1_000_000, help="packets in the capture (default 1,000,000)")
    ap.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "sipdiag-bench",
                    help="where generated captures are cached (default /tmp/sipdiag-bench)")
    ap.add_argument("--repeat", type=int, default=1, help="best of K runs per tool (default 1)")
    ap.add_argument("--tools", default="tcpdump,tshark,cli,inproc",
                    help="comma list of tcpdump, tshark, cli, inproc, analyze (full pipeline, not in the "
                         "default); 'none' to skip the table")
    ap.add_argument("--flat-packets", type=int, default=250_000,
                    help="memory flatness check on this many and twice as many packets (0 skips it)")
    ap.add_argument("--profile", action="store_true", help="cProfile the in-process read; top 25 by cumulative and tottime")
    ap.add_argument("--generate-only", action="store_true", help="just write (or find) the capture and print its path")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.worker:
        worker(args.worker)
        return 0
    path, truth = capture_for(args.workdir, args.packets)
    print(f"capture: {path} — {truth['packets']:,} packets, {truth['bytes'] / 1e6:.0f} MB, "
          f"{truth['sip_messages']:,} SIP messages")
    print("  packets by kind: " + ", ".join(f"{k} {v:,}" for k, v in truth["by_kind"].items()))
    if args.generate_only:
        return 0
    print(f"python {sys.version.split()[0]}; sipdiag {_sipdiag_version()}; {_tool_version('tshark')}; "
          f"{_tool_version('tcpdump')}; load average {os.getloadavg()[0]:.2f}")
    warm_page_cache(path)
    tools = {t.strip() for t in args.tools.split(",") if t.strip()} - {"none"}
    if tools:
        results = time_tools(path, truth, max(1, args.repeat), tools)
        print_table(results, truth)
        check_counts(results, truth)
    if args.flat_packets:
        memory_flatness(args.workdir, args.flat_packets, max(1, args.repeat))
    if args.profile:
        profile(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
