"""Text trace readers: real logs first, then synthetic fixtures per format, then damaged input.

Synthetic fixtures live in tests/data/textlogs/ and are rebuilt by make_fixtures.py there.
"""

from __future__ import annotations

import gzip
import re
import zlib
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import pytest
from conftest import corpus_file

from sipdiag.sources.frame import LOCAL, Endpoint, Frame, LogEvent, Origin
from sipdiag.sources.textlogs import READERS, detect
from sipdiag.sources.textlogs.clock import DayClock, parse_timestamp, seconds_of_day
from sipdiag.sources.textlogs.local import local_address
from sipdiag.sources.textlogs.message import parse_endpoint

DATA = Path(__file__).resolve().parent / "data" / "textlogs"
AST01_LOG = "lab/ast-01-aor-404.pjsip-logger.log"
AST01_CONSOLE = "lab/ast-01-aor-404.console.txt"
AST02_LOG = "lab/ast-02-fixed-200.pjsip-logger.log"
AST02_CONSOLE = "lab/ast-02-fixed-200.console.txt"
NAT_LOG = "public/asterisk_pjsip_logger_nat_register_publish489_invite401.log"
WSS_LOG = "public/asterisk_pjsip_logger_wss_webrtc_invite_401_dtls_cert_error.log"
NGREP_LOG = "public/ngrep_byline_opensips_register_401_200_xlite.log"
AST_PEER = Endpoint("203.0.113.88", 12995)
AST_PBX = Endpoint("198.51.100.2", 5060)


class Trace:
    """Everything one reader delivered for a file."""

    def __init__(self, path: Path | str) -> None:
        path = str(path)
        with open(path, "rb") as fh:
            head = fh.read(64 * 1024)
        gzipped = head.startswith(b"\x1f\x8b")
        if gzipped:  # open_input hands detect() the un-gzipped head
            with gzip.open(path, "rb") as fh:
                head = fh.read(64 * 1024)
        reader = detect(path, head, gzipped=gzipped)
        assert reader is not None, f"no reader for {path}"
        self.reader = reader
        self.items = list(reader)
        self.summary = reader.summary
        self.frames = [item for item in self.items if isinstance(item, Frame)]
        self.events = [item for item in self.items if isinstance(item, LogEvent)]

    @property
    def start_lines(self) -> list[str]:
        return [frame.payload.split(b"\r\n", 1)[0].decode() for frame in self.frames]

    @property
    def warnings(self) -> list[str]:
        return [warning.text for warning in self.summary.warnings]

    def event(self, level: str) -> LogEvent:
        matching = [event for event in self.events if event.level == level]
        assert len(matching) == 1, matching
        return matching[0]


def write(tmp_path: Path, data: str | bytes, name: str = "trace.txt") -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def utc(text: str) -> float:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc).timestamp()


def header_value(frame: Frame, name: str) -> str:
    for line in frame.payload.split(b"\r\n\r\n", 1)[0].decode().split("\r\n"):
        if line.lower().startswith(name.lower() + ":"):
            return line.split(":", 1)[1].strip()
    raise AssertionError(f"no {name} header")


def body(frame: Frame) -> bytes:
    return frame.payload.split(b"\r\n\r\n", 1)[1]


AST01_START_LINES = [
    "REGISTER sip:198.51.100.2 SIP/2.0",
    "SIP/2.0 401 Unauthorized",
    "REGISTER sip:198.51.100.2 SIP/2.0",
    "SIP/2.0 404 Not Found",
]


# --- real logs: Asterisk pjsip logger -----------------------------------------------------------

def test_ast01_full_log_messages_directions_addresses_and_times():
    trace = Trace(corpus_file(AST01_LOG))
    assert trace.summary.format == "pjsip-logger"
    assert trace.start_lines == AST01_START_LINES
    assert [f.direction for f in trace.frames] == ["in", "out", "in", "out"]
    assert [f.origin.line for f in trace.frames] == [6, 20, 32, 47]
    assert [(f.src, f.dst) for f in trace.frames] == [(AST_PEER, AST_PBX), (AST_PBX, AST_PEER)] * 2
    assert trace.summary.local_address.startswith("198.51.100.2:5060 (inferred from the Request-URI")
    assert {f.transport for f in trace.frames} == {"UDP"}
    assert all(f.whole_message for f in trace.frames)
    assert trace.frames[0].time == pytest.approx(utc("2026-11-22 19:28:47.166"))
    assert trace.frames[3].time == pytest.approx(utc("2026-11-22 19:28:47.168"))
    assert [len(f.payload) for f in trace.frames] == [522, 483, 779, 334]  # the logger's byte counts
    assert trace.summary.packets == 66
    assert trace.warnings == []


