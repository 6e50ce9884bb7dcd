"""Microsoft Network Monitor 2.x captures (.cap): the same SIP messages and findings as the pcap.

The NetMon copies are made from bundled captures by Wireshark's own writer (`editcap -F
netmon2`; skipped when editcap is not installed), so the reader is checked against an
independent implementation of the format, and the analysis against the original capture.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

import pytest
from conftest import SAMPLES

from sipdiag.analysis import analyze_paths
from sipdiag.dissect import read_messages
from sipdiag.rules import run_rules
from sipdiag.sip.message import SipMessage

LAB = SAMPLES / "lab"
NETMON_SOURCES = ["ast-01-aor-404.pcap", "lab-06a-call-rejected-486.pcap",
                  "lab-08a-tcp-register-call-segmented-invite.pcap", "lab-09-udp-big-invite-ip-fragmented.pcap"]

needs_editcap = pytest.mark.skipif(shutil.which("editcap") is None, reason="editcap (Wireshark) not installed")


def netmon_copy(original: Path, tmp_path: Path) -> Path:
    out = tmp_path / (original.stem + ".cap")
    subprocess.run(["editcap", "-F", "netmon2", str(original), str(out)], check=True, capture_output=True)
    return out


def _messages(path: Path) -> list[tuple]:
    _source, items = read_messages(str(path))
    return [(m.origin.frame, m.start_line, str(m.src), str(m.dst), m.transport, m.time, m.tcp_segments,
             m.ip_fragments, m.raw) for m in items if isinstance(m, SipMessage)]


@needs_editcap
@pytest.mark.parametrize("name", NETMON_SOURCES)
def test_netmon_copy_gives_the_same_messages_and_findings(name, tmp_path):
    copy = netmon_copy(LAB / name, tmp_path)
    assert _messages(copy) == _messages(LAB / name)
    a, b = analyze_paths([str(copy)]), analyze_paths([str(LAB / name)])
    assert [(f.code, f.title) for f in run_rules(a)] == [(f.code, f.title) for f in run_rules(b)]
    assert a.inputs[0].format == "netmon2" and a.inputs[0].packets == b.inputs[0].packets


@needs_editcap
def test_netmon_cut_in_a_frame_keeps_what_comes_before(tmp_path):
    """The frame table is written last, so a file cut short has lost it: the frames are then
    found by walking them from the header on, and the one that is cut is reported."""
    copy = netmon_copy(LAB / "lab-06a-call-rejected-486.pcap", tmp_path)
    data = copy.read_bytes()
    table_at, table_len = struct.unpack_from("<II", data, 24)
    offsets = struct.unpack_from(f"<{table_len // 4}I", data, table_at)
    path = tmp_path / "cut.cap"
    path.write_bytes(data[:offsets[5] + 30])  # inside frame 6
    source, items = read_messages(str(path))
    frames = [m.origin.frame for m in items if isinstance(m, SipMessage)]
    original = [m for m in _messages(LAB / "lab-06a-call-rejected-486.pcap") if m[0] <= 5]
    assert [m for m in _messages(path)] == original and frames
    warnings = [w.text for w in source.summary.warnings]
    assert any("frame table" in w and "read in file order" in w for w in warnings)
    assert any(w.text.startswith("file is cut short in the middle of a frame") and w.origin.frame == 6
               for w in source.summary.warnings)


def test_netmon_without_frames(tmp_path):
    header = struct.pack("<4sBBH8HII", b"GMBU", 0, 2, 1, 2026, 11, 0, 22, 19, 28, 47, 166, 10_000, 16)
    path = tmp_path / "x.cap"
    path.write_bytes(header + bytes(128 - len(header)))
    source, items = read_messages(str(path))
    assert list(items) == []
    assert "frame table (16 bytes at 10000) lies outside the file" in source.summary.warnings[0].text
    assert source.summary.packets == 0
