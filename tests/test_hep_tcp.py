"""HEP3 over TCP: an agent (heplify `-nt tcp`, Kamailio siptrace over TCP) writes HEP3 messages
back to back on one connection to the collector, and TCP splits and coalesces them as it likes.

The copies here are built from bundled lab captures: every SIP message of the original is wrapped
in HEP3 (with its own addresses, ports, transport and time) and written on one TCP connection
from an agent at 10.0.0.9 to a collector at 10.0.0.1:9061, cut into segments that split
messages (the first segment is 5 bytes, too few to tell what the stream carries), put several
in one, and arrive once retransmitted and once out of order. The reader must give back the
original messages — start lines, addresses, ports, transports and the agent's times — and the
analysis the same findings, on both cores.
"""

from __future__ import annotations

import socket
import struct
from pathlib import Path

import pytest
from conftest import SAMPLES
from test_hep import WIRE_ONLY, _conclusions, _messages

from sipdiag.dissect import read_messages
from sipdiag.sip.message import SipMessage
from sipdiag.sources.hep import Hep3Stream, starts_hep3_stream

LAB = SAMPLES / "lab"
AGENT, COLLECTOR = "10.0.0.9", "10.0.0.1"
SPORT, DPORT = 47000, 9061


def hep3(src: str, dst: str, sport: int, dport: int, t: float, payload: bytes, proto: int = 17) -> bytes:
    sec, usec = int(t), round((t - int(t)) * 1e6)
    chunks = [(1, b"\x02"), (2, bytes([proto])), (3, socket.inet_aton(src)), (4, socket.inet_aton(dst)),
              (7, struct.pack("!H", sport)), (8, struct.pack("!H", dport)), (9, struct.pack("!I", sec)),
              (10, struct.pack("!I", usec)), (11, b"\x01"), (12, struct.pack("!I", 2001)),
              (14, b"agent-secret"), (15, payload)]
    body = b"".join(struct.pack("!HHH", 0, kind, 6 + len(value)) + value for kind, value in chunks)
    return b"HEP3" + struct.pack("!H", 6 + len(body)) + body


def _tcp_frame(seq: int, flags: int, payload: bytes, ident: int) -> bytes:
    tcp = struct.pack("!HHIIBBHHH", SPORT, DPORT, seq & 0xFFFFFFFF, 1, 5 << 4, flags, 65535, 0, 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), ident & 0xFFFF, 0, 64, 6, 0,
                     socket.inet_aton(AGENT), socket.inet_aton(COLLECTOR))
    return b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x08\x00" + ip + tcp


SIZES = (1, 7, 60, 300, 900, 2500, 3000, 40)


def cut(stream: bytes) -> list[tuple[int, bytes]]:
    """(offset, bytes) segments: a 5-byte first one, then pieces of 1 to 3,000 bytes in turn, so
    that some messages are split over several segments and some segments hold several."""
    out, pos, i = [(0, stream[:5])], 5, 0
    while pos < len(stream):
        n = SIZES[i % len(SIZES)]
        out.append((pos, stream[pos:pos + n]))
        pos, i = pos + n, i + 1
    return out


def hep_tcp_copy(original: Path, out: Path, midway: bool = False) -> tuple[list[SipMessage], list[int], list[int]]:
    """Write `out`: every SIP message of `original` in HEP3, on one TCP connection agent → collector."""
    _source, items = read_messages(str(original))
    messages = [m for m in items if isinstance(m, SipMessage)]
    stream, ends = b"", []
    for m in messages:
        stream += hep3(m.src.ip, m.dst.ip, m.src.port, m.dst.port, m.time, m.raw,
                       6 if m.transport == "TCP" else 17)
        ends.append((len(stream), m.time))
    segments = cut(stream)
    if midway:  # picked up at the first segment that starts inside a message and holds the next one's start
        starts = [0] + [end for end, _t in ends[:-1]]
        first = next(i for i, (o, d) in enumerate(segments)
                     if o not in starts and any(o < b < o + len(d) for b in starts))
        segments = segments[first:]
    isn = 1000

    def when(offset: int) -> float:  # the collector receives a byte after the agent saw its message
        return next((t for end, t in ends if end > offset), ends[-1][1]) + 0.5

    packets: list[tuple[float, bytes]] = []
    if not midway:
        packets.append((ends[0][1] + 0.4, _tcp_frame(isn, 0x02, b"", 0)))
    order = list(range(len(segments)))
    if not midway:
        assert len(order) >= 5
        order[2], order[3] = order[3], order[2]  # one pair out of order
        order.insert(4, order[1])                # and one segment retransmitted
    for n, i in enumerate(order, 1):
        offset, data = segments[i]
        packets.append((when(offset + len(data) - 1), _tcp_frame(isn + 1 + offset, 0x18, data, n)))
    packets.append((packets[-1][0] + 0.01, _tcp_frame(isn + 1 + len(stream), 0x11, b"", len(order) + 1)))
    records = []
    for t, frame in packets:
        sec = int(t)
        records.append(struct.pack("<IIII", sec, round((t - sec) * 1e6), len(frame), len(frame)) + frame)
    out.write_bytes(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1) + b"".join(records))
    return messages, [end for end, _t in ends], [offset for offset, _d in segments]


SAMPLES_TCP = ["ast-01-aor-404.pcap", "lab-06a-call-rejected-486.pcap",
               "lab-09-udp-big-invite-ip-fragmented.pcap", "lab-08a-tcp-register-call-segmented-invite.pcap"]