def test_ast01_full_log_warning_event():
    trace = Trace(corpus_file(AST01_LOG))
    warning = trace.event("WARNING")
    assert warning.origin.line == 57
    assert warning.module == "res_pjsip_registrar.c"
    assert warning.function is None
    assert warning.text == "AOR '' not found for endpoint '10000' (203.0.113.88:12995)"
    assert warning.time == pytest.approx(utc("2026-11-22 19:28:47.168"))
    assert warning.raw.startswith("[2026-11-22 19:28:47.168] WARNING[20890] ")
    verbose = [e for e in trace.events if e.level == "VERBOSE"]
    assert verbose[1].module == "logger.c" and verbose[1].text == "Asterisk Queue Logger restarted"
    assert verbose[0].module is None and verbose[0].text.startswith("Asterisk 22.10.1 built by root")


def test_ast01_console_messages_and_warning_with_function():
    trace = Trace(corpus_file(AST01_CONSOLE))
    assert trace.summary.format == "pjsip-logger"
    assert trace.start_lines == AST01_START_LINES
    assert [f.origin.line for f in trace.frames] == [14, 28, 40, 55]
    assert all(f.time is None for f in trace.frames)
    warning = trace.event("WARNING")
    assert (warning.origin.line, warning.function) == (65, "find_registrar_aor")
    assert warning.module == "res_pjsip_registrar.c"
    assert warning.text == "AOR '' not found for endpoint '10000' (203.0.113.88:12995)"
    verbose = [e for e in trace.events if e.level == "VERBOSE"]
    assert [e.text for e in verbose[:2]] == ["Remote UNIX connection", "Remote UNIX connection disconnected"]
    assert all(e.time is None and e.module is None for e in verbose)
    assert not any("CLI>" in e.raw for e in trace.events)  # the user's own commands are not events


@pytest.mark.parametrize("log, console", [(AST01_LOG, AST01_CONSOLE), (AST02_LOG, AST02_CONSOLE)])
def test_full_log_and_console_give_the_same_messages(log, console):
    full, shown = Trace(corpus_file(log)), Trace(corpus_file(console))
    assert [f.payload for f in full.frames] == [f.payload for f in shown.frames]
    assert [(f.src, f.dst, f.direction, f.transport) for f in full.frames] == [
        (f.src, f.dst, f.direction, f.transport) for f in shown.frames
    ]
    # what the two forms really differ in: the log file has times, the console has none
    assert all(f.time is not None for f in full.frames) and all(f.time is None for f in shown.frames)


def test_ast02_registration_and_unregistration():
    trace = Trace(corpus_file(AST02_LOG))
    assert trace.start_lines == AST01_START_LINES[:3] + ["SIP/2.0 200 OK"] + AST01_START_LINES[:3] + ["SIP/2.0 200 OK"]
    assert header_value(trace.frames[3], "Contact") == "<sip:10000-0x5609ae359cb0@192.0.2.30:5060>;expires=59"
    texts = [(e.module, e.text) for e in trace.events if e.level == "VERBOSE"]
    assert ("res_pjsip/pjsip_configuration.c", "Endpoint 10000 is now Reachable") in texts
    added = [e for e in trace.events if e.text.startswith("Added contact")]
    assert added[0].module == "res_pjsip_registrar.c" and added[0].origin.line == 46
    console = Trace(corpus_file(AST02_CONSOLE))
    assert "Endpoint 10000 is now Reachable" in [e.text for e in console.events]  # `  == ` console line


def test_pjsip_full_log_with_call_ids_and_default_date_format(tmp_path):
    """Older set-ups: `[Nov 22 19:28:47]` dates (no year) and `[C-00000001]` call ids after the thread id."""
    text = corpus_file(AST01_LOG).read_bytes().decode()
    text = re.sub(r"\[2026-11-22 (\d\d:\d\d:\d\d)\.\d+\] (\w+)\[(\d+)\]", r"[Nov 22 \1] \2[\3][C-0000002a]", text)
    trace = Trace(write(tmp_path, text))
    assert [f.payload for f in trace.frames] == [f.payload for f in Trace(corpus_file(AST01_LOG)).frames]
    assert trace.frames[0].time == utc("2000-11-22 19:28:47")
    assert trace.event("WARNING").module == "res_pjsip_registrar.c"


def _manifest_counts(name: str) -> Counter:
    manifest = corpus_file("public/MANIFEST.md").read_text()
    section = manifest.split(f"### {name}\n", 1)[1].split("\n### ", 1)[0]
    line = re.search(r"SIP methods / responses[^:]*: (.*)", section).group(1)
    requests, _, responses = line.partition("; responses ")
    counts = Counter()
    for part in requests.split(", ") + responses.split(", "):
        what, times = part.split(" x")
        counts[what] = int(times)
    return counts


def _trace_counts(trace: Trace) -> Counter:
    return Counter(line.split()[1] if line.startswith("SIP/2.0") else line.split()[0] for line in trace.start_lines)


@pytest.mark.parametrize("log", [NAT_LOG, WSS_LOG, NGREP_LOG])
def test_message_counts_match_the_manifest(log):
    assert _trace_counts(Trace(corpus_file(log))) == _manifest_counts(Path(log).name)


