"""RTP flow counting in the capture reader: packets and payload types per direction.

On the real captures, tshark is the oracle. Its `rtp,streams` table is read with RTP found by
heuristics (`rtp.heuristic_rtp:TRUE`) and without SDP-set conversations
(`sdp.establish_conversation:FALSE`), because the reader, like those settings, judges each
datagram by its own bytes: with the defaults, tshark decodes only the ports an SDP it saw
names, and decodes a port as whatever the last SDP said, even when the peer refused it (see
`test_fax_reinvite_refused_keeps_audio`). tshark lists one stream per SSRC; the reader counts
per direction (source and destination address and port), so tshark's streams are summed per
direction. tshark's answers are kept in pytest's cache (keyed by file size, mtime and the
tshark version); `pytest --cache-clear` refreshes them.

Edge cases (RTCP, version bits, short payloads, well-known ports, the flow limit) use small
raw-IPv4 captures written by the tests themselves.
"""

from __future__ import annotations

import shutil
import socket
import struct
import subprocess
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from conftest import corpus_file, corpus_files
from sipdiag.dissect import read_messages
from sipdiag.sip.message import SipMessage
from sipdiag.sources import capture, open_input

CAPTURE_PATTERNS = ("*.pcap", "*.pcapng", "*.cap", "*.pcap.gz", "*.pcapng.gz")
CACHE_SCHEMA = 1
TSHARK_RTP_PREFS = ["-o", "rtp.heuristic_rtp:TRUE", "-o", "sdp.establish_conversation:FALSE"]


def read_summary(path: Path):
    """The summary after reading `path` the way `sipdiag analyze` does (with the SIP filter)."""
    source, items = read_messages(str(path))
    for _ in items:
        pass
    return source.summary


# -- the oracle ---------------------------------------------------------------------------------


