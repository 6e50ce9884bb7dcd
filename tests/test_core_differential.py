"""The compiled capture core and its pure-Python twin give the same output, record for record.

Every capture is read twice, once with `SIPDIAG_PURE=1` and once with the compiled scanner
(`sipdiag._core`), and the two results are compared in full: every `Frame` (all fields, the
time as its exact bits) and the `InputSummary` (format, packets, link types, first and last
time, every warning in order, facts in order, RTP directions in order with their counts and
payload types). Inputs: the bundled samples, the shared corpus when present, generated busy
captures, hand-made captures that mix the scanner's fast path with records only Python
decodes, and hypothesis-mutated (truncated, bit-flipped, overwritten, gzip'd) small samples,
read in odd-sized chunks. Both filter modes are compared: all datagrams (no filter) and the
SIP sniff that `dissect` sets, which the scanner applies itself.

Skipped, with the reason, when the compiled core is not built; CI (.ci/run) fails in that case.
"""

from __future__ import annotations

import gzip
import importlib.util
import os
import socket
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from busy_capture import write_busy_capture
from conftest import CORPUS, REPO, SAMPLES
from sipdiag import __version__
from sipdiag.errors import InputError
from sipdiag.sip.framing import looks_like_sip
from sipdiag.sources import capture, core, open_input

compiled = core._compiled
pytestmark = pytest.mark.skipif(compiled is None, reason="compiled core (sipdiag._core) not built: no Rust toolchain at install")


def _capture_files(base: Path) -> list[Path]:
    if not base.is_dir():
        return []
    out = []
    for p in sorted(base.rglob("*")):
        if not p.is_file() or p.stat().st_size > 50_000_000:
            continue
        with open(p, "rb") as fh:
            head = fh.read(4)
        if head[:2] == b"\x1f\x8b" or capture.is_capture(head):
            out.append(p)
    return out


BUNDLED = _capture_files(SAMPLES)
CORPUS_CAPTURES = _capture_files(CORPUS)


def _time(t: float | None):
    return None if t is None else t.hex()


def _snapshot(path: Path | str, pure: bool, keep, chunk: int | None = None, monkeypatch=None):
    """Everything the reader produces for `path` on one core, in comparable form."""
    old = os.environ.get("SIPDIAG_PURE")
    os.environ["SIPDIAG_PURE"] = "1" if pure else "0"
    saved_chunk = capture.READ_CHUNK
    if chunk is not None:
        capture.READ_CHUNK = chunk
    try:
        try:
            reader = open_input(str(path))
        except InputError as exc:
            return ("InputError", str(exc))
        reader.datagram_filter = keep
        try:
            frames = [
                (f.origin, _time(f.time), f.src, f.dst, f.transport, f.payload, f.stream, f.gap_before,
                 f.end_of_stream, f.ip_fragments, f.tunnel, f.whole_message, f.direction)
                for f in reader
            ]
        except InputError as exc:  # damaged before the first packet: nothing could be read
            s = reader.summary
            return ("InputError", str(exc), [(w.origin, w.text, w.loss) for w in s.warnings])
        assert reader.core == ("pure-python" if pure else "rust")
        s = reader.summary
        summary = (
            s.format, s.packets, sorted(s.link_types), _time(s.first_time), _time(s.last_time),
            [(w.origin, w.text, w.loss) for w in s.warnings], list(s.facts.items()), list(s.rtp_flows.items()),
            [(k, sorted(v)) for k, v in s.rtp_payload_types.items()], s.rtp_untracked_packets,
        )
        return frames, summary
    finally:
        capture.READ_CHUNK = saved_chunk
        if old is None:
            os.environ.pop("SIPDIAG_PURE", None)
        else:
            os.environ["SIPDIAG_PURE"] = old


def assert_same(path, chunk: int | None = None) -> None:
    for keep in (looks_like_sip, None):
        pure = _snapshot(path, True, keep)
        fast = _snapshot(path, False, keep, chunk)
        if pure != fast and isinstance(pure, tuple) and len(pure) == 2 and isinstance(pure[0], list):
            # say where they part, not just that they do
            for i, (a, b) in enumerate(zip(pure[0], fast[0])):
                assert a == b, f"{path}: frame {i} differs (filter {keep})"
            assert len(pure[0]) == len(fast[0]), f"{path}: frame counts differ"
            for a, b, what in zip(pure[1], fast[1], ("format", "packets", "link types", "first time", "last time",
                                                     "warnings", "facts", "rtp flows", "rtp types", "rtp untracked")):
                assert a == b, f"{path}: summary {what} differs"
        assert pure == fast, f"{path} (filter {keep})"


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: str(p.relative_to(SAMPLES)))
def test_bundled_samples(path):
    assert_same(path)


