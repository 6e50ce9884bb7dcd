"""Mutated capture files never make the reader raise: damage becomes warnings and anomalies.

hypothesis flips, deletes, duplicates and overwrites bytes of the synthetic captures (every
format, link type, tunnel and transport sipdiag reads), and of gzip'd copies, then reads them
with `read_messages`. The only exception allowed is `InputError` when the mutation destroyed
the file header or the first record; everything else must come out as messages, anomalies and
warnings.
"""

from __future__ import annotations

import gzip
import os
import struct
import tempfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import SAMPLES
from sipdiag.dissect import read_messages
from sipdiag.errors import InputError
from sipdiag.sip.message import SipMessage

CAPTURES = sorted(p for p in (SAMPLES / "synthetic").iterdir() if p.suffix in (".pcap", ".pcapng"))
SEEDS = {p.name: p.read_bytes() for p in CAPTURES}


@st.composite
def mutated_capture(draw):
    name = draw(st.sampled_from(sorted(SEEDS)))
    data = bytearray(SEEDS[name])
    for _ in range(draw(st.integers(1, 12))):
        if len(data) < 2:
            break
        i = draw(st.integers(0, len(data) - 1))
        op = draw(st.sampled_from(["flip", "flip", "overwrite", "delete", "dup", "cut", "length"]))
        if op == "flip":
            data[i] ^= 1 << draw(st.integers(0, 7))
        elif op == "overwrite":
            data[i : i + 4] = draw(st.binary(min_size=1, max_size=4))
        elif op == "delete":
            del data[i : i + draw(st.integers(1, 64))]
        elif op == "dup":
            data[i:i] = data[i : i + draw(st.integers(1, 200))]
        elif op == "cut":
            del data[max(i, 4):]
        else:  # plant an extreme 32-bit value: lengths, sequence numbers, interface ids
            data[i : i + 4] = struct.pack("<I", draw(st.sampled_from([0, 1, 0xFFFF, 0x7FFFFFFF, 0xFFFFFFFF])))
    packed = draw(st.booleans())
    return name, gzip.compress(bytes(data), mtime=0) if packed else bytes(data)


def read_all(data: bytes, suffix: str) -> None:
    fd, path = tempfile.mkstemp(suffix=suffix)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        try:
            source, items = read_messages(path)
            for item in items:  # a capture damaged before its first packet ends in InputError
                if isinstance(item, SipMessage):
                    _ = (item.vias, item.contacts, item.sdp, item.authorization, item.challenge, item.to_json())
        except InputError:
            return
        assert source.summary.packets >= 0
        for warning in source.summary.warnings:
            assert str(warning)
    finally:
        os.unlink(path)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_capture())
def test_mutated_captures_never_raise(case):
    name, data = case
    read_all(data, ".pcap.gz" if data[:2] == b"\x1f\x8b" else ".pcap")


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=300), st.sampled_from([b"\xd4\xc3\xb2\xa1", b"\xa1\xb2\x3c\x4d", b"\x0a\x0d\x0d\x0a"]))
def test_random_bytes_after_a_capture_magic_never_raise(tail, magic):
    read_all(magic + tail, ".pcap")
