"""Property tests for the text trace readers: no input makes a reader raise.

Every reader reads every generated input, whether or not it would have been picked for it:
random lines built from pieces of the real formats, and real traces mutated line by line.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from sipdiag.sources.frame import Frame, LogEvent  # noqa: E402
from sipdiag.sources.textlogs import READERS, detect  # noqa: E402
from sipdiag.sources.textlogs.textio import line_opener  # noqa: E402

DATA = Path(__file__).resolve().parent / "data" / "textlogs"
FIXTURES = sorted(p for p in DATA.iterdir() if p.suffix in {".txt", ".log"})

PIECES = [
    "<--- Received SIP request (522 bytes) from UDP:203.0.113.88:12995 --->",
    "<--- Transmitting SIP response (48 bytes) to WSS:[2001:db8::1]:443 --->",
    "[2026-11-22 19:28:47.166] VERBOSE[20895] res_pjsip_logger.c: <--- Received SIP request (9 bytes) from",
    "[Mar 16 16:05:41] WARNING[1322595]: res_pjsip_pubsub.c:3353 pubsub_on_rx_publish_request: x",
    "[Feb 30 25:61:61] ERROR[1]: x.c:1 f: impossible date",
    "<--- SIP read from UDP:192.0.2.10:5060 --->", "<------------->", "<------------>", "---",
    "Retransmitting #1 (NAT) to 192.0.2.10:5060:", "    -- Executing", "  == Using", "pbx*CLI> sip set debug on",
    "recv 669 bytes from udp/[192.0.2.10]:5060 at 19:28:47.166123:", "send 5 bytes to tcp/[::1]:5060 at 99:99:99.1:",
    "   " + "-" * 72, "2026-11-22 19:28:47.167350 97.90% [NOTICE] switch_channel.c:1142 New Channel",
    "U 2026/11/22 19:28:47.166123 192.0.2.10:5060 -> 198.51.100.2:5060", "T 1.2.3.4:5 -> 5.6.7.8:9 [AP] #7", "#",
    "2026/11/22 19:28:47.166123 192.0.2.10:5060 -> 198.51.100.2:5060",
    "INVITE sip:bob@example.com SIP/2.0", "REGISTER sip:198.51.100.2 SIP/2.0.", "SIP/2.0 200 OK", "SIP/2.0 401",
    "Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK1", "Content-Length: 10", "Content-Length: 99999999999",
    "l: 3", "Content-Type: application/sdp", "Content-Type: message/sipfrag", "v=0", "a=rtpmap:0 PCMU/8000",
    " folded continuation", "\tTabbed", "", ".", "   ", "no header here", "\x00\x01\x02", "\u2028\ufeff", "é" * 90,
]

lines = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=120)), max_size=60)
line_ends = st.sampled_from(["\n", "\r\n", "\r", "\r\r\n"])


def read_all(path: str) -> dict[str, list]:
    """Run every reader over `path`; check what each yields; return their items by format."""
    results = {}
    for reader_class in READERS:
        reader = reader_class(path, line_opener(path))
        items = list(reader)
        previous_line = 0
        for item in items:
            assert isinstance(item, (Frame, LogEvent))
            assert item.origin.source == path and item.origin.line >= previous_line
            previous_line = item.origin.line
            if isinstance(item, Frame):
                assert item.whole_message and isinstance(item.payload, bytes) and item.payload
                assert item.transport == item.transport.upper()
        assert reader.summary.format == reader_class.format
        results[reader_class.format] = items
    return results


def with_file(data: bytes, check) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "trace.txt")
        with open(path, "wb") as fh:
            fh.write(data)
        check(path)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines, line_ends)
def test_random_lines_never_make_a_reader_raise(text_lines, end):
    data = end.join(text_lines).encode("utf-8", errors="surrogatepass")
    with_file(data, read_all)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes_never_make_a_reader_raise(data):
    with_file(data, lambda path: (read_all(path), detect(path, data)))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(FIXTURES),
    st.lists(st.tuples(st.sampled_from(["drop", "double", "cut", "insert"]), st.integers(0, 400),
                       st.sampled_from(PIECES)), min_size=1, max_size=8),
)
def test_mutated_fixtures_never_make_a_reader_raise(fixture, mutations):
    text_lines = fixture.read_text().split("\n")
    for action, where, piece in mutations:
        where %= max(len(text_lines), 1)
        if action == "drop":
            del text_lines[where:where + 1]
        elif action == "double":
            text_lines.insert(where, text_lines[where] if text_lines else piece)
        elif action == "cut":
            text_lines[where:where + 1] = [text_lines[where][: len(text_lines[where]) // 2]] if text_lines else []
        else:
            text_lines.insert(where, piece)
    with_file("\n".join(text_lines).encode(), read_all)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(FIXTURES), st.lists(st.sampled_from(PIECES + ["junk"]), min_size=1, max_size=10))
def test_trailing_data_does_not_change_the_messages_before_it(fixture, junk):
    original = fixture.read_bytes()
    with tempfile.TemporaryDirectory() as directory:
        clean, dirty = os.path.join(directory, "clean.txt"), os.path.join(directory, "dirty.txt")
        Path(clean).write_bytes(original)
        Path(dirty).write_bytes(original + b"\n\n" + "\n".join(junk).encode())
        reader = detect(clean, original)
        expected = [item.payload for item in reader if isinstance(item, Frame)]
        got = [item.payload for item in type(reader)(dirty, line_opener(dirty)) if isinstance(item, Frame)]
        assert got[: len(expected)] == expected