@pytest.mark.parametrize("path", BUNDLED[:40], ids=lambda p: str(p.relative_to(SAMPLES)))
def test_bundled_samples_in_tiny_chunks(path):
    """The scanner's buffering: records split across every kind of chunk boundary."""
    if path.stat().st_size > 200_000:
        pytest.skip("big file: 7-byte chunks would take long")
    assert_same(path, chunk=7)


@pytest.mark.skipif(not CORPUS_CAPTURES, reason=f"no corpus captures under {CORPUS} (set SIPDIAG_CORPUS)")
@pytest.mark.parametrize("path", CORPUS_CAPTURES, ids=lambda p: str(p.relative_to(CORPUS)))
def test_corpus_captures(path):
    assert_same(path)


def test_busy_generated_capture(tmp_path):
    path = tmp_path / "busy.pcap"
    write_busy_capture(path, 2000, seed=7)
    assert_same(path)


def test_benchmark_traffic(tmp_path):
    """The benchmark's PBX traffic: RTP, RTCP, SIP over UDP and TCP, HTTP noise, IP fragments."""
    spec = importlib.util.spec_from_file_location("bench_reader", REPO / "tests" / "benchmark" / "bench_reader.py")
    bench = importlib.util.module_from_spec(spec)
    sys.modules["bench_reader"] = bench
    spec.loader.exec_module(bench)
    path, truth = bench.capture_for(tmp_path, 20_000)
    assert_same(path)
    assert_same(path, chunk=4093)


# -- messages: the datagrams the compiled core reads whole (event 5) ---------------------------

def _slots(msg) -> dict:
    """Every slot of a message as dissect hands it on, but the views parsed so far (a cache:
    how many depends on what the core's parser had learnt before, e.g. in an earlier test)."""
    from sipdiag.sip.message import SipMessage

    out = {name: getattr(msg, name) for name in SipMessage.__slots__ if name != "_views"}
    out["_file"] = None if msg._file is None else msg._file.path
    out["_index"] = None if msg._index is None else list(msg._index)
    return out


def _items(path: Path, pure: bool, plain: bool = True, monkeypatch=None) -> list:
    """What `read_messages` gives for `path` on one core (`plain`: with event 5): messages as
    their slots, with the bytes and header index read back, other items as they are."""
    from sipdiag import dissect
    from sipdiag.sip.message import SipMessage

    monkeypatch.setenv("SIPDIAG_PURE", "1" if pure else "0")
    with monkeypatch.context() as m:
        if not plain:
            m.setattr(dissect, "plain_messages", lambda raw_file: None)
        try:
            _source, items = dissect.read_messages(str(path))
            out = []
            for item in items:
                if type(item) is not SipMessage:
                    out.append(item)
                    continue
                body_at, index, folded = item.layout()
                out.append((_slots(item), item.raw, list(index), body_at, folded, item.digest))
            return out
        except InputError as exc:
            return [("InputError", str(exc))]


def assert_same_messages(path: Path, monkeypatch) -> None:
    """Event 5 makes, slot for slot, the message the general path makes of the same datagram
    (compiled core with and without it), and the pure core makes the same messages. The file is
    read once before, so that the core's parser knows every header name in it either way (a
    name it meets first goes the general way, and is learnt)."""
    _items(path, pure=False, plain=False, monkeypatch=monkeypatch)
    fast = _items(path, pure=False, monkeypatch=monkeypatch)
    general = _items(path, pure=False, plain=False, monkeypatch=monkeypatch)
    assert len(fast) == len(general), path
    for i, (a, b) in enumerate(zip(fast, general)):
        assert a == b, f"{path}: item {i} differs with event 5"
    pure = _items(path, pure=True, monkeypatch=monkeypatch)
    assert len(fast) == len(pure), path
    for i, (a, b) in enumerate(zip(fast, pure)):
        if type(a) is tuple and type(a[0]) is dict and type(b) is tuple and type(b[0]) is dict:
            # where the bytes and the header index are kept may differ (the pure core keeps the
            # index, slow to find again; a record only Python decodes keeps its bytes): what
            # they are is compared (raw, index, digest), not where they are
            a, b = (_without(a[0], STORAGE), *a[1:]), (_without(b[0], STORAGE), *b[1:])
        assert a == b, f"{path}: item {i} differs between the cores"


STORAGE = ("_raw", "_file", "_at", "_sum", "_index")


def _without(slots: dict, names: tuple) -> dict:
    return {k: v for k, v in slots.items() if k not in names}


def _left_in(items: list) -> int:
    return sum(1 for item in items if type(item) is tuple and type(item[0]) is dict and item[0]["_raw"] is None)


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: str(p.relative_to(SAMPLES)))
def test_bundled_messages(path, monkeypatch):
    assert_same_messages(path, monkeypatch)


