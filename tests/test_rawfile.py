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


@pytest.mark.skipif(core.compiled() is None, reason="only the compiled reader says where a payload is in the file")
def test_released_messages_read_their_own_bytes_back(tmp_path, monkeypatch):
    """Every message that let go of its bytes reads back exactly the bytes the pure reader keeps."""
    path = tmp_path / "copy.pcap"
    shutil.copy(CAPTURE, path)
    fast = _messages(path)
    released = [m for m in fast if m._raw is None]
    assert released, "the compiled reader releases the bytes of whole-datagram messages"
    monkeypatch.setenv("SIPDIAG_PURE", "1")
    kept = _messages(path)
    assert all(m._raw is not None for m in kept)
    assert [m.raw for m in fast] == [m.raw for m in kept]
    assert [m.headers for m in fast] == [m.headers for m in kept]
    assert all(m._index is None for m in released), "nor do they keep their header index"
    assert [m.layout() for m in fast] == [m.layout() for m in kept]
    assert [(m.header("To"), m.header("Content-Type"), m.header_values("Via"), m.sdp) for m in fast] == \
        [(m.header("To"), m.header("Content-Type"), m.header_values("Via"), m.sdp) for m in kept]


@pytest.mark.skipif(core.compiled() is None, reason="only the compiled reader says where a payload is in the file")
def test_a_message_left_in_the_file_reads_its_headers_after_pickling(tmp_path):
    """Triage's workers send analyses back pickled: the file is opened again, the index derived."""
    import pickle

    path = tmp_path / "copy.pcap"
    shutil.copy(CAPTURE, path)
    released = [m for m in _messages(path) if m._raw is None]
    back = pickle.loads(pickle.dumps(released))
    assert [m.headers for m in back] == [m.headers for m in released]
    assert [m.facts for m in back] == [m.facts for m in released]


@pytest.mark.skipif(core.compiled() is None, reason="only the compiled reader says where a payload is in the file")
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
