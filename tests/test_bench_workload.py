"""The benchmark's capture generator (benchmarks/workload.py) writes what its sidecar says.

These tests are about the generator's correctness, not about speed: a 2,000-packet capture
is generated, and tshark (skipped when absent) must find exactly the sidecar's SIP messages
per method and status, no malformed packets, no bad IPv4/UDP/TCP checksums and no expert
warnings. A capture with one corrupted checksum shows that the check can fail.
"""

from __future__ import annotations

import shutil
import struct

import pytest

from benchmarks import verify
from benchmarks.workload import Workload, ensure_capture, generate, parse_size

TSHARK = shutil.which("tshark")
needs_tshark = pytest.mark.skipif(TSHARK is None, reason="tshark is not installed")


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    workdir = tmp_path_factory.mktemp("bench")
    return ensure_capture(workdir, Workload(2_000, seed=7), quiet=True)


def test_sidecar_describes_the_mix(small):
    _path, truth = small
    kinds = truth["packets_by_kind"]
    assert truth["packets"] == 2_000 == sum(kinds.values())
    assert kinds["rtp"] > 0 and kinds["sip_udp"] > 0 and kinds["sip_tcp"] > 0
    assert truth["sip_messages"] == sum(truth["sip_requests"].values()) + sum(truth["sip_responses"].values())
    assert {"REGISTER", "INVITE", "ACK", "OPTIONS"} <= set(truth["sip_requests"])
    assert {"200", "401"} <= set(truth["sip_responses"])


def test_same_seed_gives_the_same_bytes(tmp_path, small):
    path, _truth = small
    again = tmp_path / "again.pcap"
    generate(again, Workload(2_000, seed=7))
    assert again.read_bytes() == path.read_bytes()
    other = tmp_path / "other.pcap"
    generate(other, Workload(2_000, seed=8))
    assert other.read_bytes() != path.read_bytes()


def test_sip_only_variant_has_the_same_sip_and_no_rtp(tmp_path):
    _p, full = ensure_capture(tmp_path, Workload(2_000, seed=7), quiet=True)
    _p, sip = ensure_capture(tmp_path, Workload(2_000, seed=7, media=False), quiet=True)
    assert "rtp" not in sip["packets_by_kind"]
    assert sip["packets"] == full["packets"] - full["packets_by_kind"]["rtp"]
    assert (sip["sip_requests"], sip["sip_responses"]) == (full["sip_requests"], full["sip_responses"])


@needs_tshark
def test_tshark_agrees_with_the_sidecar_and_finds_nothing_malformed(small):
    path, truth = small
    result = verify.verify(path, truth)
    assert result.mismatches == []
    assert result.errors == [] and result.warnings == []
    assert result.tshark_messages == truth["sip_messages"]


@needs_tshark
def test_a_bad_checksum_is_caught(tmp_path, small):
    path, truth = small
    data = bytearray(path.read_bytes())
    # The first record: 24-byte file header, 16-byte record header, 14 Ethernet, IPv4 checksum at +10.
    ip_checksum = 24 + 16 + 14 + 10
    data[ip_checksum] ^= 0xFF
    broken = tmp_path / "broken.pcap"
    broken.write_bytes(bytes(data))
    result = verify.verify(broken, truth)
    assert any("checksum" in e.lower() for e in result.errors), result


def test_sip_stat_parser_reads_tshark_tables():
    text = """===================================================================
SIP Statistics

Number of SIP messages: 12
Number of resent SIP messages: 1

* SIP Status Codes in reply packets
  SIP 200 OK              :     5 Packets
  SIP 487 Request Terminated :     1 Packets

* List of SIP Request methods
  INVITE          :     4 Packets
  OPTIONS         :     2 Packets

* Average setup time 1551 ms
 Min 20 ms
 Max 6010 ms
==================================================================="""
    stat = verify.parse_sip_stat(text)
    assert (stat.messages, stat.resent) == (12, 1)
    assert stat.responses == {"200": 5, "487": 1}
    assert stat.requests == {"INVITE": 4, "OPTIONS": 2}
    truth = {"sip_messages": 12, "sip_requests": {"INVITE": 4, "OPTIONS": 3}, "sip_responses": {"200": 5, "487": 1}}
    assert verify.compare(stat, truth) == ["request OPTIONS: tshark 2, ground truth 3"]


@pytest.mark.parametrize("label, expected", [("10k", (10_000, True)), ("1M-sip", (1_000_000, False)),
                                             ("2500", (2_500, True)), ("5M", (5_000_000, True))])
def test_sizes_are_parsed(label, expected):
    assert parse_size(label) == expected


def test_record_headers_are_consistent(small):
    path, truth = small
    data = path.read_bytes()
    offset, frames = 24, 0
    while offset < len(data):
        _s, _us, incl, orig = struct.unpack_from("<IIII", data, offset)
        assert incl == orig
        offset += 16 + incl
        frames += 1
    assert offset == len(data) and frames == truth["packets"]