def test_nat_log_bodies_events_and_yearless_times():
    trace = Trace(corpus_file(NAT_LOG))
    assert trace.start_lines[9:13] == [
        "SIP/2.0 489 Bad Event", "INVITE sip:alice@118.25.104.104 SIP/2.0",
        "SIP/2.0 401 Unauthorized", "ACK sip:alice@118.25.104.104 SIP/2.0",
    ]
    assert {(f.src if f.direction == "in" else f.dst) for f in trace.frames} == {Endpoint("223.160.194.218", 54808)}
    publish = trace.frames[6]
    assert publish.origin.line == 101 and len(publish.payload) == 797
    assert body(publish).startswith(b"<?xml") and body(publish).endswith(b"</presence>")  # no CRLF after it
    invite = trace.frames[10]
    assert len(body(invite)) == 391 and body(invite).endswith(b"a=rtcp-mux\r\n")
    ack = trace.frames[12]
    assert ack.payload.endswith(b"Max-Forwards: 70\r\n\r\n") and len(ack.payload) == 282  # no Content-Length
    warning = trace.event("WARNING")
    assert (warning.origin.line, warning.module, warning.function) == (
        143, "res_pjsip_pubsub.c", "pubsub_on_rx_publish_request")
    when = datetime.fromtimestamp(warning.time, timezone.utc)
    assert (when.month, when.day, when.hour, when.minute, when.second) == (3, 16, 16, 5, 41)
    assert trace.warnings == ["timestamps carry no year: 2000 assumed (intervals are right, the year is not)"]


def test_wss_log_transport_sizes_and_dtls_error():
    trace = Trace(corpus_file(WSS_LOG))
    assert {f.transport for f in trace.frames} == {"WSS"}
    assert [f.direction for f in trace.frames] == ["in", "out", "in", "in", "out"]
    assert trace.frames[0].src == Endpoint("188.163.18.238", 24715)
    assert [len(f.payload) for f in trace.frames] == [2312, 489, 274, 2591, 318]
    error = trace.event("ERROR")
    assert (error.module, error.origin.line) == ("res_rtp_asterisk.c", 150)
    assert error.function == "create_certificate_from_file"
    assert "Failed to read private key" in error.text


# --- real logs: ngrep byline, trimmed and hard-wrapped by its author ---------------------------

def test_ngrep_sample_messages_and_the_one_header():
    trace = Trace(corpus_file(NGREP_LOG))
    assert trace.summary.format == "ngrep"
    assert trace.start_lines == [
        "REGISTER sip:192.168.1.155 SIP/2.0", "SIP/2.0 401 Unauthorized",
        "REGISTER sip:192.168.1.155 SIP/2.0", "SIP/2.0 200 OK",
        "INVITE sip:1000@192.168.1.155 SIP/2.0", "SIP/2.0 407 Proxy Authentication Required",
        "ACK sip:1000@192.168.1.155 SIP/2.0", "INVITE sip:1000@192.168.1.155 SIP/2.0",
    ]
    assert [f.origin.line for f in trace.frames] == [1, 16, 29, 47, 60, 75, 86, 98]
    with_address = [f for f in trace.frames if f.src != Endpoint(None, None)]
    assert [(f.src, f.dst) for f in with_address] == [
        (Endpoint("192.168.1.155", 5060), Endpoint("192.168.1.119", 29040))]
    assert all(f.direction is None and f.transport == "UDP" for f in trace.frames)
    assert sum("without its own `U/T src -> dst` line" in w for w in trace.warnings) == 7


def test_ngrep_sample_wrapped_headers_are_joined_back():
    trace = Trace(corpus_file(NGREP_LOG))
    register, challenge, _, ok = trace.frames[:4]
    assert header_value(register, "Via") == (
        "SIP/2.0/UDP 192.168.1.119:29040;branch=z9hG4bK-d87543-13517a5a8218ff45-1--d87543-;rport")
    # the wrap fell right after the '.' of the tag in the 200 OK: that dot is data, not a CR
    assert header_value(challenge, "To").endswith(";tag=329cfeaa6ded039da25ff8cbb8668bd2.41bb")
    assert header_value(ok, "To").endswith(";tag=329cfeaa6ded039da25ff8cbb8668bd2.c577")
    assert header_value(ok, "Contact").endswith(";expires=3600")
    assert 'nonce="46263864b3abb96a423a7ccf052fa68d4ad5192f"' in header_value(challenge, "WWW-Authenticate")
    assert header_value(register, "Call-ID").endswith("NDc.")  # its own last dot stays
    assert sum("cut in two" in w for w in trace.warnings) == 15
    # the SDP was stripped by the author: kept as it is, and said
    assert body(trace.frames[4]) == b"(sdp body striped off)"
    assert "body has 22 of the 386 bytes" in " ".join(trace.warnings)


# --- format detection -------------------------------------------------------------------------