@pytest.mark.skipif(not CORPUS_CAPTURES, reason=f"no corpus captures under {CORPUS} (set SIPDIAG_CORPUS)")
@pytest.mark.parametrize("path", CORPUS_CAPTURES, ids=lambda p: str(p.relative_to(CORPUS)))
def test_corpus_messages(path, monkeypatch):
    assert_same_messages(path, monkeypatch)


def test_busy_capture_messages(tmp_path, monkeypatch):
    """Most datagrams of a busy capture go by event 5, and give the same messages."""
    from sipdiag import dissect

    path = tmp_path / "busy.pcap"
    write_busy_capture(path, 2000, seed=11)
    assert_same_messages(path, monkeypatch)
    made = []
    with monkeypatch.context() as m:
        real = dissect.plain_messages

        def counting(raw_file):
            parser, make = real(raw_file)
            return parser, lambda *args: made.append(1) or make(*args)

        m.setattr(dissect, "plain_messages", counting)
        monkeypatch.setenv("SIPDIAG_PURE", "0")
        items = _items(path, pure=False, monkeypatch=monkeypatch)
    assert len(made) > 0.8 * _left_in(items) > 1000


# -- hand-made captures: the fast path and Python's decoder interleaved -----------------------

def _ip4(ip: str) -> bytes:
    return socket.inet_aton(ip)


def _ipv4(proto: int, src: str, dst: str, l4: bytes, frag: int = 0, ident: int = 1) -> bytes:
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), ident, frag, 64, proto, 0, _ip4(src), _ip4(dst)) + l4


def _ipv6(nxt: int, src: str, dst: str, l4: bytes) -> bytes:
    return struct.pack("!IHBB16s16s", 0x60000000, len(l4), nxt, 64, socket.inet_pton(socket.AF_INET6, src),
                       socket.inet_pton(socket.AF_INET6, dst)) + l4


def _udp(sport: int, dport: int, body: bytes) -> bytes:
    return struct.pack("!HHHH", sport, dport, 8 + len(body), 0) + body


def _tcp(sport: int, dport: int, seq: int, flags: int, body: bytes, ack: int = 0) -> bytes:
    return struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 0x50, flags, 65535, 0, 0) + body


def _eth(payload: bytes, ethertype: int = 0x0800) -> bytes:
    return b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02" + struct.pack("!H", ethertype) + payload


def _gre(inner_ip: bytes) -> bytes:
    return struct.pack("!HH", 0, 0x0800) + inner_ip


def _rtp(pt: int, seq: int) -> bytes:
    return struct.pack("!BBHII", 0x80, pt, seq, seq * 160, 0x1234) + b"\xd5" * 160


def _pcap(frames: list[bytes], linktype: int = 1) -> bytes:
    out = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, linktype)
    for i, f in enumerate(frames):
        out += struct.pack("<IIII", 1_700_000_000 + i, i * 1117, len(f), len(f)) + f
    return out


SIP = (b"OPTIONS sip:pbx.example.com SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n"
       b"Call-ID: a@b\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n")


