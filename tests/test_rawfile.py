"""Message bytes left in the capture file and read back (sources/rawfile.py)."""

from __future__ import annotations

import shutil

import pytest
from conftest import SAMPLES

from sipdiag.dissect import read_messages
from sipdiag.errors import InputError
from sipdiag.sip.message import SipMessage
from sipdiag.sources import core

CAPTURE = SAMPLES / "lab" / "ast-01-aor-404.pcap"


def _messages(path):
    _source, items = read_messages(str(path))
    return [m for m in items if isinstance(m, SipMessage)]


@pytest.mark.skipif(core.compiled() is None, reason="compares the compiled reader with the pure one")
def test_both_readers_leave_the_same_messages_in_the_file(tmp_path, monkeypatch):
    """The compiled scanner and the pure reader (pcapfile.py's record offsets) say the same
    messages are in the file at the same offsets, and every one reads back its own bytes."""
    path = tmp_path / "copy.pcap"
    shutil.copy(CAPTURE, path)
    fast = _messages(path)
    monkeypatch.setenv("SIPDIAG_PURE", "1")
    pure = _messages(path)
    assert [(m.origin, m._at) for m in fast] == [(m.origin, m._at) for m in pure]
    assert any(m._raw is None for m in fast), "whole-datagram messages let go of their bytes"
    monkeypatch.setenv("SIPDIAG_PURE", "0")
    assert [m.raw for m in fast] == [m.raw for m in pure] == [m.raw for m in _kept(path)]


def _kept(path):
    """The messages of `path` read from a pipe: nothing to read back, every message keeps its bytes."""
    data = path.read_bytes()
    from sipdiag.dissect import dissect
    from sipdiag.sources import open_data

    kept = [m for m in dissect(open_data(str(path), data)) if isinstance(m, SipMessage)]
    assert all(m._raw is not None and m._index is not None for m in kept)
    return kept


@pytest.mark.parametrize("pure", ["0", "1"])
def test_released_messages_read_their_own_bytes_back(tmp_path, monkeypatch, pure):
    """On either core, a message that let go of its bytes reads back exactly the bytes a kept
    copy has, and derives the same header index, headers and views from them."""
    if pure == "0" and core.compiled() is None:
        pytest.skip("the compiled core is not built, or SIPDIAG_PURE=1")
    monkeypatch.setenv("SIPDIAG_PURE", pure)
    for name in ("ast-01-aor-404.pcap", "ast-02-fixed-200.pcap"):
        path = tmp_path / name
        shutil.copy(SAMPLES / "lab" / name, path)
        fast = _messages(path)
        released = [m for m in fast if m._raw is None]
        assert released, "whole-datagram messages of a plain capture file let go of their bytes"
        if pure == "0":
            assert all(m._index is None for m in released), "and of their header index"
        kept = _kept(path)
        assert [m.raw for m in fast] == [m.raw for m in kept]
        assert [m.headers for m in fast] == [m.headers for m in kept]
        assert [m.layout() for m in fast] == [m.layout() for m in kept]
        assert [(m.header("To"), m.header("Content-Type"), m.header_values("Via"), m.sdp) for m in fast] == \
            [(m.header("To"), m.header("Content-Type"), m.header_values("Via"), m.sdp) for m in kept]


def test_a_message_left_in_the_file_reads_its_headers_after_pickling(tmp_path):
    """Triage's workers send analyses back pickled: the file is opened again, the index derived."""
    import pickle

    path = tmp_path / "copy.pcap"
    shutil.copy(CAPTURE, path)
    released = [m for m in _messages(path) if m._raw is None]
    back = pickle.loads(pickle.dumps(released))
    assert [m.headers for m in back] == [m.headers for m in released]
    assert [m.facts for m in back] == [m.facts for m in released]


def test_a_capture_changed_after_reading_is_an_input_error_not_a_wrong_answer(tmp_path):
    path = tmp_path / "changing.pcap"
    shutil.copy(CAPTURE, path)
    messages = _messages(path)
    victim = next(m for m in messages if m._raw is None)
    data = bytearray(path.read_bytes())
    data[victim._at + 2] ^= 0x20  # one byte of that message rewritten on disk
    path.write_bytes(bytes(data))
    with pytest.raises(InputError, match="changed while it was being analysed"):
        victim._file._recent.clear()
        victim.raw
    path.write_bytes(b"")  # and cut short
    with pytest.raises(InputError, match="changed while it was being analysed"):
        victim.raw


def test_archive_members_and_gzip_keep_their_bytes(tmp_path):
    """Only a plain regular file can be read again; gzip'd captures keep every message's bytes."""
    import gzip

    path = tmp_path / "capture.pcap.gz"
    path.write_bytes(gzip.compress(CAPTURE.read_bytes()))
    assert all(m._raw is not None for m in _messages(path))


def _as_pcapng(pcap: bytes) -> bytes:
    """The packets of a little-endian microsecond pcap, as a pcapng file (SHB, IDB, one EPB each)."""
    import struct

    linktype = struct.unpack_from("<I", pcap, 20)[0]
    out = [struct.pack("<IIIHHqI", 0x0A0D0D0A, 28, 0x1A2B3C4D, 1, 0, -1, 28),
           struct.pack("<IIHHII", 1, 20, linktype, 0, 262144, 20)]
    at = 24
    while at + 16 <= len(pcap):
        sec, usec, incl, orig = struct.unpack_from("<IIII", pcap, at)
        data = pcap[at + 16:at + 16 + incl]
        at += 16 + incl
        ts = sec * 1_000_000 + usec
        padded = data + b"\0" * (-len(data) % 4)
        total = 32 + len(padded)
        out.append(struct.pack("<IIIIIII", 6, total, 0, ts >> 32, ts & 0xFFFFFFFF, len(data), orig)
                   + padded + struct.pack("<I", total))
    return b"".join(out)


@pytest.mark.parametrize("pure", ["0", "1"])
def test_pcapng_messages_are_left_in_the_file_too(tmp_path, monkeypatch, pure):
    if pure == "0" and core.compiled() is None:
        pytest.skip("the compiled core is not built, or SIPDIAG_PURE=1")
    monkeypatch.setenv("SIPDIAG_PURE", pure)
    path = tmp_path / "copy.pcapng"
    path.write_bytes(_as_pcapng(CAPTURE.read_bytes()))
    messages = _messages(path)
    assert messages and all(m._raw is None for m in messages if m.transport == "UDP")
    assert [m.raw for m in messages] == [m.raw for m in _kept(tmp_path / "copy.pcapng")]
    assert [m.raw for m in messages] == [m.raw for m in _messages(CAPTURE)]


def test_a_listing_that_drops_each_message_keeps_its_bytes(tmp_path):
    """`sipdiag messages` prints a message and drops it: nothing is left in the file to read back."""
    from sipdiag.dissect import read_messages

    path = tmp_path / "copy.pcap"
    shutil.copy(CAPTURE, path)
    _source, items = read_messages(str(path), held=False)
    listed = [m for m in items if isinstance(m, SipMessage)]
    assert listed and all(m._raw is not None for m in listed)
    assert [m.raw for m in listed] == [m.raw for m in _messages(path)]