def _tshark(path: Path, *args: str) -> str:
    result = subprocess.run(["tshark", "-n", "-r", str(path), *TSHARK_RTP_PREFS, *args],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return result.stdout


def tshark_streams(path: Path) -> dict[tuple, int]:
    """Packets per direction from `tshark -z rtp,streams`, SSRCs of one direction summed."""
    flows: Counter = Counter()
    for line in _tshark(path, "-q", "-z", "rtp,streams").splitlines():
        cols = line.split()
        # start end src sport dst dport ssrc payload(may hold spaces) pkts lost (pct) ...
        lost_pct = [i for i, c in enumerate(cols) if c.startswith("(") and c.endswith("%)")]
        if len(cols) < 10 or not lost_pct or not cols[6].startswith("0x"):
            continue
        src, sport, dst, dport = cols[2], int(cols[3]), cols[4], int(cols[5])
        flows[(src, sport, dst, dport)] += int(cols[lost_pct[0] - 2])
    return dict(flows)


def tshark_payload_types(path: Path) -> dict[tuple, set[int]]:
    out = _tshark(path, "-Y", "rtp", "-T", "fields", "-E", "occurrence=l",
                  "-e", "ip.src", "-e", "ipv6.src", "-e", "udp.srcport",
                  "-e", "ip.dst", "-e", "ipv6.dst", "-e", "udp.dstport", "-e", "rtp.p_type")
    types: dict[tuple, set[int]] = defaultdict(set)
    for line in out.splitlines():
        src4, src6, sport, dst4, dst6, dport, pt = line.split("\t")
        types[(src4 or src6, int(sport), dst4 or dst6, int(dport))].add(int(pt))
    return dict(types)


def _corpus_captures() -> list:
    files = corpus_files("public", CAPTURE_PATTERNS) + corpus_files("lab", CAPTURE_PATTERNS)
    if not files:
        return [pytest.param(None, marks=pytest.mark.skip(reason="corpus not available (set SIPDIAG_CORPUS)"))]
    return [pytest.param(f, id=f"{f.parent.name}/{f.name}") for f in files]


@pytest.fixture(scope="session")
def tshark_version() -> str:
    if shutil.which("tshark") is None:
        pytest.skip("tshark is not installed")
    out = subprocess.run(["tshark", "--version"], capture_output=True, text=True, timeout=30).stdout
    return out.splitlines()[0] if out else "?"


def tshark_rtp(request, path: Path, version: str) -> tuple[dict[tuple, int], dict[tuple, set[int]]]:
    """(packets per direction, payload types per direction) from tshark, cached."""
    stat = path.stat()
    key = f"sipdiag/rtp-oracle/{CACHE_SCHEMA}/{path.name}"
    stamp = [str(path), stat.st_size, stat.st_mtime_ns, version]
    cache = getattr(request.config, "cache", None)  # absent under -p no:cacheprovider
    cached = cache.get(key, None) if cache else None
    if not (cached and cached.get("stamp") == stamp):
        cached = {"stamp": stamp,
                  "flows": [[list(k), n] for k, n in tshark_streams(path).items()],
                  "types": [[list(k), sorted(t)] for k, t in tshark_payload_types(path).items()]}
        if cache:
            cache.set(key, cached)
    return ({tuple(k): n for k, n in cached["flows"]}, {tuple(k): set(t) for k, t in cached["types"]})


@pytest.mark.oracle
@pytest.mark.parametrize("path", _corpus_captures())
def test_same_rtp_flows_as_tshark(path: Path, request, tshark_version):
    flows, types = tshark_rtp(request, path, tshark_version)
    summary = read_summary(path)
    assert summary.rtp_flows == flows
    assert summary.rtp_payload_types == types
    assert summary.rtp_untracked_packets == 0


# -- named real captures (no tshark needed) ----------------------------------------------------------


def test_g711_call_both_legs_of_the_b2bua():
    summary = read_summary(corpus_file("public/SIP_CALL_RTP_G711_register_invite.pcap"))
    assert summary.rtp_flows == {
        # the 200.57.7.196 B2BUA's leg towards 200.57.7.204 (tshark decodes it through the SDP)
        ("200.57.7.196", 40376, "200.57.7.204", 8000): 891,
        ("200.57.7.204", 8000, "200.57.7.196", 40376): 548,
        # the same audio relayed on its leg towards 200.57.7.199 (no SDP for it in the capture)
        ("200.57.7.199", 4800, "200.57.7.196", 40378): 891,
        ("200.57.7.196", 40378, "200.57.7.199", 4800): 548,
        ("200.57.7.202", 30000, "200.57.7.196", 40362): 6,
    }
    assert all(types == {8} for types in summary.rtp_payload_types.values())  # PCMA only


def test_fax_reinvite_refused_keeps_audio():
    # The re-INVITE to T.38 is refused (488); 10.35.60.100 keeps sending PCMA RTP on the same
    # port. tshark with its defaults decodes those 2010 packets as T.38 because the re-INVITE's
    # SDP said so, and lists only 1838 RTP packets for that direction.
    summary = read_summary(corpus_file("public/fax_t38_reinvite_488_options.pcap"))
    assert summary.rtp_flows == {
        ("10.35.60.100", 15580, "10.23.1.52", 16756): 1838 + 2010,
        ("10.23.1.52", 16756, "10.35.60.100", 15580): 3147,
    }
    assert summary.rtp_payload_types[("10.35.60.100", 15580, "10.23.1.52", 16756)] == {8, 102}


# -- edge cases on small synthetic captures -----------------------------------------------------


def _ip_udp(src: str, sport: int, dst: str, dport: int, payload: bytes) -> bytes:
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0x4000, 64, 17, 0,
                       socket.inet_aton(src), socket.inet_aton(dst)) + udp


def _rtp(pt: int, seq: int = 1, marker: bool = False, size: int = 160) -> bytes:
    return struct.pack("!BBHII", 0x80, pt | (0x80 if marker else 0), seq, seq * 160, 0x1234) + bytes(size)


def _write_pcap(path: Path, packets: list[bytes]) -> Path:
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 228)]  # LINKTYPE_IPV4
    for n, pkt in enumerate(packets):
        out.append(struct.pack("<IIII", 1_700_000_000 + n, 0, len(pkt), len(pkt)) + pkt)
    path.write_bytes(b"".join(out))
    return path