@pytest.mark.parametrize("relative, expected", [
    (AST01_LOG, "pjsip-logger"), (AST01_CONSOLE, "pjsip-logger"), (AST02_LOG, "pjsip-logger"),
    (AST02_CONSOLE, "pjsip-logger"), (NAT_LOG, "pjsip-logger"), (WSS_LOG, "pjsip-logger"), (NGREP_LOG, "ngrep"),
])
def test_detect_picks_the_right_reader_for_real_logs(relative, expected):
    assert Trace(corpus_file(relative)).summary.format == expected


@pytest.mark.parametrize("name, expected", [
    ("chan_sip_console.txt", "chan_sip-debug"), ("chan_sip_full.log", "chan_sip-debug"),
    ("freeswitch_siptrace.log", "freeswitch-siptrace"), ("sngrep_export.txt", "sngrep-txt"),
    ("ngrep_byline_tcp.txt", "ngrep"), ("plain_paste.txt", "plain-sip"),
])
def test_detect_picks_the_right_reader_for_fixtures(name, expected):
    head = (DATA / name).read_text()
    scores = {reader.format: reader.sniff(head) for reader in READERS}
    assert max(scores, key=scores.get) == expected
    assert sorted(scores.values())[-1] > sorted(scores.values())[-2]  # no tie
    assert Trace(DATA / name).summary.format == expected


@pytest.mark.parametrize("relative", ["lab/ast-01-aor-404.cli.txt", "lab/asterisk-config/pjsip-01-aor-404.conf",
                                      "lab/GROUND_TRUTH.md", "public/MANIFEST.md"])
def test_detect_returns_none_for_text_without_sip(relative):
    path = corpus_file(relative)
    assert detect(str(path), path.read_bytes()[: 64 * 1024]) is None


def test_detect_returns_none_for_prose_and_config(tmp_path):
    prose = "Hello,\nour phones cannot register since Monday. The PBX says 404.\nREGISTER fails.\n"
    assert detect(str(write(tmp_path, prose)), prose.encode()) is None
    config = "[transport-udp]\ntype=transport\nprotocol=udp\nbind=0.0.0.0:5060\n"
    assert detect(str(write(tmp_path, config)), config.encode()) is None


def test_plain_sip_scores_lowest():
    plain = "INVITE sip:bob@example.com SIP/2.0\nVia: SIP/2.0/UDP 192.0.2.1:5060\n"
    scores = {reader.format: reader.sniff(plain) for reader in READERS}
    assert scores["plain-sip"] == 20 and sum(scores.values()) == 20


# --- synthetic fixtures: one per format ---------------------------------------------------------

PHONE = Endpoint("192.0.2.10", 5060)
PBX = Endpoint("198.51.100.2", 5060)
CALL = ["INVITE sip:102@198.51.100.2 SIP/2.0", "SIP/2.0 100 Trying", "SIP/2.0 200 OK",
        "ACK sip:102@198.51.100.2:5060 SIP/2.0", "BYE sip:101@192.0.2.10:5060 SIP/2.0", "SIP/2.0 200 OK"]
REGISTRATION = ["REGISTER sip:198.51.100.2 SIP/2.0", "SIP/2.0 401 Unauthorized",
                "REGISTER sip:198.51.100.2 SIP/2.0", "SIP/2.0 200 OK"]


def test_ast02_log_pbx_address_is_not_the_contact_of_its_200_to_register():
    """The 200 OK to REGISTER Asterisk sends lists the phone's binding (Contact 192.0.2.30:5060,
    RFC 3261 §10.3); the PBX's own address is the Request-URI the phone sends to (198.51.100.2)."""
    trace = Trace(corpus_file(AST02_LOG))
    assert {f.src for f in trace.frames if f.direction == "out"} == {AST_PBX}
    assert {f.dst for f in trace.frames if f.direction == "in"} == {AST_PBX}
    assert trace.summary.local_address.startswith("198.51.100.2:5060 (inferred from the Request-URI")


def test_local_address_prefers_the_via_of_requests_the_logging_host_sends():
    def frame(start: str, via: str, direction: str) -> Frame:
        payload = f"{start}\r\nVia: SIP/2.0/UDP {via};branch=z9hG4bK1\r\nContact: <sip:x@192.0.2.99>\r\n\r\n"
        return Frame(origin=Origin("t", line=1), time=None, src=LOCAL, dst=LOCAL, transport="UDP",
                     payload=payload.encode(), whole_message=True, direction=direction)

    frames = [frame("REGISTER sip:203.0.113.7 SIP/2.0", "192.0.2.10:5060", "in"),
              frame("SIP/2.0 200 OK", "192.0.2.10:5060", "out"),
              frame("OPTIONS sip:192.0.2.10:5060 SIP/2.0", "[2001:db8::7]:5070", "out")]
    endpoint, reason = local_address(frames)
    assert endpoint == Endpoint("2001:db8::7", 5070) and "Via sent-by" in reason
    endpoint, reason = local_address(frames[:2])
    assert endpoint == Endpoint("203.0.113.7", 5060) and "Request-URI" in reason
    assert local_address(frames[1:2]) is None  # a response's Contact or Via never names the sender


