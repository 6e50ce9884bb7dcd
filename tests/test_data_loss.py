"""Data loss is a fact the reader states where it loses data, not a guess from warning text.

Each reader marks the warning it writes when part of the input is lost (`InputWarning.loss`:
damage, a limit that stopped reading, a line cut at --max-line), and `InputSummary.lost` keeps
the one that says what was lost and where. The command line prints its one stderr line from it
and JSON carries it in `inputs[].lost`; warnings that lose nothing (a hole in a TCP stream the
capture never had, an unsupported link type) say nothing on stderr, whatever their words.
"""

from __future__ import annotations

import gzip
import json
import struct

import pytest
from click.testing import CliRunner
from conftest import SAMPLES

from sipdiag.cli import main
from sipdiag.dissect import read_messages
from sipdiag.sources.frame import InputSummary, Origin

SYNTHETIC = SAMPLES / "synthetic"
PCAP = SYNTHETIC / "tcp-reassembly.pcap"
PCAPNG = SYNTHETIC / "pcapng-interfaces.pcapng"
LOG = SAMPLES / "lab" / "ast-01-aor-404.pjsip-logger.log"


def _offsets(data: bytes) -> list[int]:
    offsets, pos = [], 24
    while pos + 16 <= len(data):
        offsets.append(pos)
        pos += 16 + struct.unpack_from("<I", data, pos + 8)[0]
    return offsets


def _broken_header(data: bytes) -> bytes:
    data = bytearray(data)
    struct.pack_into("<I", data, _offsets(bytes(data))[13] + 8, 0x7FFFFFFF)
    return bytes(data)


def _bomb() -> bytes:
    return gzip.compress(PCAP.read_bytes()[:24] + bytes(64 << 20), compresslevel=9, mtime=0)


LOSSY = [
    # (name, bytes, loss kind, where, options)
    ("cut.pcap", PCAP.read_bytes()[: _offsets(PCAP.read_bytes())[8] + 30], "damage", "#9", []),
    ("broken.pcap", _broken_header(PCAP.read_bytes()), "damage", "#14", []),
    ("cut.pcapng", PCAPNG.read_bytes()[:-100], "damage", "#8", []),
    ("cut.pcap.gz", gzip.compress(PCAP.read_bytes(), mtime=0)[:900], "damage", "#", []),
    ("bomb.pcap.gz", _bomb(), "limit", "#1", []),
    ("cut.log.gz", gzip.compress(LOG.read_bytes(), mtime=0)[:700], "damage", ":", []),
    ("long.log", LOG.read_bytes().replace(b"User-Agent: ", b"User-Agent: " + b"A" * 5000, 1), "line", ":",
     ["--max-line", "2K"]),
    ("limited.log.gz", gzip.compress(LOG.read_bytes(), mtime=0), "limit", ":", ["--max-expand", "2K"]),
]


@pytest.mark.parametrize("pure", [False, True], ids=["default-core", "pure"])
@pytest.mark.parametrize("name, data, kind, where, options", LOSSY, ids=[c[0] for c in LOSSY])
def test_a_reader_that_loses_data_says_so_in_the_summary_json_and_stderr(name, data, kind, where, options, pure,
                                                                          tmp_path, monkeypatch):
    if pure:
        monkeypatch.setenv("SIPDIAG_PURE", "1")
    path = tmp_path / name
    path.write_bytes(data)
    result = CliRunner().invoke(main, ["analyze", "--format", "json", *options, str(path)])
    assert result.exit_code in (0, 1), result.output
    document = json.loads(result.stdout)
    lost = document["inputs"][0]["lost"]
    assert lost["kind"] == kind and lost["source"] == str(path)
    assert lost["warning"].startswith(f"{path}{where}")
    assert lost["warning"] in document["inputs"][0]["warnings"]
    assert result.stderr.splitlines()[0].startswith(f"sipdiag: warning: {lost['warning']}; analysed the ")


@pytest.mark.parametrize("pure", [False, True], ids=["default-core", "pure"])
@pytest.mark.parametrize("name", ["tcp-gap.pcap", "udp-syntax.pcap", "tcp-reassembly.pcap"])
def test_warnings_that_lose_nothing_say_nothing_on_stderr(name, pure, monkeypatch):
    if pure:
        monkeypatch.setenv("SIPDIAG_PURE", "1")
    source, items = read_messages(str(SYNTHETIC / name))
    list(items)
    assert source.summary.lost is None
    result = CliRunner().invoke(main, ["analyze", "--format", "json", str(SYNTHETIC / name)])
    assert result.stderr == "" and json.loads(result.stdout)["inputs"][0]["lost"] is None
    if name == "tcp-gap.pcap":
        assert any("hole(s) in TCP streams" in w.text for w in source.summary.warnings)


def test_the_words_of_a_warning_do_not_make_it_a_loss():
    summary = InputSummary("x.pcap")
    summary.warn(Origin("x.pcap", frame=3), "file is cut short in the middle of a packet (1 of 9 bytes)")
    assert summary.lost is None  # the text alone says nothing: only the reader that lost data marks it
    summary.warn(Origin("x.pcap", frame=4), "a packet the walk could not read", loss="damage")
    summary.warn(Origin("x.pcap", frame=5), "something else", loss="damage")
    assert summary.lost.text == "a packet the walk could not read"
    summary.warn(Origin("x.pcap", frame=6), "the expansion limit stopped reading", loss="limit")
    assert summary.lost.loss == "limit"  # a limit that stopped reading comes first
    for n in range(300):  # a full warnings list does not hide the loss
        summary.warn(Origin("x.pcap", frame=n), "noise")
    full = InputSummary("y.pcap")
    for n in range(300):
        full.warn(Origin("y.pcap", frame=n), "noise")
    full.warn(Origin("y.pcap", frame=301), "cut", loss="damage")
    assert full.lost is not None and full.lost.origin.frame == 301


NOTHING_READ = [
    ("first.pcap", lambda d: d[:32] + b"\xff\xff\xff\x7f" + d[36:], "damaged packet header"),
    ("header-cut.pcap", lambda d: d[:34], "file is cut short inside a packet header (10 of 16 bytes)"),
]


@pytest.mark.parametrize("pure", [False, True], ids=["default-core", "pure"])
@pytest.mark.parametrize("name, damage, words", NOTHING_READ, ids=[c[0] for c in NOTHING_READ])
def test_an_input_damaged_before_its_first_packet_cannot_be_read_at_all(name, damage, words, pure, tmp_path,
                                                                        monkeypatch):
    """Exit 2 and one error line, as for an input that cannot be read at all, not an "ok" verdict
    on nothing: the reader's loss at frame 1 with no packet read says so."""
    if pure:
        monkeypatch.setenv("SIPDIAG_PURE", "1")
    path = tmp_path / name
    path.write_bytes(damage(PCAP.read_bytes()))
    for fmt in ("text", "json", "html"):
        result = CliRunner().invoke(main, ["analyze", "--format", fmt, "-o", str(tmp_path / "out"), str(path)])
        assert result.exit_code == 2, result.output
        assert result.stderr.splitlines() == [f"sipdiag: error: {path}: {words}" + result.stderr.split(words)[1].rstrip()]
        assert result.stderr.rstrip().endswith(", at frame 1; nothing could be read")
        assert not (tmp_path / "out").exists()
    listing = CliRunner().invoke(main, ["messages", "--format", "json", str(PCAP), str(path)])
    assert listing.exit_code == 2
    assert len(json.loads(listing.stdout)["messages"]) == 10  # the good file is still listed
    assert listing.stderr.splitlines()[-1].endswith("; nothing could be read")