A, B = "192.0.2.10", "198.51.100.20"
REGISTER = (b"REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK1\r\n"
            b"From: <sip:a@example.com>;tag=1\r\nTo: <sip:a@example.com>\r\nCall-ID: rtp-test\r\n"
            b"CSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n")


def test_what_counts_as_rtp(tmp_path):
    packets = [
        _ip_udp(A, 5060, B, 5060, REGISTER),
        _ip_udp(A, 4000, B, 5000, _rtp(0)),
        _ip_udp(A, 4000, B, 5000, _rtp(0, 2, marker=True)),  # marker bit set: still PCMU, not RTCP
        _ip_udp(A, 4000, B, 5000, _rtp(101, 3)),  # telephone-event
        _ip_udp(B, 5000, A, 4000, _rtp(8, size=0)),  # header only: 12 bytes is enough
        _ip_udp(A, 4001, B, 5001, bytes([0x80, 200]) + bytes(26)),  # RTCP sender report
        _ip_udp(A, 4001, B, 5001, bytes([0x81, 0xCA]) + bytes(22)),  # RTCP SDES (202 = 0xCA)
        _ip_udp(A, 4002, B, 5002, bytes([0x40, 0]) + bytes(20)),  # version 1
        _ip_udp(A, 4002, B, 5002, bytes([0x00, 0x01]) + bytes(18)),  # STUN binding request
        _ip_udp(A, 4003, B, 5003, bytes([0x80, 0]) + bytes(9)),  # 11 bytes: too short
        _ip_udp(A, 40000, B, 53, bytes([0x85, 0x3C]) + bytes(30)),  # DNS query whose ID looks like RTP
    ]
    summary = read_summary(_write_pcap(tmp_path / "rtp.pcap", packets))
    assert summary.rtp_flows == {(A, 4000, B, 5000): 3, (B, 5000, A, 4000): 1}
    assert summary.rtp_payload_types == {(A, 4000, B, 5000): {0, 101}, (B, 5000, A, 4000): {8}}
    assert summary.rtp_untracked_packets == 0
    assert summary.packets == len(packets)


def test_rtp_is_counted_not_delivered_and_sip_still_is(tmp_path):
    packets = [_ip_udp(A, 5060, B, 5060, REGISTER), _ip_udp(A, 4000, B, 5000, _rtp(0))]
    path = _write_pcap(tmp_path / "mixed.pcap", packets)
    source, items = read_messages(str(path))
    messages = [i for i in items if isinstance(i, SipMessage)]
    assert [m.call_id for m in messages] == ["rtp-test"]
    assert source.summary.rtp_flows == {(A, 4000, B, 5000): 1}
    # Without a filter the reader delivers every datagram, RTP included, and still counts it.
    reader = open_input(str(path))
    assert [f.payload[:1] for f in reader] == [b"R", b"\x80"]
    assert reader.summary.rtp_flows == {(A, 4000, B, 5000): 1}


def test_flow_limit_counts_the_rest_together_and_warns_once(tmp_path, monkeypatch):
    monkeypatch.setattr(capture, "MAX_RTP_FLOWS", 3)
    packets = [_ip_udp(A, 4000 + 2 * i, B, 5000, _rtp(0, i)) for i in range(6)]
    packets += [_ip_udp(A, 4000, B, 5000, _rtp(0, 9)), _ip_udp(A, 4010, B, 5000, _rtp(0, 10))]
    summary = read_summary(_write_pcap(tmp_path / "many.pcap", packets))
    assert summary.rtp_flows == {(A, 4000, B, 5000): 2, (A, 4002, B, 5000): 1, (A, 4004, B, 5000): 1}
    assert summary.rtp_untracked_packets == 4
    warnings = [w for w in summary.warnings if "RTP" in w.text]
    assert len(warnings) == 1
    assert warnings[0].origin.frame == 4 and "4 RTP packets" in warnings[0].text