@pytest.mark.parametrize("pure", [False, True], ids=["default-core", "pure"])
@pytest.mark.parametrize("name", SAMPLES_TCP)
def test_hep3_over_tcp_gives_the_original_messages_and_findings(name, pure, tmp_path, monkeypatch):
    if pure:
        monkeypatch.setenv("SIPDIAG_PURE", "1")
    copy = tmp_path / f"hep-tcp-{name}"
    hep_tcp_copy(LAB / name, copy)
    original = _messages(LAB / name)
    assert len(original) >= 4
    assert _messages(copy) == original
    # two messages that arrive in one segment share its frame number, so findings resting on
    # that frame may be listed in another order: the same findings, verdict and hosts
    (found, verdict, hosts), (want, want_verdict, want_hosts) = _conclusions(copy), _conclusions(LAB / name)
    assert (sorted(found), verdict, hosts) == (sorted(want), want_verdict, want_hosts)
    source, items = read_messages(str(copy))
    carried = [m for m in items if isinstance(m, SipMessage)]
    assert {m.tunnel for m in carried} == {"HEP3"}
    assert {m.src.ip for m in carried}.isdisjoint({AGENT, COLLECTOR})
    assert not [w for w in source.summary.warnings if "HEP" in w.text]
    assert source.summary.facts.get("tcp_retransmissions") and source.summary.facts.get("tcp_out_of_order")


@pytest.mark.parametrize("name", SAMPLES_TCP)
def test_the_copies_are_made_the_way_the_test_says(name, tmp_path):
    """The segments really split messages and coalesce others (else the test above proves little)."""
    _messages_, ends, starts = hep_tcp_copy(LAB / name, tmp_path / "copy.pcap")
    boundaries = [0] + ends[:-1]
    inside = [sum(1 for b in boundaries if start < b < nxt) for start, nxt in zip(starts, starts[1:] + [ends[-1]])]
    assert max(inside) >= 2, "a segment holds the starts of two messages"
    assert any(sum(1 for s in starts if b < s < e) >= 2 for b, e in zip(boundaries, ends)), "a message spans 3 segments"


@pytest.mark.parametrize("pure", [False, True], ids=["default-core", "pure"])
def test_a_connection_picked_up_midway_loses_only_what_came_before(pure, tmp_path, monkeypatch):
    if pure:
        monkeypatch.setenv("SIPDIAG_PURE", "1")
    copy = tmp_path / "midway.pcap"
    _m, ends, starts = hep_tcp_copy(LAB / "lab-06a-call-rejected-486.pcap", copy, midway=True)
    lost = sum(1 for end in ends if end <= starts[0]) + 1  # those before the pick-up, and the one it cuts
    assert lost >= 1
    assert _messages(copy) == _messages(LAB / "lab-06a-call-rejected-486.pcap")[lost:]


def test_hep3_stream_framer_byte_by_byte_with_garbage_and_a_hole():
    one = hep3("192.0.2.1", "192.0.2.2", 5060, 5060, 10.0, b"OPTIONS sip:a SIP/2.0\r\n\r\n")
    two = hep3("192.0.2.2", "192.0.2.1", 5060, 5060, 10.1, b"SIP/2.0 200 OK\r\n\r\n")
    assert starts_hep3_stream(one) and starts_hep3_stream(b"xx" + one) and not starts_hep3_stream(b"HEP3 is a word")
    # whole, one byte at a time, and with trailing data: the same messages
    framer = Hep3Stream()
    assert framer.feed(one + two) == ([one, two], [])
    framer = Hep3Stream()
    got = [m for b in one + two for m in framer.feed(bytes([b]))[0]]
    assert got == [one, two] and framer.finish() is None
    framer = Hep3Stream()
    assert framer.feed(one + two[:10])[0] == [one]
    assert framer.finish() == f"HEP3 stream ends inside a message (10 of {len(two)} bytes)"
    # bytes that are not HEP3 between messages: skipped, said, and the next message is found
    framer = Hep3Stream()
    messages, problems = framer.feed(one + b"garbage!" + two)
    assert messages == [one, two] and problems == ["8 bytes that are not HEP3 skipped in a HEP3 stream"]
    # a hole in the middle of a message: the rest of it is dropped without a word, the next one found
    framer = Hep3Stream()
    assert framer.feed(one[:30]) == ([], [])
    messages, problems = framer.feed(one[50:] + two, gap_before=True)
    assert messages == [two] and "a message of which 30 bytes were seen is lost" in problems[0]
    # a header whose length is impossible: resynchronised at the next one
    framer = Hep3Stream()
    messages, problems = framer.feed(b"HEP3\x00\x02" + two)
    assert messages == [two] and "damaged HEP3 header" in problems[0]


def test_a_damaged_message_in_a_hep3_stream_is_a_warning(tmp_path):
    copy = tmp_path / "damaged.pcap"
    original = LAB / "ast-01-aor-404.pcap"
    hep_tcp_copy(original, copy)
    data = bytearray(copy.read_bytes())
    at = data.find(b"\x00\x00\x00\x0f")  # the first payload chunk header: claim it runs past the message
    data[at + 4:at + 6] = b"\xff\xf0"
    copy.write_bytes(bytes(data))
    source, items = read_messages(str(copy))
    messages = [m for m in items if isinstance(m, SipMessage)]
    assert len(messages) == len(_messages(original)) - 1
    assert any("damaged HEP3 chunk (type 15" in w.text for w in source.summary.warnings)
    assert WIRE_ONLY  # the same wire-only findings are left out of the comparison as for HEP over UDP
