"""HEP v2/v3 decapsulation: a capture taken at a HOMER collector tells the same story as the
original capture.

A capture agent (`sngrep -H`, heplify, Kamailio siptrace) sends every SIP packet it sees to the
collector inside HEP over UDP, with the packet's own addresses, ports and time. The copies here
are built from bundled lab captures: each SIP datagram of the original is wrapped in HEP (v2 or
v3, as those agents write it) and sent from an agent at 10.0.0.9 to a collector at 10.0.0.1:9060,
half a second after the agent saw it. The reader must give back the original messages — same
start lines, addresses, ports and times (the agent's, not the collector's) — and the analysis the
same findings, on both cores.
"""

from __future__ import annotations

import socket
import struct
from pathlib import Path

import pytest
from conftest import SAMPLES

from sipdiag.analysis import analyze_paths
from sipdiag.dissect import read_messages
from sipdiag.rules import run_rules
from sipdiag.rules.verdict import decide
from sipdiag.sip.message import SipMessage
from sipdiag.sources.capture import CaptureReader
from sipdiag.sources.hep import decode_hep, looks_like_hep

LAB = SAMPLES / "lab"
AGENT, COLLECTOR = "10.0.0.9", "10.0.0.1"


def hep3(src, dst, sport, dport, t, payload: bytes) -> bytes:
    sec, usec = int(t), round((t - int(t)) * 1e6)
    chunks = [(1, b"\x02"), (2, b"\x11"), (3, socket.inet_aton(src)), (4, socket.inet_aton(dst)),
              (7, struct.pack("!H", sport)), (8, struct.pack("!H", dport)), (9, struct.pack("!I", sec)),
              (10, struct.pack("!I", usec)), (11, b"\x01"), (12, struct.pack("!I", 2001)), (15, payload)]
    body = b"".join(struct.pack("!HHH", 0, kind, 6 + len(value)) + value for kind, value in chunks)
    return b"HEP3" + struct.pack("!H", 6 + len(body)) + body


def hep2(src, dst, sport, dport, t, payload: bytes) -> bytes:
    sec, usec = int(t), round((t - int(t)) * 1e6)
    header = struct.pack("!BBBBHH", 2, 16, 2, 17, sport, dport) + socket.inet_aton(src) + socket.inet_aton(dst)
    return header + struct.pack("<IIHH", sec, usec, 2001, 0) + payload  # sec/usec as the C struct in memory


def _udp_frame(src: str, dst: str, payload: bytes, ident: int) -> bytes:
    udp = struct.pack("!HHHH", 40000, 9060, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), ident & 0xFFFF, 0, 64, 17, 0,
                     socket.inet_aton(src), socket.inet_aton(dst))
    return b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x08\x00" + ip + udp


def hep_copy(original: Path, out: Path, wrap) -> list:
    """Write `out`: every SIP datagram of `original`, wrapped by `wrap`, agent → collector."""
    reader = CaptureReader(str(original), lambda: open(original, "rb"))
    frames = [f for f in reader if f.transport == "UDP" and f.payload.lstrip(b"\r\n")]
    records = []
    for n, f in enumerate(frames):
        t = f.time + 0.5  # the collector receives it later; the agent's time is the one that counts
        frame = _udp_frame(AGENT, COLLECTOR, wrap(f.src.ip, f.dst.ip, f.src.port, f.dst.port, f.time, f.payload), n)
        sec = int(t)
        records.append(struct.pack("<IIII", sec, round((t - sec) * 1e6), len(frame), len(frame)) + frame)
    out.write_bytes(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1) + b"".join(records))
    return frames


def _messages(path: Path) -> list[tuple]:
    _source, items = read_messages(str(path))
    return [(m.start_line, str(m.src), str(m.dst), m.transport, round(m.time, 6), m.call_id)
            for m in items if isinstance(m, SipMessage)]


WIRE_ONLY = {"ip-fragmented", "tcp-segmented"}
"""Facts of the original packets that HEP does not carry: the agent sends each message whole."""


def _conclusions(path: Path) -> tuple:
    analysis = analyze_paths([str(path)])
    findings = run_rules(analysis)
    return ([(f.code, f.severity, f.title) for f in findings if f.slug not in WIRE_ONLY],
            decide(analysis, findings)[0].slug, [(h.address, h.role) for h in analysis.hosts.values()])


SAMPLES_UDP = ["ast-01-aor-404.pcap", "lab-06a-call-rejected-486.pcap", "lab-09-udp-big-invite-ip-fragmented.pcap"]


@pytest.mark.parametrize("pure", [False, True], ids=["default-core", "pure"])
@pytest.mark.parametrize("wrap", [hep3, hep2], ids=["HEPv3", "HEPv2"])
@pytest.mark.parametrize("name", SAMPLES_UDP)
def test_hep_copy_gives_the_original_messages_and_findings(name, wrap, pure, tmp_path, monkeypatch):
    if pure:
        monkeypatch.setenv("SIPDIAG_PURE", "1")
    copy = tmp_path / f"{wrap.__name__}-{name}"
    hep_copy(LAB / name, copy, wrap)
    assert _messages(copy) == _messages(LAB / name)
    assert _conclusions(copy) == _conclusions(LAB / name)
    _source, items = read_messages(str(copy))
    assert {m.tunnel for m in items if isinstance(m, SipMessage)} == {f"HEP{3 if wrap is hep3 else 2}"}


def test_hep_detection_and_damage():
    message = hep3("192.0.2.1", "192.0.2.2", 5060, 5060, 1.5, b"OPTIONS sip:a SIP/2.0\r\n\r\n")
    assert looks_like_hep(message) and looks_like_hep(hep2("192.0.2.1", "192.0.2.2", 1, 2, 1.0, b"x"))
    assert not looks_like_hep(b"\x80\x00" + b"\x00" * 20)  # RTP
    assert not looks_like_hep(b"INVITE sip:a SIP/2.0\r\n")
    packet = decode_hep(message)
    assert (packet.src, packet.dport, packet.time, packet.version) == ("192.0.2.1", 5060, 1.5, 3)
    assert decode_hep(message[:-5]) == f"HEP3 message cut short ({len(message) - 5} of {len(message)} bytes)"
    broken = message[:6] + struct.pack("!HHH", 0, 1, 200) + message[12:]  # a chunk longer than the message
    assert "damaged HEP3 chunk (type 1, length 200)" == decode_hep(broken)
    rtcp = message.replace(struct.pack("!HHH", 0, 11, 7) + b"\x01", struct.pack("!HHH", 0, 11, 7) + b"\x05")
    assert decode_hep(rtcp) == ""  # an RTCP report, not SIP: skipped without a word


def test_damaged_hep3_is_a_warning_not_a_crash(tmp_path):
    copy = tmp_path / "hep.pcap"
    hep_copy(LAB / "ast-01-aor-404.pcap", copy, lambda *a: hep3(*a)[:40])
    source, items = read_messages(str(copy))
    list(items)
    assert any("HEP3 message cut short" in w.text for w in source.summary.warnings)