def _mixed_frames() -> list[bytes]:
    """RTP plain and inside GRE (Python decodes it), fragments, v6, TCP, damage, in one order."""
    frames = []
    for i in range(6):
        frames.append(_eth(_ipv4(17, "192.0.2.1", "192.0.2.2", _udp(20000 + 2 * (i % 3), 30000, _rtp(i % 2, i)))))
        frames.append(_eth(_ipv4(47, "198.51.100.1", "198.51.100.2",
                                 _gre(_ipv4(17, "203.0.113.1", "203.0.113.2", _udp(40000 + 2 * i, 50000, _rtp(8, i)))))))
    frames.append(_eth(_ipv6(17, "2001:db8::1", "::ffff:192.0.2.9", _udp(5060, 5060, SIP)), 0x86DD))
    frames.append(_eth(_ipv6(17, "::192.0.2.8", "2001:db8::1", _udp(5060, 5060, SIP)), 0x86DD))
    big = _udp(5060, 5060, SIP + b"x" * 1500)
    frames.append(_eth(_ipv4(17, "192.0.2.3", "192.0.2.4", big[:1480], frag=0x2000, ident=9)))
    frames.append(_eth(_ipv4(17, "192.0.2.3", "192.0.2.4", big[1480:], frag=1480 // 8, ident=9)))
    frames.append(_eth(_ipv4(6, "192.0.2.5", "192.0.2.6", _tcp(40000, 5060, 100, 0x02, b""))))
    frames.append(_eth(_ipv4(6, "192.0.2.5", "192.0.2.6", _tcp(40000, 5060, 101, 0x18, SIP[:40]))))
    frames.append(_eth(_ipv4(6, "192.0.2.5", "192.0.2.6", _tcp(40000, 5060, 141, 0x18, SIP[40:]))))
    frames.append(_eth(_ipv4(17, "192.0.2.1", "192.0.2.2", _udp(5060, 5060, SIP))[:30]))  # cut by snaplen
    frames.append(_eth(b"\x00" * 10, 0x0806))  # ARP
    frames.append(b"\x00" * 5)  # a runt
    frames.append(_eth(_ipv4(17, "192.0.2.1", "192.0.2.2", _udp(5060, 5060, b"\r\n\r\n"))))
    frames.append(_eth(_ipv4(17, "192.0.2.1", "192.0.2.2", _udp(5060, 5060, SIP))))
    return frames


def test_mixed_fast_and_python_records(tmp_path):
    path = tmp_path / "mixed.pcap"
    path.write_bytes(_pcap(_mixed_frames()))
    assert_same(path)
    assert_same(path, chunk=3)


def test_rtp_directions_beyond_the_bound_across_both_decoders(tmp_path, monkeypatch):
    monkeypatch.setattr(capture, "MAX_RTP_FLOWS", 3)
    path = tmp_path / "many-flows.pcap"
    path.write_bytes(_pcap(_mixed_frames()))
    assert_same(path)
    _, summary = _snapshot(path, False, None)
    assert summary[-1] > 0, "some RTP was counted untracked"


def test_unsupported_link_type_and_pcapng_time_resolutions(tmp_path):
    def block(btype: int, body: bytes) -> bytes:
        body += b"\x00" * (-len(body) % 4)
        return struct.pack("<II", btype, 12 + len(body)) + body + struct.pack("<I", 12 + len(body))

    def idb(linktype: int, tsresol: int | None, offset: int | None = None) -> bytes:
        opts = b""
        if tsresol is not None:
            opts += struct.pack("<HHB3x", 9, 1, tsresol)
        if offset is not None:
            opts += struct.pack("<HHq", 14, 8, offset)
        return block(1, struct.pack("<HHI", linktype, 0, 0) + opts + (b"\x00" * 4 if opts else b""))

    def epb(if_id: int, ticks: int, frame: bytes) -> bytes:
        return block(6, struct.pack("<IIIII", if_id, ticks >> 32, ticks & 0xFFFFFFFF, len(frame), len(frame)) + frame)

    ip = _ipv4(17, "192.0.2.1", "192.0.2.2", _udp(5060, 5060, SIP))
    shb = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    data = shb + idb(101, 9) + idb(147, None) + idb(101, 0x80 | 100) + idb(101, 25, offset=-5) + idb(1, 6, 1 << 40)
    data += epb(0, 1_700_000_000_123_456_789, ip) + epb(1, 5, ip) + epb(2, 1 << 63, ip) + epb(3, (1 << 64) - 1, ip)
    data += epb(4, 1_700_000_000_999_999, _eth(ip)) + epb(9, 1, ip) + block(3, struct.pack("<I", len(ip)) + ip)
    path = tmp_path / "resolutions.pcapng"
    path.write_bytes(data)
    assert_same(path)


# -- mutated inputs -----------------------------------------------------------------------------

SMALL = sorted(p for p in (SAMPLES / "synthetic").iterdir()
               if p.suffix in (".pcap", ".pcapng") and p.stat().st_size < 8000)
SEEDS = {p.name: p.read_bytes() for p in SMALL}


@st.composite
def mutated(draw):
    data = bytearray(SEEDS[draw(st.sampled_from(sorted(SEEDS)))])
    for _ in range(draw(st.integers(1, 6))):
        if len(data) < 8:
            break
        i = draw(st.integers(4, len(data) - 1))
        op = draw(st.sampled_from(["flip", "flip", "overwrite", "delete", "cut", "length"]))
        if op == "flip":
            data[i] ^= 1 << draw(st.integers(0, 7))
        elif op == "overwrite":
            data[i : i + 4] = draw(st.binary(min_size=1, max_size=4))
        elif op == "delete":
            del data[i : i + draw(st.integers(1, 64))]
        elif op == "cut":
            del data[i:]
        else:
            data[i : i + 4] = struct.pack("<I", draw(st.sampled_from([0, 1, 12, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF])))
    packed = draw(st.sampled_from(["plain", "plain", "gzip", "gzip-cut"]))
    if packed == "plain":
        return bytes(data)
    z = gzip.compress(bytes(data), mtime=0)
    return z if packed == "gzip" else z[: draw(st.integers(10, len(z)))]


@settings(max_examples=int(os.environ.get("SIPDIAG_DIFF_EXAMPLES", "250")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(data=mutated(), chunk=st.sampled_from([None, 1, 5, 64]))
def test_mutated_samples(tmp_path, data, chunk):
    path = tmp_path / ("m.pcap.gz" if data[:2] == b"\x1f\x8b" else "m.pcap")
    path.write_bytes(data)
    assert_same(path, chunk=chunk)


# -- generated packets: every header field the fast path reads, right, wrong and cut ---------------

def _mostly(right, *wrong):
    """The right value most of the time, sometimes one of the wrong ones."""
    return st.sampled_from([right] * (2 * len(wrong) + 2) + list(wrong))


_PORTS = st.sampled_from([5060, 5061, 4789, 53, 1023, 1024, 10000, 20002])
_BODIES = st.sampled_from([SIP, b"SIP/2.0 200 OK\r\n\r\n", _rtp(0, 1), _rtp(8, 2)[:12], _rtp(0x80 | 101, 3),
                           b"\x81\xc8" + b"\x00" * 26, b"", b"\r\n\r\n", b"\x08\x00\x00\x00\x00\x00\x01\x00"
                           + _eth(_ipv4(17, "10.0.0.1", "10.0.0.2", _udp(5060, 5060, SIP)))])


@st.composite
def _l4(draw, proto: int) -> bytes:
    body = draw(_BODIES)
    if proto == 17:
        ulen = draw(_mostly(8 + len(body), 0, 7, 8, 8 + len(body) + 9))
        return struct.pack("!HHHH", draw(_PORTS), draw(_PORTS), ulen & 0xFFFF, 0) + body
    if proto == 6:
        doff = draw(_mostly(5, 6, 4, 15))
        return (struct.pack("!HHIIBBHHH", draw(_PORTS), draw(_PORTS), draw(st.integers(0, 2**32 - 1)), 0,
                            doff << 4, draw(st.sampled_from([0x02, 0x10, 0x18, 0x11, 0x04, 0x12])), 65535, 0, 0)
                + b"\x01" * (4 * max(doff - 5, 0)) + body)
    return draw(st.binary(max_size=40))


@st.composite
def _ip(draw) -> bytes:
    proto = draw(st.sampled_from([17] * 6 + [6] * 4 + [1, 4, 41, 47, 132, 58]))
    l4 = draw(_l4(proto))
    if draw(st.integers(0, 3)):
        opts = b"\x01" * (4 * draw(st.sampled_from([0, 0, 1, 10])))
        total = draw(_mostly(20 + len(opts) + len(l4), 0, 19, 20 + len(opts) + len(l4) + 5))
        ihl = draw(_mostly(5 + len(opts) // 4, 4, 15))
        frag = draw(_mostly(0, 0x4000, 0x2000, 0x0001))
        return struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, total & 0xFFFF, 1, frag, 64, proto, 0,
                           _ip4("192.0.2.1"), _ip4(draw(st.sampled_from(["192.0.2.2", "0.0.0.0"])))) + opts + l4
    nxt = draw(_mostly(proto, 0, 44, 60))
    plen = draw(_mostly(len(l4), 0, len(l4) + 3))
    src = draw(st.sampled_from(["2001:db8::1", "::ffff:192.0.2.1", "::1", "fe80::1:0:0:1"]))
    return struct.pack("!IHBB16s16s", 0x60000000, plen, nxt, 64, socket.inet_pton(socket.AF_INET6, src),
                       socket.inet_pton(socket.AF_INET6, "2001:db8::2")) + l4


@st.composite
def _frame(draw, linktype: int) -> bytes:
    ip = draw(_ip())
    v6 = ip[0] >> 4 == 6
    if linktype == 1:
        tags = b"".join(struct.pack("!HH", 100, t) for t in draw(st.lists(st.sampled_from([0x8100, 0x88A8]), max_size=2)))
        ethertype = draw(_mostly(0x86DD if v6 else 0x0800, 0x8100, 0x0806, 0x05DC, 0x8847, 0x8864))
        if tags:
            first, rest = struct.unpack("!H", tags[2:4])[0], tags[:2] + struct.pack("!H", ethertype) + tags[4:]
            frame = _eth(rest + ip, first)
        else:
            frame = _eth(ip, ethertype)
    elif linktype == 113:
        frame = b"\x00" * 14 + struct.pack("!H", 0x86DD if v6 else 0x0800) + ip
    elif linktype == 276:
        frame = struct.pack("!H", 0x86DD if v6 else 0x0800) + b"\x00" * 18 + ip
    elif linktype in (0, 108):
        family = draw(_mostly(30 if v6 else 2, 24, 28, 10, 7))
        frame = (struct.pack("<I", family) if linktype == 0 and draw(st.booleans()) else struct.pack("!I", family)) + ip
    else:
        frame = ip
    if draw(st.integers(0, 12)) == 0:
        frame = frame[: draw(st.integers(0, len(frame)))]
    return frame


@st.composite
def generated_capture(draw) -> bytes:
    linktype = draw(st.sampled_from([1, 1, 1, 0, 12, 101, 108, 113, 228, 229, 276, 9, 147]))
    frames = draw(st.lists(_frame(linktype), min_size=1, max_size=25))
    kind = draw(st.sampled_from(["le", "be", "nsec", "modified", "pcapng"]))
    if kind == "pcapng":
        def block(btype: int, body: bytes) -> bytes:
            body += b"\x00" * (-len(body) % 4)
            return struct.pack("<II", btype, 12 + len(body)) + body + struct.pack("<I", 12 + len(body))
        out = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
        out += block(1, struct.pack("<HHI", linktype, 0, draw(st.sampled_from([0, 65535, 40]))))
        for i, f in enumerate(frames):
            ticks = 1_700_000_000_000_000 + i * draw(st.integers(0, 10**7))
            if draw(st.integers(0, 5)) == 0:
                out += block(3, struct.pack("<I", len(f)) + f)
            else:
                out += block(6, struct.pack("<IIIII", 0, ticks >> 32, ticks & 0xFFFFFFFF, len(f), len(f)) + f)
        return out
    endian = ">" if kind == "be" else "<"
    magic = {"le": 0xA1B2C3D4, "be": 0xA1B2C3D4, "nsec": 0xA1B23C4D, "modified": 0xA1B2CD34}[kind]
    out = struct.pack(endian + "IHHiIII", magic, 2, 4, 0, 0, 65535, linktype)
    for i, f in enumerate(frames):
        out += struct.pack(endian + "IIII", 1_700_000_000 + i, draw(st.integers(0, 999_999_999)), len(f), len(f) + 4)
        out += (b"\x00" * 8 if kind == "modified" else b"") + f
    return out


@settings(max_examples=int(os.environ.get("SIPDIAG_DIFF_EXAMPLES", "250")), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large])
@given(data=generated_capture(), chunk=st.sampled_from([None, 3, 50]))
def test_generated_packets(tmp_path, data, chunk):
    path = tmp_path / "g.pcap"
    path.write_bytes(data)
    assert_same(path, chunk=chunk)


# -- the pieces ---------------------------------------------------------------------------------

SIPISH = st.lists(st.sampled_from([b"\r", b"\n", b"\r\n", b" ", b"SIP/2.0", b"sip/2.0", b"200", b"2", b"INVITE",
                                   b"x", b"-", b"_", b"\x80", b"\xc8", b"sip:a@b", b"\t", b"1", b"A" * 31,
                                   b"u" * 2047, b"9"]), max_size=12).map(b"".join)


@settings(max_examples=500, deadline=None)
@given(st.one_of(SIPISH, st.binary(max_size=64)))
def test_sniff_is_the_grammar_regex(payload):
    assert compiled.looks_like_sip(payload) == looks_like_sip(payload)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(min_size=4, max_size=4), st.binary(min_size=16, max_size=16),
                 st.lists(st.sampled_from([b"\x00\x00", b"\x00\x01", b"\xff\xff", b"\x12\x34"]), min_size=8,
                          max_size=8).map(b"".join)))
def test_address_text_is_inet_ntop(raw):
    family = socket.AF_INET if len(raw) == 4 else socket.AF_INET6
    assert compiled.ip_text(raw) == socket.inet_ntop(family, raw)


def test_version_names_the_core():
    def version(**env):
        out = subprocess.run([sys.executable, "-m", "sipdiag", "--version"], capture_output=True, text=True,
                             env={**os.environ, **env}, check=True)
        return out.stdout.strip()

    assert version(SIPDIAG_PURE="0") == f"sipdiag {__version__} (core: rust {compiled.__version__})"
    assert version(SIPDIAG_PURE="1") == f"sipdiag {__version__} (core: pure-python, SIPDIAG_PURE=1)"


# -- the message record: head layout (rust/src/head.rs) and every parsed field ------------------

def _record(raw: bytes, pure: bool):
    """Every field parse_message fills in, on one core, in comparable form."""
    from sipdiag.sip.message import Anomaly
    from sipdiag.sip.parser import parse_message
    from sipdiag.sources.frame import Origin

    old = os.environ.get("SIPDIAG_PURE")
    os.environ["SIPDIAG_PURE"] = "1" if pure else "0"
    try:
        from sipdiag.sip.parser import header_index

        m = parse_message(raw, origin=Origin("x", frame=1), transport="TCP")
        if not isinstance(m, Anomaly):
            body_at, index, folded = m.layout()
            assert header_index(raw) == index  # what a message whose bytes are read back derives
            record = (m.start_line, m.method, m.status, m.request_uri, m.reason, m.call_id, m.cseq, body_at,
                      list(index), folded, [(a.name, a.detail) for a in m.anomalies], m.headers, m.body,
                      tuple(m.facts))
    finally:
        if old is None:
            os.environ.pop("SIPDIAG_PURE", None)
        else:
            os.environ["SIPDIAG_PURE"] = old
    if isinstance(m, Anomaly):
        return ("anomaly", m.name, m.detail, m.raw)
    return record


def assert_same_record(raw: bytes) -> None:
    from sipdiag.sip.parser import head_layout

    assert compiled.head_layout(raw) == head_layout(raw), raw[:200]
    assert _record(raw, True) == _record(raw, False), raw[:200]
    assert_plain_facts_are_the_views(raw)


def assert_plain_facts_are_the_views(raw: bytes) -> None:
    """The pure core's key facts read from the bytes (sip/plainfacts.py, when the message is of
    the plain form) are what the views give (keyfacts.facts_from_views)."""
    from sipdiag.sip.keyfacts import facts_from_views
    from sipdiag.sip.message import SipMessage
    from sipdiag.sip.parser import head_record, parse_message
    from sipdiag.sources.frame import Origin

    facts = head_record(raw)[9]
    if facts is None:
        return
    m = parse_message(raw, origin=Origin("x", frame=1), transport="TCP")
    if not isinstance(m, SipMessage):
        return  # no message (a start line that is none): no facts asked for
    views = facts_from_views(m)
    assert facts == tuple(views), raw[:200]
    assert all(type(a) is type(b) for a, b in zip(facts, views)), raw[:200]


def _messages_under(base: Path) -> list[bytes]:
    from sipdiag.dissect import read_messages
    from sipdiag.sip.message import SipMessage

    out = []
    for path in sorted(base.rglob("*")) if base.is_dir() else []:
        if not path.is_file() or path.stat().st_size > 5_000_000:
            continue
        try:
            _source, items = read_messages(str(path))
            out += [item.raw for item in items if isinstance(item, SipMessage)]
        except Exception:  # not a trace (a configuration file, a README): nothing to compare
            continue
    return out


def test_every_bundled_message_has_the_same_record_on_both_cores():
    raws = _messages_under(SAMPLES)
    assert len(raws) > 200
    for raw in raws:
        assert_same_record(raw)


@pytest.mark.skipif(not CORPUS_CAPTURES, reason=f"no corpus captures under {CORPUS} (set SIPDIAG_CORPUS)")
def test_every_corpus_message_has_the_same_record_on_both_cores():
    raws = _messages_under(CORPUS)
    assert raws
    for raw in raws:
        assert_same_record(raw)


HEADISH = st.lists(st.sampled_from([b"\r", b"\n", b"\r\n", b"\r\n\r\n", b"\n\n", b" ", b"\t", b":", b": ",
                                    b"INVITE sip:b SIP/2.0", b"SIP/2.0 180 Ringing", b"Via", b"v", b"Call-ID",
                                    b"i", b"CSeq", b"1 INVITE", b"Content-Length", b"l", b"5", b"x-\xc3\xa9",
                                    b"\xc2\xa0", b"\x80", b"\x0b", b"\x1c", b"abc", b"\xff\xfe"]),
                   max_size=40).map(b"".join)


@settings(max_examples=int(os.environ.get("SIPDIAG_DIFF_EXAMPLES", "250")) * 4, deadline=None)
@given(st.one_of(HEADISH, st.binary(max_size=200)))
def test_generated_messages_have_the_same_record_on_both_cores(raw):
    assert_same_record(raw)


# -- the key facts (rust/src/facts.rs against sip/keyfacts.facts_from_views) --------------------

VALUE_PIECES = st.lists(st.sampled_from([
    "SIP/2.0/UDP", "SIP/2.0/tcp", "sip / 2.0 / UDP", "SIP/2.0", "/", " ", "\t", "  ", "h", "pbx.example.com",
    "192.168.1.5", "[2001:db8::1]", "2001:db8::1", ":", ":5060", ":65535", ":123456", ":x", ";", ";branch=z9hG4bK-1",
    ";branch=", ";BRANCH=z9hG4bKB", ";branch", ";rport", ";rport=", ";rport=1024", ";rport=abc", ";received=10.0.0.1",
    ";received", ";tag=abc", ";TAG=X", ";tag", ";expires=0", ";transport=tcp", '"', '"Alice"', '"a<b"', "<", ">",
    "sip:", "sips:", "SIP:", "tel:+15551234", "a@", "user:pw@", "@", "?", "?h=v", ",", "*", "é", "\xa0", "\x0b", "=",
]), max_size=12).map("".join)
"""Header values built from the pieces where the plain forms end and the general parser's
corners begin (quotes, brackets, lists, flags, repeated parameters, odd ports, non-ASCII)."""


def _message_with(via: list[str], from_: str | None, to: str | None, contact: list[str],
                  credentials: list[tuple[str, str]] = ()) -> bytes:
    lines = ["OPTIONS sip:pbx SIP/2.0"] + [f"Via: {v}" for v in via]
    lines += [f"{name}: {value}" for name, value in credentials]
    if from_ is not None:
        lines.append(f"From: {from_}")
    if to is not None:
        lines.append(f"To: {to}")
    lines += [f"Contact: {c}" for c in contact]
    lines += ["Call-ID: c", "CSeq: 1 OPTIONS", "", ""]
    return "\r\n".join(lines).encode("utf-8")


@settings(max_examples=int(os.environ.get("SIPDIAG_DIFF_EXAMPLES", "250")) * 8, deadline=None)
@given(st.lists(VALUE_PIECES, max_size=3), st.none() | VALUE_PIECES, st.none() | VALUE_PIECES,
       st.lists(VALUE_PIECES, max_size=2),
       st.lists(st.tuples(st.sampled_from(["Authorization", "Proxy-Authorization", "authorization"]),
                          st.sampled_from(["", " ", "\t", 'Digest username="a", nonce="n"', "x", "é"])), max_size=3))
def test_key_facts_are_the_views_facts_on_generated_headers(via, from_, to, contact, credentials):
    assert_same_record(_message_with(via, from_, to, contact, credentials))


def test_the_core_reads_the_key_facts_of_plain_messages(monkeypatch):
    """The fast path is taken (not declined) on what phones and PBXs write, and its answer is
    the views' answer (assert_same_record above compares them everywhere)."""
    monkeypatch.setenv("SIPDIAG_PURE", "0")
    from sipdiag.sip.keyfacts import facts_from_views
    from sipdiag.sip.message import SipMessage
    from sipdiag.sip.parser import parse_message
    from sipdiag.sources.frame import Origin

    raw = _message_with(["SIP/2.0/UDP 192.168.1.5:5062;rport;branch=z9hG4bK-1", "SIP/2.0/TCP proxy;received=1.2.3.4"],
                        '"Alice" <sip:alice@pbx>;tag=ab', "<sip:bob@pbx>",
                        ["<sip:alice@192.168.1.5:5062;transport=udp>;expires=60"])
    parse_message(raw, origin=Origin("x"))  # the parser learns the header names
    m = parse_message(raw, origin=Origin("x"))
    assert isinstance(m, SipMessage) and m._facts is not None
    assert m._facts == facts_from_views(m)
    assert (m.facts.via_count, m.facts.sent_by, m.facts.branch, m.facts.has_rport, m.facts.rport) == \
        (2, "192.168.1.5:5062", "z9hG4bK-1", True, None)
    assert (m.facts.from_tag, m.facts.to_tag, m.facts.contact_host, m.facts.contact_port) == ("ab", None, "192.168.1.5", 5062)


START_PIECES = st.lists(st.sampled_from([
    "INVITE", "invite", "SIP", "SIP/2.0", "sip/2.0", "REGISTER", "x-Y_1", "1BAD", " ", "  ", "\t", "sip:b@h", "200",
    "486", "099", "700", "2000", "OK", "Busy Here", "é", "/",
]), min_size=1, max_size=6).map("".join)
CSEQ_PIECES = st.lists(st.sampled_from(["1", "4294967296", "12345678901", " ", "\t", "INVITE", "invite", "BYE",
                                        "x", ""]), max_size=4).map("".join)


@settings(max_examples=int(os.environ.get("SIPDIAG_DIFF_EXAMPLES", "250")) * 8, deadline=None)
@given(START_PIECES, st.none() | CSEQ_PIECES, st.none() | st.sampled_from(["0", "3", "4", " 3 ", "x", "", "03"]),
       st.sampled_from([b"", b"abc", b"abc\r\n", b"ab"]), st.booleans())
def test_identity_is_the_general_parsers_on_generated_heads(start, cseq, length, body, call_id):
    """Start line, CSeq, Content-Length and body varied around what rust/src/ident.rs accepts."""
    lines = [start, "Via: SIP/2.0/UDP h;branch=z9hG4bK1", "From: <sip:a@h>;tag=1", "To: <sip:b@h>"]
    if call_id:
        lines.append("Call-ID: c@h")
    if cseq is not None:
        lines.append(f"CSeq: {cseq}")
    if length is not None:
        lines.append(f"Content-Length: {length}")
    assert_same_record("\r\n".join(lines + ["", ""]).encode() + body)
