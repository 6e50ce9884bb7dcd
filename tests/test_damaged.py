"""Damaged and wrong inputs through `sipdiag messages`: one clear line, exit code 2, no traceback.

Inputs that cannot be read at all (empty, garbage, not a capture, a truncated file header,
an unsupported capture format, a directory, a missing file) give exactly one line on stderr
naming the file and the problem, and exit code 2. Inputs damaged part-way (a truncated last
packet, a cut gzip stream, a broken record header) list everything before the damage, warn
naming the frame, and exit 0. All files are made here, from the synthetic samples.
"""

from __future__ import annotations

import gzip
import random
import struct

import pytest
from click.testing import CliRunner

from conftest import SAMPLES
from sipdiag.cli import main

SYNTHETIC = SAMPLES / "synthetic"
PCAP = SYNTHETIC / "tcp-reassembly.pcap"  # 22 packets, 10 SIP messages
PCAPNG = SYNTHETIC / "pcapng-interfaces.pcapng"  # 8 packets, 8 SIP messages


def run(*paths):
    result = CliRunner().invoke(main, ["messages", *map(str, paths)])
    assert "Traceback" not in result.output and "Traceback" not in result.stderr
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result


def frame_offsets(data: bytes) -> list[int]:
    """Byte offset of every record in a little-endian microsecond pcap."""
    offsets, pos = [], 24
    while pos + 16 <= len(data):
        offsets.append(pos)
        pos += 16 + struct.unpack_from("<I", data, pos + 8)[0]
    return offsets


def write(tmp_path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def assert_one_error(result, path, *words):
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"sipdiag: error: {path}: ")
    for word in words:
        assert word in lines[0]


UNREADABLE = [
    # (name, content, words the message must contain)
    ("empty.pcap", b"", ("is empty",)),
    ("header.pcap", PCAP.read_bytes()[:12], ("pcap file header is truncated", "12 of 24")),
    ("header.pcapng", PCAPNG.read_bytes()[:20], ("pcapng section header is truncated",)),
    ("garbage.bin", random.Random(7).randbytes(5000), ("not a capture", "binary")),
    ("high-bytes.bin", bytes([0xA5, 0xF3, 0x81, 0xC7]) * 1000, ("not a capture", "binary")),
    ("notes.txt", b"Meeting notes\nThe PBX drops calls after 32 seconds.\nCheck the NAT.\n" * 20,
     ("text without SIP messages",)),
    ("netmon1.cap", b"GMBU\x00\x01" + bytes(200), ("Network Monitor 1.x capture", "only version 2.x")),
    ("netmon-header.cap", b"GMBU\x00\x02" + bytes(40), ("Network Monitor capture header cut short", "46 of 128")),
    ("damaged.pcap.gz", b"\x1f\x8b\x08\x00" + bytes(range(256)) * 4, ("gzip", "damaged")),
    ("empty.pcap.gz", gzip.compress(b"", mtime=0), ("is empty after gunzip",)),
    ("header.pcap.gz", gzip.compress(PCAP.read_bytes()[:10], mtime=0), ("pcap file header is truncated",)),
]


@pytest.mark.parametrize("name, content, words", UNREADABLE, ids=[u[0] for u in UNREADABLE])
def test_unreadable_file_gives_one_line_and_exit_2(tmp_path, name, content, words):
    path = write(tmp_path, name, content)
    assert_one_error(run(path), path, *words)


def test_directory(tmp_path):
    assert_one_error(run(tmp_path), tmp_path, "is a directory")


def test_missing_file(tmp_path):
    path = tmp_path / "nowhere.pcap"
    assert_one_error(run(path), path, "no such file")


def test_gzipped_capture_just_works(tmp_path):
    path = write(tmp_path, "capture.pcap.gz", gzip.compress(PCAP.read_bytes(), mtime=0))
    result = run(path)
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) == 10
    assert "sipdiag: warning" not in result.stderr
    assert "pcap+gzip, 22 packets, 10 SIP messages" in result.stderr


def test_truncated_last_packet_keeps_what_comes_before(tmp_path):
    data = PCAP.read_bytes()
    last = frame_offsets(data)[-3]  # frame 20 (FIN); cut it in half
    path = write(tmp_path, "cut.pcap", data[: last + 16 + 20])
    result = run(path)
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) == 10  # all messages are in frames 4-19
    warnings = [line for line in result.stderr.splitlines() if line.startswith("sipdiag: warning")]
    assert warnings == [f"sipdiag: warning: {path}#20: file is cut short in the middle of a packet (20 of 54 bytes)"]


def test_truncated_sip_packet_is_listed_with_an_anomaly(tmp_path):
    data = (SYNTHETIC / "udp-syntax.pcap").read_bytes()
    last = frame_offsets(data)[-1]  # frame 4: a 200 OK over UDP
    path = write(tmp_path, "cut.pcap", data[: last + 16 + 14 + 40 + 8 + 100])
    result = run(path)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert "SIP/2.0 200 OK" in lines[-1] and lines[-1].split()[1] == "4"
    assert f"{path}#4: file is cut short in the middle of a packet" in result.stderr


def test_truncated_pcapng_packet_block(tmp_path):
    data = PCAPNG.read_bytes()
    path = write(tmp_path, "cut.pcapng", data[:-100])  # inside the last EPB (frame 8), a 200 OK
    result = run(path)
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert len(lines) == 8 and lines[-1].split()[1] == "8"  # the cut message is still listed
    assert f"sipdiag: warning: {path}#8: file is cut short in the middle of a packet" in result.stderr


def test_cut_gzip_stream_keeps_what_could_be_read(tmp_path):
    packed = gzip.compress(PCAP.read_bytes(), mtime=0)
    path = write(tmp_path, "cut.pcap.gz", packed[: len(packed) * 2 // 3])
    result = run(path)
    assert result.exit_code == 0
    assert 1 <= len(result.stdout.splitlines()) < 10
    assert "the compressed data ends early" in result.stderr and f"{path}#" in result.stderr


def test_damaged_record_header_stops_with_a_warning(tmp_path):
    data = bytearray(PCAP.read_bytes())
    offset = frame_offsets(bytes(data))[13]  # frame 14
    struct.pack_into("<I", data, offset + 8, 0x7FFFFFFF)  # an impossible captured length
    path = write(tmp_path, "broken.pcap", bytes(data))
    result = run(path)
    assert result.exit_code == 0
    assert len(result.stdout.splitlines()) == 5  # the messages of frames 4-13
    assert f"{path}#14: damaged packet header (captured length 2147483647 bytes); stopped reading here" \
        in result.stderr


def test_unsupported_link_type_warns_once(tmp_path):
    data = bytearray(PCAP.read_bytes())
    struct.pack_into("<I", data, 20, 147)  # LINKTYPE_USER0
    path = write(tmp_path, "user0.pcap", bytes(data))
    result = run(path)
    assert result.exit_code == 0 and result.stdout == ""
    assert result.stderr.count("link type 147 is not supported") == 1


def test_one_bad_file_among_good_ones(tmp_path):
    bad = write(tmp_path, "empty.pcap", b"")
    result = run(PCAP, bad, PCAPNG)
    assert result.exit_code == 2
    assert len(result.stdout.splitlines()) == 18  # both good files are listed
    errors = [line for line in result.stderr.splitlines() if line.startswith("sipdiag: error")]
    assert errors == [f"sipdiag: error: {bad}: is empty"]