def _contents_are_consistent(frame: Frame) -> bool:
    declared = int(header_value(frame, "Content-Length"))
    return len(body(frame)) == declared


def test_chan_sip_console():
    trace = Trace(DATA / "chan_sip_console.txt")
    assert trace.start_lines == REGISTRATION + CALL + ["BYE sip:101@192.0.2.10:5060 SIP/2.0"]
    assert [f.direction for f in trace.frames] == ["in", "out"] * 2 + ["in", "out", "out", "in", "out", "in", "out"]
    assert all((f.src, f.dst) == ((PHONE, PBX) if f.direction == "in" else (PBX, PHONE)) for f in trace.frames)
    assert {f.transport for f in trace.frames} == {"UDP"}  # read: from the header; sent: from the top Via
    assert all(_contents_are_consistent(f) for f in trace.frames)
    assert trace.frames[-1].origin.line == 189  # the old-style `Retransmitting #1 (NAT) to ...:` dump
    assert trace.summary.facts["non_sip_payloads"] == 1  # the CRLF keep-alive
    warning = trace.event("WARNING")
    assert (warning.module, warning.function) == ("chan_sip.c", "retrans_pkt")
    assert [e.text for e in trace.events if e.level == "VERBOSE"][1] == "Using SIP RTP CoS mark 5"


def test_chan_sip_full_log_takes_the_time_of_the_verbose_line_before_each_dump():
    trace = Trace(DATA / "chan_sip_full.log")
    assert trace.start_lines == REGISTRATION[:3] + ["SIP/2.0 403 Forbidden"]
    assert [f.time for f in trace.frames] == pytest.approx(
        [utc(f"2026-11-22 {t}") for t in ("19:30:05.100", "19:30:05.101", "19:30:05.140", "19:30:05.142")])
    notice = trace.event("NOTICE")
    assert notice.module == "chan_sip.c" and "Wrong password" in notice.text
    assert trace.warnings == []


def test_chan_sip_console_with_verbose_timestamps_on_every_line(tmp_path):
    text = (DATA / "chan_sip_console.txt").read_text()
    stamped = "\n".join(line if line.startswith("[") else f"[Nov 22 19:28:{i % 60:02d}] {line}"
                        for i, line in enumerate(text.split("\n")))  # log lines have their date already
    trace = Trace(write(tmp_path, stamped))
    original = Trace(DATA / "chan_sip_console.txt")
    assert [f.payload for f in trace.frames] == [f.payload for f in original.frames]
    assert trace.frames[0].time == utc("2000-11-22 19:28:04")  # the time of the header line
    assert trace.event("WARNING").function == "retrans_pkt"


def test_chan_sip_full_log_with_the_header_on_the_log_line(tmp_path):
    text = (DATA / "chan_sip_full.log").read_text().replace("chan_sip.c: \n<---", "chan_sip.c: <---")
    trace = Trace(write(tmp_path, text))
    assert [f.payload for f in trace.frames] == [f.payload for f in Trace(DATA / "chan_sip_full.log").frames]
    assert trace.frames[1].time == pytest.approx(utc("2026-11-22 19:30:05.101"))


def test_freeswitch_siptrace():
    trace = Trace(DATA / "freeswitch_siptrace.log")
    assert trace.start_lines == CALL + REGISTRATION[:2]
    assert [f.direction for f in trace.frames] == ["in", "out", "out", "in", "out", "in", "in", "out"]
    assert trace.frames[0].src == PHONE and trace.frames[0].dst == PBX
    assert trace.summary.local_address.startswith("198.51.100.2:5060 (inferred from the Via sent-by")
    assert trace.frames[1].dst == PHONE
    assert trace.frames[0].time == pytest.approx(utc("2026-11-22 19:28:47.166123"))
    assert trace.frames[-1].time == pytest.approx(utc("2026-11-22 19:28:55.012456"))
    assert body(trace.frames[0]).startswith(b"v=0\r\n") and all(_contents_are_consistent(f) for f in trace.frames)
    assert trace.warnings == []  # every `recv/send N bytes` matches the recovered message
    channel = next(e for e in trace.events if e.module == "switch_channel.c")
    assert channel.level == "NOTICE" and channel.text.startswith("New Channel sofia/internal/101@198.51.100.2")
    assert trace.event("WARNING").module == "sofia_reg.c"


def test_freeswitch_without_dated_lines_uses_an_anchor_day_and_crosses_midnight(tmp_path):
    lines = (DATA / "freeswitch_siptrace.log").read_text().splitlines()
    trace_only = [line for line in lines if not line.startswith(("2026-", "4b7e2a10"))]
    text = "\n".join(trace_only).replace("at 19:28:55.000871:", "at 23:59:59.900000:").replace(
        "at 19:28:55.012456:", "at 00:00:00.100000:")
    trace = Trace(write(tmp_path, text))
    assert trace.frames[0].time == pytest.approx(utc("2000-01-01 19:28:47.166123"))
    assert trace.frames[-1].time - trace.frames[-2].time == pytest.approx(0.2)
    assert sum("no date" in w for w in trace.warnings) == 1


