"""The SIP/SDP parser and the stream framer: real messages, hand-written edge cases, fuzzing.

Real messages come from the corpus captures through sipdiag (skipped when the corpus is
absent). Parsers are tested three ways (STYLE.md §10): the whole input, one byte at a time,
and with trailing data; hypothesis checks that random and mutated bytes never raise.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import SAMPLES, corpus_file, corpus_files
from sipdiag.dissect import read_messages
from sipdiag.errors import InputError
from sipdiag.sip.framing import StreamFramer, looks_like_sip, split_datagram
from sipdiag.sip.grammar import canonical_header, number
from sipdiag.sip.headers import (
    parse_credentials,
    parse_cseq,
    parse_name_addr,
    parse_uri,
    parse_via,
    split_list,
)
from sipdiag.sip.message import Anomaly, SipMessage
from sipdiag.sip.parser import parse_message
from sipdiag.sip.sdp import parse_sdp
from sipdiag.sources.frame import Origin

HERE = Origin("test.txt", frame=1)


def parse(text: str | bytes, transport: str = "UDP") -> SipMessage:
    data = text.encode() if isinstance(text, str) else text
    msg = parse_message(data, origin=HERE, transport=transport)
    assert isinstance(msg, SipMessage), msg
    return msg


def names(msg: SipMessage) -> list[str]:
    return [a.name for a in msg.anomalies]


def message(start: str, *headers: str, body: str = "", length: int | None = None) -> str:
    """A message with the mandatory headers; `length` overrides the Content-Length."""
    lines = [start, "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-1", "From: <sip:a@example.com>;tag=1",
             "To: <sip:b@example.com>", "Call-ID: c1@example.com", "CSeq: 1 " + (
                 start.split()[0] if not start.startswith("SIP/") else "INVITE"), *headers,
             f"Content-Length: {len(body.encode()) if length is None else length}"]
    return "\r\n".join(lines) + "\r\n\r\n" + body


# --- real messages from the corpus ------------------------------------------------------------------

def corpus_messages(relative: str) -> dict[int, SipMessage]:
    _, items = read_messages(str(corpus_file(relative)))
    return {m.origin.frame: m for m in items if isinstance(m, SipMessage)}


def test_real_register_challenge_and_credentials():
    msgs = corpus_messages("lab/lab-01-register-auth-ok-nat.pcap")
    reg, challenge, auth, ok = msgs[1], msgs[2], msgs[3], msgs[4]
    assert reg.method == "REGISTER" and str(reg.ruri) == "sip:tenant-a.example.com"
    via = reg.top_via
    assert (via.transport, via.host, via.port, via.branch) == ("UDP", "192.0.2.30", 5060, "z9hG4bK591d2d70a77facd3")
    assert via.has_rport and via.rport is None and via.received is None
    contact = reg.contacts[0]
    assert contact.uri.user == "401-0x5654c3632b80" and contact.uri.port == 5060
    assert contact.params == {"expires": "600", "+sip.instance": "<urn:uuid:42385c67-3ffd-1781-08cd-550bc26419bf>"}
    assert reg.routes[0].uri.params == {"lr": None}
    assert reg.header_values("Allow")[:3] == ["INVITE", "ACK", "BYE"]
    assert reg.to.tag is None and reg.from_.tag == "4cf6259b8fdd0837"
    assert reg.cseq == (6705, "REGISTER") and reg.user_agent == "baresip v1.0.0 (x86_64/linux)"

    assert (challenge.status, challenge.reason) == (401, "Unauthorized")
    assert challenge.challenge.scheme == "Digest"
    assert challenge.challenge.params == {
        "realm": "tenant-a.example.com", "nonce": "awNHjGsDRmAqcyEhBDrqKUTgFVu4iHTM", "qop": "auth"}
    assert challenge.top_via.rport == 57984 and challenge.top_via.received == "203.0.113.88"

    creds = auth.authorization
    assert creds.get("username") == "401" and creds.get("uri") == "sip:tenant-a.example.com"
    assert creds.get("qop") == "auth" and creds.get("nc") == "00000001"  # unquoted values
    assert creds.get("response") == "3be6a77b1247e7422603305db0bde172"

    assert ok.status == 200 and ok.contacts[0].params["received"] == "sip:203.0.113.88:57984"
    assert all(list(m.anomalies) == [] for m in msgs.values())


def test_real_invite_with_rich_sdp():
    msgs = corpus_messages("lab/lab-09-udp-big-invite-ip-fragmented.pcap")
    invite, answer = msgs[6], msgs[12]
    assert invite.ip_fragments == 2 and list(invite.anomalies) == []  # "Content-Length:  1295" (two spaces)
    assert invite.from_.display == "PBX tenant-a" and invite.from_.uri.user == "2000"
    assert parse_name_addr(invite.header("P-Asserted-Identity")).display == "Reception Desk tenant-a"
    assert invite.header_values("Supported") == ["replaces", "timer", "path", "100rel"]
    sdp = invite.sdp
    assert sdp.origin_address == "198.51.100.10" and sdp.connection == "198.51.100.10"
    audio, video = sdp.media
    assert (audio.kind, audio.port, audio.proto) == ("audio", 16000, "RTP/AVP")
    assert audio.codecs[:4] == ["PCMU/8000", "PCMA/8000", "G722/8000", "G729/8000"]
    assert audio.codecs[5] == "opus/48000/2" and audio.codecs[-1] == "telephone-event/8000"
    assert audio.rtcp == "16001 IN IP4 198.51.100.10" and audio.crypto and audio.ice_candidates == 4
    assert audio.direction == "sendrecv" and audio.connection == "198.51.100.10"
    assert (video.kind, video.port, video.direction) == ("video", 0, "inactive")  # disabled stream
    assert [v.sent_by for v in answer.vias] == ["198.51.100.2", "198.51.100.10:5060"]
    assert answer.vias[1].rport == 5060 and answer.vias[1].branch == "z9hG4bK-25330-1-0"
    assert answer.record_routes[0].uri.host == "198.51.100.2"
    assert answer.sdp.media[0].codecs == ["PCMU/8000", "PCMA/8000", "telephone-event/8000"]


def test_real_ipv6_call():
    msgs = corpus_messages("public/sip_ipv6_udp_invite_bye.pcap")
    invite = next(m for m in msgs.values() if m.method == "INVITE")
    assert invite.ruri is not None and invite.src.ip is not None and ":" in invite.src.ip
    assert invite.top_via is not None and ":" in invite.top_via.host
    assert invite.sdp is not None and ":" in (invite.sdp.media[0].connection or "")


def all_corpus_messages() -> list:
    out = []
    for path in corpus_files("public", ("*.pcap", "*.pcapng", "*.cap")) + corpus_files("lab", ("*.pcap",)):
        _, items = read_messages(str(path))
        for item in items:
            if isinstance(item, SipMessage):
                out.append(item)
    return out


@pytest.fixture(scope="module")
def real_messages():
    messages = all_corpus_messages()
    if not messages:
        pytest.skip("corpus not available")
    return messages


def test_every_real_message_parses_the_same_from_its_raw_bytes(real_messages):
    for m in real_messages:
        again = parse_message(m.raw, origin=m.origin, transport=m.transport)
        assert isinstance(again, SipMessage)
        assert (again.start_line, again.headers, again.body) == (m.start_line, m.headers, m.body)


def test_every_real_message_frames_the_same_three_ways(real_messages):
    """Whole, one byte at a time and with trailing data, every real message with a correct
    Content-Length comes out of the stream framer unchanged."""
    framed = [m for m in real_messages if m.header("Content-Length") and not m.anomalies]
    assert len(framed) > 500
    # a datagram may carry CR/LF after the body; on a stream those are keep-alives, not the message
    expected = [m.raw[: m.raw.index(b"\r\n\r\n") + 4 + number(m.header("Content-Length"))] for m in framed]
    stream = b"".join(m.raw for m in framed)
    assert frame_all([stream]) == expected
    assert frame_all([stream[i : i + 1] for i in range(min(len(stream), 60_000))]) == \
        [raw for raw in expected if sum(len(r) for r in expected[: expected.index(raw) + 1]) <= 60_000]
    trailing = frame_all([stream + b"INVITE sip:x SIP/2.0\r\nContent-Length: 10\r\n\r\nabc"])
    assert trailing == expected


# --- stream framer, three ways ---------------------------------------------------------------------

def frame_all(chunks: list[bytes]) -> list[bytes]:
    framer = StreamFramer()
    out = []
    for i, chunk in enumerate(chunks):
        messages, problems = framer.feed(chunk, Origin("s", frame=i + 1), None)
        out += [m.data for m in messages]
    return out


M1 = message("REGISTER sip:example.com SIP/2.0").encode()
M2 = message("SIP/2.0 200 OK", body="v=0\r\n").encode()
M3 = message("MESSAGE sip:b@example.com SIP/2.0", "Content-Type: text/plain", body="héllo").encode()
STREAM = M1 + b"\r\n\r\n" + M2 + b"\r\n" + M3  # with CRLF keep-alives between messages


def test_framer_whole_input():
    assert frame_all([STREAM]) == [M1, M2, M3]


def test_framer_one_byte_at_a_time():
    assert frame_all([STREAM[i : i + 1] for i in range(len(STREAM))]) == [M1, M2, M3]


def test_framer_with_trailing_data():
    framer = StreamFramer()
    messages, problems = framer.feed(STREAM + M1[:30], Origin("s", frame=1), None)
    assert [m.data for m in messages] == [M1, M2, M3] and problems == []
    problem = framer.finish()
    assert problem.name == "incomplete-message" and problem.raw == M1[:30]


def test_framer_attributes_a_message_to_the_chunk_that_completed_it():
    framer = StreamFramer()
    out = []
    for n, piece in enumerate((M1[:10], M1[10:50], M1[50:] + M2[:5]), start=1):
        out += framer.feed(piece, Origin("s", frame=n), float(n))[0]
    (m,) = out
    assert (m.data, m.origin.frame, m.first_origin.frame, m.segments, m.time) == (M1, 3, 1, 3, 3.0)


def test_framer_resynchronises_after_junk_and_gaps():
    framer = StreamFramer()
    msgs, problems = framer.feed(M1 + b"garbage that is not SIP\r\n" + M2, Origin("s", frame=1), None)
    assert [m.data for m in msgs] == [M1, M2]
    assert [p.name for p in problems] == ["stream-junk"]
    msgs, problems = framer.feed(M3[:40], Origin("s", frame=2), None)
    msgs, problems = framer.feed(M3[60:] + M1, Origin("s", frame=3), None, gap_before=True)
    assert [m.data for m in msgs] == [M1]
    assert [(p.name, p.raw) for p in problems] == [("stream-gap", M3[:40])]


def test_framer_after_a_gap_on_a_long_connection_is_not_abandoned():
    framer = StreamFramer()
    long_run = M1 * (80_000 // len(M1))  # more than NON_SIP_LIMIT of SIP
    assert len(framer.feed(long_run, Origin("s", frame=1), None)[0]) == len(long_run) // len(M1)
    body_only = M3[len(M3) - 3 :]
    msgs, problems = framer.feed(body_only, Origin("s", frame=2), None, gap_before=True)
    assert msgs == [] and not framer.abandoned
    msgs, problems = framer.feed(M2, Origin("s", frame=3), None)
    assert [m.data for m in msgs] == [M2]
    assert [p.name for p in problems] == ["stream-gap"]  # the orphaned body bytes


def test_framer_abandons_a_stream_that_never_shows_sip():
    framer = StreamFramer()
    for i in range(70):
        framer.feed(b"x" * 1024, Origin("s", frame=i + 1), None)
    assert framer.abandoned
    assert framer.feed(M1, Origin("s", frame=99), None) == ([], [])


def test_framer_implausible_content_length():
    framer = StreamFramer()
    bad = b"INVITE sip:b SIP/2.0\r\nContent-Length: " + b"9" * 5000 + b"\r\n\r\n"
    msgs, problems = framer.feed(bad + M1, Origin("s", frame=1), None)
    assert [m.data for m in msgs] == [M1] and [p.name for p in problems] == ["bad-content-length"]


# --- datagrams ---------------------------------------------------------------------------------------

def test_split_datagram():
    assert split_datagram(M1) == [M1]
    assert split_datagram(b"\r\n\r\n" + M1 + M2) == [M1, M2]
    assert split_datagram(M1 + b"junk") == [M1 + b"junk"]  # not SIP after the body: kept, parser flags it
    no_length = b"OPTIONS sip:a SIP/2.0\r\nCall-ID: x\r\n\r\nbody" + M1
    assert split_datagram(no_length) == [no_length]  # without Content-Length the body runs to the end
    assert split_datagram(b"\r\n\r\n") == []
    assert looks_like_sip(b"\r\n" + M1) and looks_like_sip(b"SIP/2.0 100 Trying\r\n")
    assert not looks_like_sip(b"GET / HTTP/1.1\r\n") and not looks_like_sip(b"\x80\x00RTP")


# --- start line and headers -----------------------------------------------------------------------

def test_request_and_status_lines():
    m = parse(message("INVITE sip:bob@example.com SIP/2.0"))
    assert (m.method, m.request_uri, m.is_request, m.label) == ("INVITE", "sip:bob@example.com", True, "INVITE")
    r = parse(message("SIP/2.0 486 Busy Here"))
    assert (r.status, r.reason, r.is_request, r.label, r.cseq_method) == (486, "Busy Here", False, "486 Busy Here",
                                                                          "INVITE")
    assert parse(message("SIP/2.0 200")).reason == ""  # SIPp-style status line without a phrase
    assert names(parse(message("SIP/2.0 999 Odd"))) == ["bad-status-code"]
    assert isinstance(parse_message(b"HTTP/1.1 200 OK\r\n\r\n", origin=HERE), Anomaly)
    assert parse_message(b"hello", origin=HERE).name == "malformed-start-line"


def test_compact_headers_are_expanded():
    m = parse("INVITE sip:b@example.com SIP/2.0\r\nv: SIP/2.0/TCP h;branch=z9hG4bK-9\r\nf: <sip:a@x>;tag=1\r\n"
              "t: <sip:b@x>\r\ni: abc\r\nCSeq: 1 INVITE\r\nm: <sip:a@h>\r\nk: timer\r\nc: text/plain\r\n"
              "l: 2\r\n\r\nhi")
    assert [n for n, _ in m.headers] == ["Via", "From", "To", "Call-ID", "CSeq", "Contact", "Supported",
                                         "Content-Type", "Content-Length"]
    assert m.call_id == "abc" and m.body == b"hi" and list(m.anomalies) == []
    assert canonical_header("CALL-id") == "Call-ID" and canonical_header("x-my-header") == "X-My-Header"
    assert canonical_header("WWW-authenticate") == "WWW-Authenticate"


def test_folded_and_repeated_headers():
    m = parse(message("INVITE sip:b@example.com SIP/2.0", "Subject: first\r\n part\r\n\tthird",
                      "Route: <sip:p1;lr>", "Route: <sip:p2;lr>, <sip:p3;lr>"))
    assert m.header("subject") == "first part third"
    assert [r.uri.host for r in m.routes] == ["p1", "p2", "p3"]
    assert parse("INVITE sip:b SIP/2.0\r\n folded-first\r\n\r\n").anomalies[0].name == "bad-header-line"


def test_header_line_without_colon_is_an_anomaly_not_a_crash():
    m = parse(message("OPTIONS sip:b@example.com SIP/2.0", "this line has no colon"))
    assert names(m) == ["bad-header-line"]


def test_missing_mandatory_headers_and_cseq_problems():
    m = parse("OPTIONS sip:b SIP/2.0\r\nContent-Length: 0\r\n\r\n")
    assert names(m) == ["missing-header"] and "Via, From, To, Call-ID, CSeq" in m.anomalies[0].detail
    assert "cseq-method-mismatch" in names(parse(message("BYE sip:b SIP/2.0").replace("CSeq: 1 BYE", "CSeq: 1 INVITE")))
    assert "bad-cseq" in names(parse(message("BYE sip:b SIP/2.0").replace("CSeq: 1 BYE", "CSeq: one BYE")))


@pytest.mark.parametrize("text, expected", [
    ("1 INVITE", (1, "INVITE")), ("  42   register ", (42, "REGISTER")), ("12345678901 INVITE", None),
    ("abc INVITE", None), ("1", None), ("²  INVITE", None), (None, None),
])
def test_cseq(text, expected):
    assert parse_cseq(text) == expected


def test_content_length_mismatch_and_truncated_body():
    assert names(parse(message("MESSAGE sip:b SIP/2.0", body="hello", length=3))) == ["content-length-mismatch"]
    assert names(parse(message("MESSAGE sip:b SIP/2.0", body="hello", length=9))) == ["truncated-body"]
    assert names(parse(message("MESSAGE sip:b SIP/2.0", body="hello", length=5))) == []
    assert names(parse(message("MESSAGE sip:b SIP/2.0", body="hi\r\n", length=2))) == []  # trailing CRLF only
    assert names(parse(message("MESSAGE sip:b SIP/2.0", body="hi").replace("Content-Length: 2",
                                                                         "Content-Length: ²"))) == ["bad-content-length"]
    no_length = message("MESSAGE sip:b SIP/2.0", body="hi").replace("Content-Length: 2\r\n", "")
    assert names(parse(no_length, transport="TCP")) == ["missing-content-length"]
    assert names(parse(no_length, transport="UDP")) == []
    assert names(parse(b"OPTIONS sip:b SIP/2.0\r\nVia: x")) [0] in ("unterminated-headers", "missing-header")


def test_numbers_from_peers_never_reach_int_unchecked():
    assert number("42") == 42 and number(" 7 ") == 7
    assert number("²") is None and number("٣") is None and number("9" * 11) is None and number("") is None
    m = parse(message("REGISTER sip:b SIP/2.0", "Expires: ³").replace("branch=z9hG4bK-1", "branch=x;rport=²"))
    assert m.expires is None and m.top_via.rport is None


# --- URIs, name-addr, Via, digest -----------------------------------------------------------------

@pytest.mark.parametrize("text, scheme, user, host, port, params", [
    ("sip:alice@example.com", "sip", "alice", "example.com", None, {}),
    ("sips:alice@example.com:5061;transport=tls", "sips", "alice", "example.com", 5061, {"transport": "tls"}),
    ("sip:alice:secret@192.0.2.1:5070;lr", "sip", "alice", "192.0.2.1", 5070, {"lr": None}),
    ("sip:[2001:db8::1]:5060;transport=udp", "sip", None, "[2001:db8::1]", 5060, {"transport": "udp"}),
    ("sip:bob@[2001:db8::2]", "sip", "bob", "[2001:db8::2]", None, {}),
    ("sip:+15551234567;npdi;rn=+15550000000@gw.example.com;user=phone", "sip",
     "+15551234567;npdi;rn=+15550000000", "gw.example.com", None, {"user": "phone"}),
    ("sip:pbx.example.com?Replaces=a%40b", "sip", None, "pbx.example.com", None, {}),
    ("sip:100@pbx?Replaces=abc@host", "sip", "100", "pbx", None, {}),
    ("tel:+1-201-555-0123;phone-context=example.com", "tel", "+1-201-555-0123", None, None,
     {"phone-context": "example.com"}),
    ("SIP:Bob@Example.COM", "sip", "Bob", "Example.COM", None, {}),
    ("sip:alice@fe80:0:0:0:21a:a0ff:fe07:32e0:5060", "sip", "alice", "[fe80::21a:a0ff:fe07:32e0]", 5060, {}),
])
def test_uris(text, scheme, user, host, port, params):
    uri = parse_uri(text)
    assert (uri.scheme, uri.user, uri.host, uri.port, uri.params) == (scheme, user, host, port, params)
    assert str(uri) == text


def test_uri_helpers_and_garbage():
    uri = parse_uri("sip:bob@[2001:db8::2]:5080;transport=TCP")
    assert uri.bare_host == "2001:db8::2" and uri.host_is_ip and uri.transport == "TCP"
    assert uri.aor == "sip:bob@[2001:db8::2]"
    assert parse_uri("sip:bob@pbx.example.com").host_is_ip is False
    for garbage in ("", None, "no scheme here", "sip:host:99999999", "1234"):
        assert parse_uri(garbage) is None


def test_name_addr():
    na = parse_name_addr('"Smith, \\"Bob\\" <boss>" <sip:bob@example.com;transport=tcp>;tag=abc;expires=60')
    assert na.display == 'Smith, "Bob" <boss>' and na.uri.params == {"transport": "tcp"}
    assert na.tag == "abc" and na.params == {"tag": "abc", "expires": "60"}
    plain = parse_name_addr("Bob Smith <sip:bob@example.com>")
    assert plain.display == "Bob Smith" and plain.uri.user == "bob" and plain.tag is None
    spec = parse_name_addr("sip:alice@example.com;tag=xyz")  # addr-spec: params are header params
    assert spec.uri.params == {} and spec.tag == "xyz"
    assert parse_name_addr("*").uri is None
    assert parse_name_addr("<sip:unclosed@example.com").uri.host == "unclosed@example.com".split("@")[1]
    assert split_list('"a, b" <sip:x>, <sip:y;p=1,2>, sip:z') == ['"a, b" <sip:x>', "<sip:y;p=1,2>", "sip:z"]


@pytest.mark.parametrize("text, transport, host, port, branch, received, has_rport, rport", [
    ("SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK776;rport", "UDP", "192.0.2.1", 5060, "z9hG4bK776", None, True, None),
    ("SIP/2.0/UDP 192.0.2.1;rport=1234;received=203.0.113.5;branch=z9hG4bK1", "UDP", "192.0.2.1", None, "z9hG4bK1",
     "203.0.113.5", True, 1234),
    ("SIP/2.0/TCP [2001:db8::9]:5061;branch=z9hG4bKx", "TCP", "2001:db8::9", 5061, "z9hG4bKx", None, False, None),
    ("SIP / 2.0 / tls pbx.example.com ; branch=z9hG4bKy", "TLS", "pbx.example.com", None, "z9hG4bKy", None, False,
     None),
    ("SIP/2.0/WSS df7jal23ls0d.invalid;branch=z9hG4bKz", "WSS", "df7jal23ls0d.invalid", None, "z9hG4bKz", None,
     False, None),
])
def test_via(text, transport, host, port, branch, received, has_rport, rport):
    via = parse_via(text)
    assert (via.transport, via.host, via.port, via.branch, via.received, via.has_rport, via.rport) == \
        (transport, host, port, branch, received, has_rport, rport)


def test_via_list_in_one_header_and_garbage():
    m = parse(message("OPTIONS sip:b SIP/2.0").replace(
        "Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-1",
        "v: SIP/2.0/UDP p1.example.com;branch=z9hG4bK-a, SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-b"))
    assert [v.host for v in m.vias] == ["p1.example.com", "192.0.2.1"] and m.top_via.branch == "z9hG4bK-a"
    assert parse_via("not a via") is None and parse_via("SIP/2.0/UDP ;branch=x") is None


def test_digest_challenge_and_credentials():
    ch = parse_credentials('Digest realm="asterisk", nonce="1234/abcd", opaque="", algorithm=MD5, '
                           'qop="auth,auth-int", stale=FALSE')
    assert ch.scheme == "Digest"
    assert ch.params == {"realm": "asterisk", "nonce": "1234/abcd", "opaque": "", "algorithm": "MD5",
                         "qop": "auth,auth-int", "stale": "FALSE"}
    cr = parse_credentials('Digest username="10000",realm="asterisk",nonce="n",uri="sip:198.51.100.2;transport=udp",'
                           'response="d41d8cd98f00b204e9800998ecf8427e",cnonce="c",nc=00000001,qop=auth,'
                           'algorithm=MD5, opaque="a\\"b"')
    assert cr.get("USERNAME") == "10000" and cr.get("uri") == "sip:198.51.100.2;transport=udp"
    assert cr.get("nc") == "00000001" and cr.get("opaque") == 'a"b'
    assert parse_credentials(None) is None and parse_credentials("Basic").params == {}


def test_multipart_body_with_sdp():
    boundary = "boundary42"
    body = (f"preamble\r\n--{boundary}\r\nContent-Type: application/sdp\r\n\r\nv=0\r\nc=IN IP4 192.0.2.7\r\n"
            f"m=audio 4000 RTP/AVP 0\r\n\r\n--{boundary}\r\nContent-Type: application/isup; version=itu-t92+\r\n\r\n"
            f"\x01\x02\r\n--{boundary}--\r\nepilogue")
    m = parse(message("INVITE sip:b SIP/2.0", f'Content-Type: multipart/mixed; boundary="{boundary}"', body=body))
    assert [t for t, _ in m.body_parts] == ["application/sdp", "application/isup"]
    assert m.body_parts[1][1] == b"\x01\x02"
    assert m.sdp.media[0].port == 4000 and m.sdp.media[0].connection == "192.0.2.7"
    assert m.content_type == "multipart/mixed" and list(m.anomalies) == []


# --- SDP -------------------------------------------------------------------------------------------

def test_sdp_session_and_media_level():
    sdp = parse_sdp(
        "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\na=sendonly\r\n"
        "m=audio 49170 RTP/AVP 0 97 101\r\na=rtpmap:97 iLBC/8000\r\na=rtpmap:101 telephone-event/8000\r\n"
        "m=video 0 RTP/AVP 31\r\n"
        "m=audio 49180 RTP/SAVP 8\r\nc=IN IP6 2001:db8::5\r\na=recvonly\r\n"
        "m=image 6000 udptl t38\r\nc=IN IP4 224.2.1.1/127\r\na=inactive\r\n"
        "garbage line\r\nm=broken\r\n")
    assert sdp.origin_address == "192.0.2.1" and sdp.direction == "sendonly" and sdp.bad_lines == 2
    audio, video, audio2, image = sdp.media
    assert audio.codecs == ["PCMU/8000", "iLBC/8000", "telephone-event/8000"]
    assert (audio.connection, audio.direction) == ("192.0.2.1", "sendonly")  # both from session level
    assert (video.port, video.codecs) == (0, ["H261/90000"])  # port 0: rejected stream
    assert (audio2.connection, audio2.direction, audio2.proto) == ("2001:db8::5", "recvonly", "RTP/SAVP")
    assert (image.kind, image.connection, image.direction) == ("image", "224.2.1.1", "inactive")


def test_sdp_never_raises_on_nonsense():
    sdp = parse_sdp("m=audio ² RTP/AVP\r\nc=IN\r\na=rtpmap:\r\n=\r\nx\r\n")
    assert sdp.media[0].port == 0 and sdp.media[0].connection is None


# --- property tests --------------------------------------------------------------------------------

def exercise(msg) -> None:
    """Touch every structured view: they parse lazily and must not raise either."""
    if isinstance(msg, SipMessage):
        _ = (msg.call_id, msg.cseq, msg.ruri, msg.vias, msg.from_, msg.to, msg.contacts, msg.routes,
             msg.record_routes, msg.authorization, msg.challenge, msg.expires, msg.sdp, msg.body_parts,
             msg.to_json(), msg.label, msg.cseq_method)
        for via in msg.vias:
            _ = (via.rport, via.sent_by, via.branch)
        for contact in msg.contacts:
            if contact.uri is not None:
                _ = (contact.uri.aor, contact.uri.host_is_ip, contact.uri.transport)


SEEDS = [M1, M2, M3,
         message("INVITE sip:+1;npdi@[2001:db8::1]:5060 SIP/2.0", "Content-Type: multipart/mixed;boundary=b",
                 'WWW-Authenticate: Digest realm="r", qop="auth"', "Contact: <sip:a@[::1]>;expires=5",
                 body="--b\r\nContent-Type: application/sdp\r\n\r\nv=0\r\nm=audio 1 RTP/AVP 0\r\n--b--").encode()]
REAL_SEEDS = [p.read_bytes() for p in sorted((SAMPLES / "synthetic").glob("*.pcap"))[:0]]


@st.composite
def mutated(draw, seeds=tuple(SEEDS)):
    data = bytearray(draw(st.sampled_from(seeds)))
    for _ in range(draw(st.integers(1, 8))):
        if not data:
            break
        op = draw(st.sampled_from(["flip", "delete", "insert", "dup", "cut"]))
        i = draw(st.integers(0, len(data) - 1))
        if op == "flip":
            data[i] ^= draw(st.integers(1, 255))
        elif op == "delete":
            del data[i : i + draw(st.integers(1, 40))]
        elif op == "insert":
            data[i:i] = draw(st.sampled_from([b"\r\n", b"\r\n ", b":", b";", b"<", b'"', b"\x00", b"\xff\xfe",
                                              b"Content-Length: 99999999999999999999\r\n", b"\r\n\r\n", b"@", b"[",
                                              "²".encode(), b"SIP/2.0 200 OK\r\n"]))
        elif op == "dup":
            data[i:i] = data[i : i + draw(st.integers(1, 80))]
        else:
            del data[i:]
    return bytes(data)


FUZZ = settings(max_examples=5000, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.one_of(st.binary(max_size=600), mutated()))
def test_parse_message_never_raises(data):
    result = parse_message(data, origin=HERE, transport="TCP")
    assert isinstance(result, (SipMessage, Anomaly))
    exercise(result)


@FUZZ
@given(st.one_of(st.binary(max_size=600), mutated()))
def test_split_datagram_never_raises_and_loses_nothing(data):
    parts = split_datagram(data)
    rest = data
    for part in parts:  # each part follows the previous one, after nothing but CR/LF keep-alives
        rest = rest.lstrip(b"\r\n")
        assert part and rest.startswith(part)
        rest = rest[len(part):]
    assert not rest.strip(b"\r\n"), "bytes after the last message were dropped"
    for part in parts:
        exercise(parse_message(part, origin=HERE))


@FUZZ
@given(st.lists(st.one_of(st.binary(max_size=200), mutated()), max_size=6), st.lists(st.booleans(), max_size=6))
def test_stream_framer_never_raises(chunks, gaps):
    framer = StreamFramer()
    for i, chunk in enumerate(chunks):
        messages, problems = framer.feed(chunk, Origin("s", frame=i + 1), None, gap_before=gaps[i] if i < len(gaps)
                                         else False)
        for m in messages:
            exercise(parse_message(m.data, origin=m.origin, transport="TCP"))
    framer.finish()


@FUZZ
@given(st.text(max_size=300))
def test_header_value_parsers_never_raise(text):
    parse_uri(text)
    parse_name_addr(text)
    parse_via(text)
    parse_credentials(text)
    parse_cseq(text)
    split_list(text)
    sdp = parse_sdp(text)
    for media in sdp.media:
        _ = media.codecs


# --- the compact header index against the obvious eager parse ---------------------------------------

def eager_headers(data: bytes) -> tuple[list[tuple[str, str]], bytes]:
    """Header lines and body the plain way: split, unfold, expand compact names (RFC 3261 §7.3)."""
    from sipdiag.sip.grammar import HEADER_LINE
    from sipdiag.sip.parser import split_head

    head, body, _ = split_head(data.lstrip(b"\r\n"))
    headers: list[tuple[str, str]] = []
    for line in head.decode("utf-8", "replace").split("\n")[1:]:
        line = line.rstrip("\r")
        if not line:
            continue
        if line[0] in " \t":
            if headers:
                headers[-1] = (headers[-1][0], f"{headers[-1][1]} {line.strip()}".strip())
            continue
        hm = HEADER_LINE.match(line)
        if hm:
            headers.append((canonical_header(hm.group(1)), hm.group(2).strip()))
    return headers, body


def assert_same_as_eager(m: SipMessage) -> None:
    headers, body = eager_headers(m.raw)
    assert m.headers == headers
    assert m.body == body
    for name in {n for n, _ in headers} | {"Via", "Call-ID", "X-Absent"}:
        values = [v for n, v in headers if n.lower() == name.lower()]
        assert m.header(name) == (values[0] if values else None)
        assert m.header(name.upper()) == m.header(name)
    first_call_id = next((v for n, v in headers if n == "Call-ID"), None)
    assert m.call_id == (first_call_id.strip() or None if first_call_id is not None else None)
    assert m.via_count == len(m.vias)
    assert m.top_via == (m.vias[0] if m.vias else None)


def test_compact_index_matches_the_eager_parse_on_real_messages(real_messages):
    for m in real_messages:
        assert_same_as_eager(m)


def test_compact_index_matches_the_eager_parse_on_bundled_samples():
    files = sorted(p for p in SAMPLES.rglob("*") if p.is_file() and p.suffix in (".pcap", ".pcapng", ".log", ".txt"))
    seen = 0
    for path in files:
        try:
            _, items = read_messages(str(path))
            messages = [m for m in items if isinstance(m, SipMessage)]
        except InputError:  # not every bundled file is a trace (README, configs)
            continue
        for m in messages:
            assert_same_as_eager(m)
        seen += len(messages)
    assert seen > 200


def test_compact_index_edge_cases():
    m = parse(message("INVITE sip:b@example.com SIP/2.0", "Subject: first\r\n part", "garbage line",
                      " continues subject", "v: SIP/2.0/UDP 192.0.2.9;branch=z9hG4bK-2, SIP/2.0/TCP h2",
                      "X-Ünïcødé: välue ", "x-ÜNÏCØDÉ: second", "Call-ID: second-call-id"))
    assert m.header("subject") == "first part continues subject"
    assert m.header_values("X-Ünïcødé") == ["välue", "second"]
    assert m.call_id == "c1@example.com" and m.via_count == 3
    assert_same_as_eager(m)
    empty_first = parse(message("OPTIONS sip:b SIP/2.0").replace("Call-ID: c1@example.com",
                                                                 "Call-ID:  \r\nCall-ID: later"))
    assert empty_first.call_id is None and empty_first.header("Call-ID") == ""
    lead = parse(b"\r\n\r\n" + message("OPTIONS sip:b SIP/2.0", body="hello").encode())
    assert lead.body == b"hello" and lead.start_line == "OPTIONS sip:b SIP/2.0"


def test_header_names_beyond_the_table_are_still_found(monkeypatch):
    from sipdiag.sip import grammar

    monkeypatch.setattr(grammar, "MAX_HEADER_NAMES", len(grammar._NAME_IDS))
    monkeypatch.setattr(grammar, "_CANONICAL_OF", {})
    m = parse(message("OPTIONS sip:b SIP/2.0", "X-Never-Seen-Before-1: one", "x-never-seen-before-1: two",
                      "X-Never-Seen-Before-2: three"))
    assert m.header_values("X-NEVER-SEEN-BEFORE-1") == ["one", "two"]
    assert m.header("x-never-seen-before-2") == "three" and m.header("X-Never-Seen-Before-3") is None
    assert m.call_id == "c1@example.com"
    assert_same_as_eager(m)


@FUZZ
@given(st.one_of(st.binary(max_size=600), mutated()))
def test_compact_index_matches_the_eager_parse_on_fuzzed_input(data):
    result = parse_message(data, origin=HERE, transport="TCP")
    if isinstance(result, SipMessage):
        assert_same_as_eager(result)


# --- dissect's one-message fast path gives what split_datagram + parse give ----------------------

SPLITTABLE = st.lists(st.sampled_from([
    b"OPTIONS sip:a SIP/2.0\r\nCall-ID: x\r\n", b"SIP/2.0 200 OK\r\n", b"Content-Length: 3\r\n", b"l: 0\r\n",
    b"Content-Length: 03\r\n", b"Content-Length: 3 x\r\n", b"\r\n", b"\n", b"abc", b"\r\n\r\n",
    b"INVITE sip:b SIP/2.0\r\n", b"CSeq: 1 OPTIONS\r\n", b" folded\r\n", b"L : 3\r\n"]), min_size=1, max_size=12)


@settings(max_examples=400, deadline=None)
@given(SPLITTABLE.map(b"".join))
def test_one_message_fast_path_agrees_with_split_datagram(payload):
    from sipdiag.dissect import _one_message
    from sipdiag.sip.framing import looks_like_sip, split_datagram
    from sipdiag.sources.frame import Endpoint, Frame, Origin

    if not looks_like_sip(payload):
        return
    frame = Frame(Origin("x", frame=1), 0.0, Endpoint("192.0.2.1", 5060), Endpoint("192.0.2.2", 5060), "UDP", payload)
    fast = _one_message(payload, frame)
    if fast is not None:
        assert split_datagram(payload) == [payload]
        slow = parse_message(payload, origin=frame.origin)
        assert (fast.raw, fast.start_line, list(fast.anomalies)) == (slow.raw, slow.start_line, list(slow.anomalies))
