"""The synthetic captures of samples/synthetic/: exact SIP messages sipdiag must list in each.

Each file covers something the public corpus lacks (file format variants, link types,
tunnels, fragments, TCP reassembly cases, SCTP, WebSocket, SIP syntax). The rows here are
(frame, source, destination, transport, start line, Call-ID, CSeq); the same files are also
compared with tshark in test_oracle.py.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from conftest import SAMPLES
from sipdiag.dissect import read_messages
from sipdiag.sip.message import Anomaly, SipMessage

SYNTHETIC = SAMPLES / "synthetic"
A, B = "192.0.2.10:5060", "198.51.100.20:5060"
A6, B6 = "[2001:db8::10]:5060", "[2001:db8::20]:5060"
T0 = 1_700_000_000


def read(name: str):
    """(summary, messages, anomalies) of one synthetic file."""
    source, items = read_messages(str(SYNTHETIC / name))
    items = list(items)
    return (source.summary, [i for i in items if isinstance(i, SipMessage)],
            [i for i in items if isinstance(i, Anomaly)])


def rows(messages) -> list[tuple]:
    return [
        (m.origin.frame, str(m.src), str(m.dst), m.transport, m.start_line, m.call_id,
         f"{m.cseq[0]} {m.cseq[1]}" if m.cseq else None)
        for m in messages
    ]


def register_pair(call_id: str, a: str = A, b: str = B, frames=(1, 2)) -> list[tuple]:
    return [
        (frames[0], a, b, "UDP", "REGISTER sip:example.com SIP/2.0", call_id, "1 REGISTER"),
        (frames[1], b, a, "UDP", "SIP/2.0 200 OK", call_id, "1 REGISTER"),
    ]


SIMPLE = {
    # file: (format, link types, expected rows)
    "pcap-be-usec.pcap": ("pcap", {"Ethernet"}, register_pair("pcap-be-usec")),
    "pcap-le-nsec.pcap": ("pcap", {"Ethernet"}, register_pair("pcap-le-nsec")),
    "pcap-be-nsec.pcap": ("pcap", {"Ethernet"}, register_pair("pcap-be-nsec")),
    "gzipped.pcap.gz": ("pcap+gzip", {"Ethernet"}, register_pair("gzipped")),
    "link-vlan.pcap": ("pcap", {"Ethernet"}, register_pair("vlan")),
    "link-qinq.pcap": ("pcap", {"Ethernet"}, register_pair("qinq")),
    "link-sll.pcap": ("pcap", {"Linux cooked (SLL)"}, register_pair("sll")),
    "link-sll2.pcap": ("pcap", {"Linux cooked v2 (SLL2)"}, register_pair("sll2", A6, B6)),
    "link-ipv4-228.pcap": ("pcap", {"raw IPv4"}, register_pair("raw228")),
    "link-ipv6-229.pcap": ("pcap", {"raw IPv6"}, register_pair("raw229", A6, B6)),
    "link-raw-101.pcap": ("pcap", {"raw IP"},
                          sorted(register_pair("raw101-v4", frames=(1, 3))
                                 + register_pair("raw101-v6", A6, B6, frames=(2, 4)))),
    "link-null.pcap": ("pcap", {"BSD loopback"},
                       register_pair("null-v4") + register_pair("null-v6", A6, B6, frames=(3, 4))),
    "pcapng-two-sections.pcapng": ("pcapng", {"Ethernet", "raw IPv4"}, register_pair("ng-be")),
    "pcapng-interfaces.pcapng": (
        "pcapng", {"Ethernet", "Linux cooked v2 (SLL2)", "raw IP", "BSD loopback"},
        [*register_pair("ng-eth", frames=(1, 3))[:1], *register_pair("ng-sll2", frames=(2, 4))[:1],
         *register_pair("ng-eth", frames=(1, 3))[1:], *register_pair("ng-sll2", frames=(2, 4))[1:],
         *register_pair("ng-raw6", A6, B6, frames=(5, 6)), *register_pair("ng-null", frames=(7, 8))],
    ),
    "tunnel-ipip.pcap": ("pcap", {"Ethernet"}, register_pair("ipip")),
    "tunnel-6in4.pcap": ("pcap", {"Ethernet"}, register_pair("6in4", A6, B6)),
    "tunnel-gre.pcap": ("pcap", {"Ethernet"}, register_pair("gre-ip") + register_pair("gre-eth", frames=(3, 4))),
    "tunnel-erspan.pcap": ("pcap", {"Ethernet"}, register_pair("erspan-1") + register_pair("erspan-2", frames=(3, 4))
                           + register_pair("erspan-3", frames=(5, 6)) + register_pair("erspan-3p", frames=(7, 8))),
    "tunnel-vxlan.pcap": ("pcap", {"Ethernet"}, register_pair("vxlan")),
}


@pytest.mark.parametrize("name", sorted(SIMPLE))
def test_simple_files(name):
    fmt, links, expected = SIMPLE[name]
    summary, messages, anomalies = read(name)
    assert rows(messages) == expected
    assert summary.format == fmt
    assert summary.link_types == links
    assert summary.warnings == []
    assert anomalies == []
    assert all(list(m.anomalies) == [] for m in messages)


@pytest.mark.parametrize("name, fraction", [
    ("pcap-be-usec.pcap", 0.0), ("pcap-le-nsec.pcap", 123e-9), ("pcap-be-nsec.pcap", 123e-9),
])
def test_timestamps_in_both_byte_orders_and_resolutions(name, fraction):
    _, messages, _ = read(name)
    assert [m.time for m in messages] == pytest.approx([T0 + fraction, T0 + 0.1 + fraction], abs=1e-6)


def test_pcapng_timestamps_per_interface_resolution():
    _, messages, _ = read("pcapng-interfaces.pcapng")
    # frame 3 is a Simple Packet Block: no timestamp
    assert [m.time for m in messages] == [T0, T0 + 0.1, None, T0 + 0.3, T0 + 0.4, T0 + 0.5, T0 + 0.6, T0 + 0.7]


@pytest.mark.parametrize("name, tunnel", [
    ("tunnel-ipip.pcap", ["IPIP"] * 2),
    ("tunnel-6in4.pcap", ["6in4"] * 2),
    ("tunnel-gre.pcap", ["GRE"] * 4),
    ("tunnel-erspan.pcap", ["ERSPAN-I"] * 2 + ["ERSPAN-II"] * 2 + ["ERSPAN-III"] * 4),
    ("tunnel-vxlan.pcap", ["VXLAN"] * 2),
    ("link-vlan.pcap", [None] * 2),
])
def test_tunnel_is_recorded(name, tunnel):
    summary, messages, _ = read(name)
    assert [m.tunnel for m in messages] == tunnel
    assert summary.facts.get("tunnelled_packets", 0) == sum(1 for t in tunnel if t)


def test_ipv4_fragments_in_and_out_of_order():
    summary, messages, _ = read("ipv4-fragments.pcap")
    invite = "INVITE sip:bob@198.51.100.20 SIP/2.0"
    assert rows(messages) == [
        (3, A, B, "UDP", invite, "frag4-a", "1 INVITE"),  # 3 fragments, in order
        (4, B, A, "UDP", "SIP/2.0 100 Trying", "frag4-a", "1 INVITE"),
        (7, A, B, "UDP", invite, "frag4-b", "1 INVITE"),  # last fragment first, first one second
    ]
    assert [m.ip_fragments for m in messages] == [3, 1, 3]
    assert messages[0].sdp is not None and messages[0].sdp.media[0].port == 4000
    assert summary.facts["ip_fragmented_datagrams"] == 2
    assert all(list(m.anomalies) == [] for m in messages)


def test_ipv6_fragments_with_extension_headers():
    summary, messages, _ = read("ipv6-fragments.pcap")
    invite = "INVITE sip:bob@[2001:db8::20] SIP/2.0"
    assert rows(messages) == [
        (3, A6, B6, "UDP", invite, "frag6-a", "1 INVITE"),  # hop-by-hop + dest-opts before the fragment header
        (4, B6, A6, "UDP", "SIP/2.0 100 Trying", "frag6-a", "1 INVITE"),
        (7, A6, B6, "UDP", invite, "frag6-b", "1 INVITE"),  # dest-opts after the fragment header
    ]
    assert [m.ip_fragments for m in messages] == [3, 1, 3]
    assert all(list(m.anomalies) == [] for m in messages)
    assert summary.warnings == []


def test_tcp_reassembly():
    summary, messages, anomalies = read("tcp-reassembly.pcap")
    a, b = "192.0.2.10:40001", B
    assert rows(messages) == [
        (4, a, b, "TCP", "REGISTER sip:example.com;transport=tcp SIP/2.0", "tcp-reg", "1 REGISTER"),
        (4, a, b, "TCP", "OPTIONS sip:example.com SIP/2.0", "tcp-opt", "1 OPTIONS"),  # same segment
        (5, b, a, "TCP", "SIP/2.0 401 Unauthorized", "tcp-reg", "1 REGISTER"),
        (6, b, a, "TCP", "SIP/2.0 200 OK", "tcp-opt", "1 OPTIONS"),
        # frames 7/8 are CRLF keep-alives; 9-13 carry the INVITE out of order with a retransmission
        (13, a, b, "TCP", "INVITE sip:bob@example.com;transport=tcp SIP/2.0", "tcp-call", "1 INVITE"),
        (14, b, a, "TCP", "SIP/2.0 100 Trying", "tcp-call", "1 INVITE"),  # 15 retransmits it: no duplicate
        (17, b, a, "TCP", "SIP/2.0 200 OK", "tcp-call", "1 INVITE"),  # 17 overlaps 16
        (18, a, b, "TCP", "ACK sip:bob@198.51.100.20:5060;transport=tcp SIP/2.0", "tcp-call", "1 ACK"),
        (18, a, b, "TCP", "BYE sip:bob@198.51.100.20:5060;transport=tcp SIP/2.0", "tcp-call", "2 BYE"),
        (19, b, a, "TCP", "SIP/2.0 200 OK", "tcp-call", "2 BYE"),
    ]
    invite, ok = messages[4], messages[6]
    assert invite.tcp_segments == 4 and invite.first_origin.frame == 9
    assert ok.tcp_segments == 2 and ok.sdp.media[0].port == 5000
    assert anomalies == [] and all(list(m.anomalies) == [] for m in messages)
    assert summary.facts["tcp_retransmissions"] == 2
    assert summary.facts["tcp_out_of_order"] == 1
    assert "tcp_gaps" not in summary.facts and summary.warnings == []


def test_tcp_stream_picked_up_midway():
    summary, messages, anomalies = read("tcp-midstream.pcap")
    a, b = "192.0.2.10:40002", B
    assert rows(messages) == [
        (1, a, b, "TCP", "INFO sip:bob@198.51.100.20;transport=tcp SIP/2.0", "mid-call", "2 INFO"),
        (2, b, a, "TCP", "SIP/2.0 200 OK", "mid-call", "2 INFO"),
        (3, a, b, "TCP", "BYE sip:bob@198.51.100.20;transport=tcp SIP/2.0", "mid-call", "3 BYE"),
        (4, b, a, "TCP", "SIP/2.0 200 OK", "mid-call", "3 BYE"),
    ]
    assert messages[0].body == b"Signal=5\r\nDuration=160\r\n"
    assert anomalies == []  # the body tail before INFO is expected when picking up mid-way
    assert summary.facts["tcp_streams_picked_up_midway"] == 2


def test_tcp_lost_segment_then_more_messages():
    summary, messages, anomalies = read("tcp-gap.pcap")
    a, b = "192.0.2.10:40003", B
    assert rows(messages) == [
        (4, a, b, "TCP", "REGISTER sip:example.com SIP/2.0", "gap-reg", "1 REGISTER"),
        (5, b, a, "TCP", "SIP/2.0 401 Unauthorized", "gap-reg", "1 REGISTER"),
        # REGISTER 2 and the start of OPTIONS were lost; MESSAGE follows in the same segment
        (7, a, b, "TCP", "MESSAGE sip:bob@example.com SIP/2.0", "gap-msg", "1 MESSAGE"),
        (8, b, a, "TCP", "SIP/2.0 200 OK", "gap-reg", "2 REGISTER"),
        (9, b, a, "TCP", "SIP/2.0 200 OK", "gap-opt", "1 OPTIONS"),
        (10, a, b, "TCP", "SUBSCRIBE sip:bob@example.com SIP/2.0", "gap-sub", "1 SUBSCRIBE"),
        (11, b, a, "TCP", "SIP/2.0 200 OK", "gap-msg", "1 MESSAGE"),
        (12, b, a, "TCP", "SIP/2.0 200 OK", "gap-sub", "1 SUBSCRIBE"),
    ]
    assert messages[2].body == b"hello"
    assert [(x.name, x.origin.frame) for x in anomalies] == [("stream-gap", 7)]
    assert anomalies[0].raw.startswith(b"REGISTER sip:example.com SIP/2.0\r\n")
    assert summary.facts["tcp_gaps"] == 1
    assert any("hole" in w.text for w in summary.warnings)


def test_sip_trunk_on_tcp_6060_found_by_content():
    _, messages, _ = read("tcp-port-6060.pcap")
    a, b = "198.51.100.20:6060", "203.0.113.50:6060"
    ruri = "sip:+15551234567@203.0.113.50:6060;transport=tcp;user=phone"
    assert rows(messages) == [
        (4, a, b, "TCP", f"INVITE {ruri} SIP/2.0", "trunk-6060", "1 INVITE"),
        (5, b, a, "TCP", "SIP/2.0 100 Trying", "trunk-6060", "1 INVITE"),
        (6, b, a, "TCP", "SIP/2.0 180 Ringing", "trunk-6060", "1 INVITE"),
        (7, b, a, "TCP", "SIP/2.0 486 Busy Here", "trunk-6060", "1 INVITE"),
        (8, a, b, "TCP", f"ACK {ruri} SIP/2.0", "trunk-6060", "1 ACK"),
    ]


def test_sctp_data_chunks():
    _, messages, anomalies = read("sctp.pcap")
    assert rows(messages) == [
        (1, A, B, "SCTP", "OPTIONS sip:pbx@198.51.100.20;transport=sctp SIP/2.0", "sctp-1", "1 OPTIONS"),
        (2, B, A, "SCTP", "SIP/2.0 200 OK", "sctp-1", "1 OPTIONS"),  # after a SACK chunk
        (3, A, B, "SCTP", "MESSAGE sip:bob@example.com SIP/2.0", "sctp-2", "1 MESSAGE"),  # two DATA chunks
        (3, A, B, "SCTP", "MESSAGE sip:bob@example.com SIP/2.0", "sctp-2", "2 MESSAGE"),
        (6, A, B, "SCTP", "INVITE sip:bob@198.51.100.20 SIP/2.0", "sctp-3", "1 INVITE"),  # 3 fragments, 4-6-5
        (8, A, B, "SCTP", "INFO sip:bob@198.51.100.20;transport=sctp SIP/2.0", "sctp-3", "2 INFO"),  # I-DATA
    ]
    assert [m.body for m in messages[2:4]] == [b"one", b"two"]
    assert messages[4].sdp.media[0].port == 4000 and list(messages[4].anomalies) == []
    assert messages[5].body == b"Signal=1\r\nDuration=100\r\n"
    assert anomalies == []


def test_websocket():
    summary, messages, anomalies = read("websocket.pcap")
    a, b = "192.0.2.10:50001", "198.51.100.20:8088"
    c = "192.0.2.10:50002"
    assert rows(messages) == [
        (6, a, b, "WS", "REGISTER sip:example.com SIP/2.0", "ws-reg", "1 REGISTER"),  # masked
        (7, b, a, "WS", "SIP/2.0 401 Unauthorized", "ws-reg", "1 REGISTER"),
        # frames 8-12: three fragments, a ping between them, the last frame split over two segments
        (12, a, b, "WS", "REGISTER sip:example.com SIP/2.0", "ws-reg", "2 REGISTER"),
        (13, b, a, "WS", "SIP/2.0 200 OK", "ws-reg", "2 REGISTER"),
        # permessage-deflate, the second server message uses the first as its dictionary
        (19, c, b, "WS", "INVITE sip:bob@example.com SIP/2.0", "ws-deflate", "1 INVITE"),
        (20, b, c, "WS", "SIP/2.0 100 Trying", "ws-deflate", "1 INVITE"),
        (21, b, c, "WS", "SIP/2.0 180 Ringing", "ws-deflate", "1 INVITE"),
    ]
    assert messages[2].authorization.get("username") == "alice"
    assert messages[4].sdp.media[0].port == 4010
    assert anomalies == [] and all(list(m.anomalies) == [] for m in messages)
    assert summary.warnings == []


def test_udp_datagram_with_two_messages_and_sip_syntax():
    _, messages, anomalies = read("udp-syntax.pcap")
    invite = "INVITE sip:+15551234567;npdi;rn=+15550000000@[2001:db8::20]:5060;user=phone SIP/2.0"
    call = "compact-folded@[2001:db8::10]"
    assert rows(messages) == [
        (1, B, A, "UDP", "NOTIFY sip:alice@192.0.2.10:5060 SIP/2.0", "udp-two", "5 NOTIFY"),
        (1, B, A, "UDP", "SIP/2.0 200 OK", "udp-two-b", "7 OPTIONS"),
        (2, A6, B6, "UDP", invite, call, "1 INVITE"),  # frame 3 is a keep-alive datagram: nothing
        (4, B6, A6, "UDP", "SIP/2.0 200 OK", call, "1 INVITE"),
    ]
    assert anomalies == []
    assert list(messages[0].anomalies) == []
    assert [x.name for x in messages[1].anomalies] == ["bundled-message"]
    inv = messages[2]
    assert list(inv.anomalies) == []
    assert inv.ruri.user == "+15551234567;npdi;rn=+15550000000"
    assert inv.ruri.host == "[2001:db8::20]" and inv.ruri.port == 5060 and inv.ruri.params == {"user": "phone"}
    assert inv.from_.display == "Alice, A." and inv.from_.tag == "c1"
    assert inv.from_.uri.bare_host == "2001:db8::10"
    assert inv.to.uri.scheme == "tel" and inv.to.uri.user == "+1-555-123-4567"
    assert inv.to.uri.params == {"phone-context": "example.com"}
    assert inv.top_via.host == "2001:db8::10" and inv.top_via.has_rport and inv.top_via.rport is None
    assert inv.header("Subject") == "a folded subject line"
    assert inv.header_values("Supported") == ["timer", "100rel"]
    assert inv.contacts[0].uri.port == 5060 and inv.contacts[0].params == {"expires": "60"}
    assert [t for t, _ in inv.body_parts] == ["application/sdp", "text/plain"]
    assert inv.sdp.connection == "2001:db8::10" and inv.sdp.media[0].codecs[:2] == ["PCMU/8000", "PCMA/8000"]
    ok = messages[3]
    assert ok.top_via.received == "2001:db8::10" and ok.top_via.rport == 5060


def test_samples_are_what_the_script_makes():
    pytest.importorskip("scapy")
    result = subprocess.run([sys.executable, str(SYNTHETIC / "make_samples.py"), "--check"],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