def test_sngrep_export():
    trace = Trace(DATA / "sngrep_export.txt")
    assert trace.start_lines == REGISTRATION + CALL
    assert (trace.frames[0].src, trace.frames[0].dst) == (PHONE, PBX)
    assert (trace.frames[1].src, trace.frames[1].dst) == (PBX, PHONE)
    assert all(f.direction is None and f.transport == "UDP" for f in trace.frames)
    assert trace.frames[4].time == pytest.approx(utc("2026-11-22 19:28:49.901220"))
    assert all(_contents_are_consistent(f) for f in trace.frames) and trace.warnings == []


def test_ngrep_with_timestamps_tcp_segment_and_keepalive():
    trace = Trace(DATA / "ngrep_byline_tcp.txt")
    assert trace.start_lines == REGISTRATION + ["OPTIONS sip:198.51.100.2 SIP/2.0", "INFO sip:198.51.100.2 SIP/2.0"]
    options, info = trace.frames[4:]
    assert options.transport == info.transport == "TCP"
    assert options.src == info.src == Endpoint("192.0.2.20", 40112) and info.dst == PBX
    assert body(info) == b"Signal=5\r\nDuration=160\r\n"
    assert trace.frames[0].time == pytest.approx(utc("2026-11-22 19:28:47.166123"))
    assert trace.summary.facts["non_sip_payloads"] == 1 and trace.warnings == []


def test_plain_paste_with_multipart_body_holding_empty_lines():
    trace = Trace(DATA / "plain_paste.txt")
    assert trace.start_lines == ["INVITE sip:+15550100@198.51.100.2 SIP/2.0", "SIP/2.0 488 Not Acceptable Here"]
    invite = trace.frames[0]
    assert _contents_are_consistent(invite) and body(invite).endswith(b"--unique-boundary-1--\r\n")
    assert b"\r\n\r\n0110020a0a03\r\n" in body(invite)  # past two empty lines inside the body
    assert all(f.src == f.dst == Endpoint(None, None) and f.time is None for f in trace.frames)
    assert {f.transport for f in trace.frames} == {"TCP"}  # from the top Via
    assert trace.summary.facts["ignored_lines"] == 3 and trace.warnings == []


def test_plain_paste_quoted_in_an_email_reply(tmp_path):
    pasted = (DATA / "plain_paste.txt").read_text()
    quoted = "\n".join(("> " + line).rstrip() for line in pasted.split("\n"))
    original, trace = Trace(DATA / "plain_paste.txt"), Trace(write(tmp_path, "On Monday Bob wrote:\n" + quoted))
    assert trace.summary.format == "plain-sip"
    assert [f.payload for f in trace.frames] == [f.payload for f in original.frames]
    assert trace.warnings == []


# --- damaged input --------------------------------------------------------------------------------

def _rewrap(text: str, width: int = 72) -> str:
    """Cut every line longer than `width` into pieces, as a mail client with hard wrapping does."""
    out = []
    for line in text.replace("\r\n", "\n").split("\n"):
        while len(line) > width:
            out.append(line[:width])
            line = line[width:]
        out.append(line)
    return "\n".join(out)


@pytest.mark.parametrize("relative", [AST01_CONSOLE, AST02_LOG])
def test_mail_wrapped_headers_are_joined_back_exactly(tmp_path, relative):
    original = Trace(corpus_file(relative))
    wrapped = Trace(write(tmp_path, _rewrap(corpus_file(relative).read_bytes().decode())))
    assert [f.payload for f in wrapped.frames] == [f.payload for f in original.frames]
    assert any("cut in two" in w for w in wrapped.warnings) and not original.warnings


@pytest.mark.parametrize("name", ["chan_sip_console.txt", "chan_sip_full.log", "freeswitch_siptrace.log",
                                  "sngrep_export.txt", "ngrep_byline_tcp.txt", "plain_paste.txt"])
def test_mail_wrapped_fixtures_give_the_same_messages(tmp_path, name):
    original = Trace(DATA / name)
    wrapped = Trace(write(tmp_path, _rewrap((DATA / name).read_text()), name))
    assert wrapped.summary.format == original.summary.format
    assert [f.payload for f in wrapped.frames] == [f.payload for f in original.frames]
    assert [(f.src, f.dst, f.time) for f in wrapped.frames] == [(f.src, f.dst, f.time) for f in original.frames]
    assert len(wrapped.warnings) > len(original.warnings)


def test_mail_wrapped_sdp_lines_are_joined_back(tmp_path):
    text = corpus_file(WSS_LOG).read_text()
    original = Trace(corpus_file(WSS_LOG))
    wrapped = Trace(write(tmp_path, _rewrap(text)))
    assert [f.payload for f in wrapped.frames] == [f.payload for f in original.frames]
    long_sdp_lines = [line for line in text.splitlines() if re.match(r"[a-z]=", line) and 72 < len(line) <= 144]
    assert len(long_sdp_lines) == 18
    assert sum("SDP line cut in two" in w for w in wrapped.warnings) == len(long_sdp_lines)
    assert [e.text for e in wrapped.events] == [e.text for e in original.events]  # wrapped log lines too


def test_word_wrapped_header_keeps_the_trailing_space(tmp_path):
    source = (DATA / "sngrep_export.txt").read_text()
    long_line = next(line for line in source.splitlines() if line.startswith("Authorization:"))
    cut = long_line.rindex(" ", 0, 72) + 1
    trace = Trace(write(tmp_path, source.replace(long_line, long_line[:cut] + "\n" + long_line[cut:])))
    assert header_value(trace.frames[2], "Authorization") == long_line.split(": ", 1)[1]
    assert len(trace.warnings) == 1


def test_crlf_lf_and_doubled_cr_mixes_give_the_same_messages(tmp_path):
    original = Trace(corpus_file(AST01_LOG))
    lines = corpus_file(AST01_LOG).read_bytes().decode().replace("\r\n", "\n").split("\n")
    ends = ["\r\n", "\n", "\r\r\n"]
    trace = Trace(write(tmp_path, "".join(line + ends[i % 3] for i, line in enumerate(lines))))
    assert [f.payload for f in trace.frames] == [f.payload for f in original.frames]
    assert trace.event("WARNING").origin.line == 57  # line numbers survive every kind of line end


def test_cr_only_file(tmp_path):
    text = corpus_file(AST01_CONSOLE).read_text().replace("\n", "\r")
    trace = Trace(write(tmp_path, text))
    assert [f.payload for f in trace.frames] == [f.payload for f in Trace(corpus_file(AST01_CONSOLE)).frames]
    assert [f.origin.line for f in trace.frames] == [14, 28, 40, 55]


def test_truncated_file_keeps_what_is_there(tmp_path):
    text = corpus_file(AST02_LOG).read_bytes()
    cut = text.index(b"WWW-Authenticate", text.index(b"(483 bytes)"))
    trace = Trace(write(tmp_path, text[:cut]))
    assert trace.start_lines == AST01_START_LINES[:2]
    assert trace.frames[1].payload.endswith(b"CSeq: 12804 REGISTER\r\n\r\n")
    assert any("log says 483 bytes" in w for w in trace.warnings)
    assert any("the file ends" in w for w in trace.warnings)


def test_every_truncation_point_reads_without_error(tmp_path):
    lines = corpus_file(NAT_LOG).read_text().split("\n")
    counts = [len(Trace(write(tmp_path, "\n".join(lines[:end]))).frames) for end in range(1, len(lines) + 1, 3)]
    assert counts == sorted(counts) and counts[-1] >= 12


def test_missing_body_is_kept_with_a_warning(tmp_path):
    text = corpus_file(NAT_LOG).read_text()
    sdp_start = text.index("v=0\no=- 1613584898")
    sdp_end = text.index("<--- Transmitting SIP response (487 bytes)")
    trace = Trace(write(tmp_path, text[:sdp_start] + "\n" + text[sdp_end:]))
    invite = trace.frames[10]
    assert invite.payload.startswith(b"INVITE sip:alice@118.25.104.104 SIP/2.0") and body(invite) == b""
    assert any("body has 0 of the 391 bytes" in w for w in trace.warnings)
    assert any("log says 971 bytes" in w for w in trace.warnings)
    assert trace.start_lines[11] == "SIP/2.0 401 Unauthorized"


def test_binary_garbage_and_trailing_junk_do_not_stop_reading(tmp_path):
    text = corpus_file(AST01_CONSOLE).read_bytes()
    garbage = bytes(range(256)) * 4
    middle = text.index(b"<--- Received SIP request (779 bytes)")
    trace = Trace(write(tmp_path, text[:middle] + garbage + b"\n" + text[middle:] + garbage))
    assert trace.start_lines == AST01_START_LINES
    assert [f.payload for f in trace.frames] == [f.payload for f in Trace(corpus_file(AST01_CONSOLE)).frames]


def test_header_line_with_unwrapped_body_is_not_swallowed(tmp_path):
    message = ("INVITE sip:bob@example.com SIP/2.0\nVia: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK1\n"
               "Content-Type: application/sdp\nContent-Length: 10\nv=0\ns=-\n")
    trace = Trace(write(tmp_path, message))
    assert header_value(trace.frames[0], "Content-Length") == "10"
    assert body(trace.frames[0]) == b"v=0\r\ns=-\r\n"
    assert any("no blank line after the headers" in w for w in trace.warnings)


def test_sipfrag_body_is_not_taken_for_a_new_message(tmp_path):
    notify = ("NOTIFY sip:a@192.0.2.1 SIP/2.0\nVia: SIP/2.0/UDP 192.0.2.2;branch=z9hG4bKn\n"
              "Event: refer\nContent-Type: message/sipfrag;version=2.0\nContent-Length: 16\n\nSIP/2.0 200 OK\n\n"
              "SIP/2.0 200 OK\nVia: SIP/2.0/UDP 192.0.2.2;branch=z9hG4bKn\nContent-Length: 0\n\n")
    trace = Trace(write(tmp_path, notify))
    assert trace.start_lines == ["NOTIFY sip:a@192.0.2.1 SIP/2.0", "SIP/2.0 200 OK"]
    assert body(trace.frames[0]) == b"SIP/2.0 200 OK\r\n"


def test_gzip_utf16_and_latin1_files(tmp_path):
    original = Trace(corpus_file(AST01_CONSOLE))
    raw = corpus_file(AST01_CONSOLE).read_bytes()
    zipped = Trace(write(tmp_path, gzip.compress(raw), "console.txt.gz"))
    assert zipped.summary.format == "pjsip-logger+gzip"
    assert [f.payload for f in zipped.frames] == [f.payload for f in original.frames]
    assert zipped.event("WARNING").origin.line == 65
    wide = Trace(write(tmp_path, raw.decode().encode("utf-16"), "console-utf16.txt"))
    assert [f.payload for f in wide.frames] == [f.payload for f in original.frames]
    latin = ('INVITE sip:bob@example.com SIP/2.0\nFrom: "Jos\xe9" <sip:jose@example.com>;tag=1\n'
             "Content-Length: 0\n\n").encode("latin-1")
    frame = Trace(write(tmp_path, latin, "latin1.txt")).frames[0]
    assert header_value(frame, "From").startswith('"Jos\xe9"')  # decoded as Latin-1, payload in UTF-8


def test_freeswitch_truncation_marker_is_a_warning(tmp_path):
    text = (DATA / "freeswitch_siptrace.log").read_text()
    closing = "   a=sendrecv\n   " + "-" * 72 + "\n"
    assert text.count(closing) == 2
    trace = Trace(write(tmp_path, text.replace(closing, closing + "   *** message truncated at 669 ***\n", 1)))
    assert len(trace.frames) == 8
    assert trace.warnings == ["FreeSWITCH logged only the first 669 bytes of the message before this line"]
    assert trace.summary.warnings[0].origin.line == 30


def test_damaged_gzip_warns_and_keeps_the_lines_before(tmp_path):
    text = corpus_file(AST01_LOG).read_bytes() * 40  # past the 64 KiB the format is sniffed from
    cut = gzip.compress(text)[: len(gzip.compress(text)) * 3 // 4]
    readable = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(cut)
    trace = Trace(write(tmp_path, cut, "cut.log.gz"))
    assert trace.summary.packets >= readable.count(b"\n")  # every line before the damage
    assert trace.start_lines == (AST01_START_LINES * 40)[: len(trace.frames)]
    assert len(trace.frames) >= 4 * (readable.count(b"WARNING[") - 1)
    assert [w for w in trace.warnings if "file damaged after line" in w and "ends early" in w]


# --- building blocks ------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("203.0.113.88:12995", Endpoint("203.0.113.88", 12995)),
    ("[2001:db8::1]:5060", Endpoint("2001:db8::1", 5060)),
    ("2001:db8::1:5061", Endpoint("2001:db8::1", 5061)),
    ("[2001:db8::1]", Endpoint("2001:db8::1", None)),
    ("pbx.example.com", Endpoint("pbx.example.com", None)),
    ("192.0.2.1:99999", Endpoint("192.0.2.1", None)),
])
def test_parse_endpoint(text, expected):
    assert parse_endpoint(text) == expected


def test_timestamps_are_read_as_utc():
    assert parse_timestamp("2026-11-22 19:28:47.166") == (pytest.approx(utc("2026-11-22 19:28:47.166")), False)
    assert parse_timestamp("2026/11/22 19:28:47.166123")[0] == pytest.approx(utc("2026-11-22 19:28:47.166123"))
    assert parse_timestamp("Jun  5 07:17:53") == (utc("2000-06-05 07:17:53"), True)
    assert parse_timestamp("Feb 29 00:00:01")[0] == utc("2000-02-29 00:00:01")
    assert parse_timestamp("Foo 12 10:00:00") == (None, False)
    assert seconds_of_day("19:28:47.5") == 70127.5 and seconds_of_day("25:00:00") is None


def test_day_clock_follows_dated_lines_and_midnight():
    clock = DayClock()
    clock.set_date_from(utc("2026-11-22 23:00:00"))  # a log line in local time...
    assert clock.at(seconds_of_day("04:00:00")) == utc("2026-11-23 04:00:00")  # ...and a UTC time of day after it
    assert clock.at(seconds_of_day("04:00:01")) == utc("2026-11-23 04:00:01")
    clock.set_date_from(utc("2026-11-23 01:00:00"))
    assert clock.at(seconds_of_day("20:00:00")) == utc("2026-11-22 20:00:00")
