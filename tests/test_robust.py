"""Hostile and awkward inputs and outputs, through the real command line in a subprocess.

Standard input and FIFOs, output files that cannot be written or name an input, file names
that are not UTF-8, bit-flipped logs, control characters in header values, and compression
and long-line bombs. Bomb tests measure the peak RSS of the sipdiag process (in a wrapper
process, so that earlier children do not count) and assert it stays below a bound; they never
assert times. Every bomb is written on the fly, streamed, into tmp_path.
"""

from __future__ import annotations

import gzip
import json
import os
import struct
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from conftest import SAMPLES

PCAP = SAMPLES / "synthetic" / "tcp-reassembly.pcap"  # 22 packets, 10 SIP messages
PCAPNG = SAMPLES / "synthetic" / "pcapng-interfaces.pcapng"  # 8 SIP messages
PJSIP_LOG = SAMPLES / "lab" / "ast-01-aor-404.pjsip-logger.log"  # 4 SIP messages
RSS_BOUND_MB = 150
"""Peak RSS allowed for a bomb; a plain run takes about 25 MB, the bombs took 1.25-3 GB before."""


def sipdiag(*args, stdin=None, input=None, cwd=None, env=None):
    """Run `python -m sipdiag ARGS`; returns the CompletedProcess (bytes)."""
    full_env = {**os.environ, **(env or {})}
    result = subprocess.run([sys.executable, "-m", "sipdiag", *map(os.fsdecode, args)], stdin=stdin, input=input,
                            capture_output=True, cwd=cwd, env=full_env, timeout=120)
    assert b"Traceback" not in result.stderr or "--debug" in args, result.stderr.decode(errors="replace")
    return result


def peak_rss_mb(*args, env=None) -> tuple[int, subprocess.CompletedProcess]:
    """Run sipdiag in a wrapper process and return (its peak RSS in MB, the result of the run).

    The wrapper's only child is sipdiag, so RUSAGE_CHILDREN's ru_maxrss (KiB on Linux) is sipdiag's peak."""
    wrapper = (
        "import resource, subprocess, sys\n"
        "code = subprocess.run(sys.argv[2:]).returncode\n"
        "open(sys.argv[1], 'w').write(f'{code} {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}')\n"
    )
    report = Path(os.environ.get("TMPDIR", "/tmp")) / f"sipdiag-rss-{os.getpid()}-{threading.get_ident()}"
    result = subprocess.run([sys.executable, "-c", wrapper, str(report), sys.executable, "-m", "sipdiag",
                             *map(str, args)], capture_output=True, env={**os.environ, **(env or {})}, timeout=120)
    code, kilobytes = report.read_text().split()
    report.unlink()
    result.returncode = int(code)
    return int(kilobytes) // 1024, result


def lines(data: bytes) -> list[str]:
    return data.decode("utf-8", "replace").splitlines()


def warnings(result) -> list[str]:
    return [line for line in lines(result.stderr) if line.startswith("sipdiag: warning:")]


# -- a tiny capture writer: raw IPv4 (link type 101), UDP ---------------------------------------

def pcap(payloads: list[bytes]) -> bytes:
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101)]
    phone, pbx = bytes([192, 0, 2, 10]), bytes([198, 51, 100, 20])
    for n, payload in enumerate(payloads):
        src, dst = (phone, pbx) if n % 2 == 0 else (pbx, phone)
        udp = struct.pack("!HHHH", 5060, 5060, 8 + len(payload), 0) + payload
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), n, 0, 64, 17, 0, src, dst) + udp
        out.append(struct.pack("<IIII", 1_700_000_000 + n, 0, len(ip), len(ip)) + ip)
    return b"".join(out)


def register_exchange(user_agent: str, call_id: str, server: str) -> list[bytes]:
    common = ("Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-1;rport\r\nFrom: <sip:100@example.com>;tag=a\r\n"
              "To: <sip:100@example.com>{tag}\r\nCall-ID: " + call_id + "\r\nCSeq: 1 REGISTER\r\n")
    request = ("REGISTER sip:example.com SIP/2.0\r\n" + common.format(tag="") + f"User-Agent: {user_agent}\r\n"
               "Contact: <sip:100@192.0.2.10:5060>\r\nContent-Length: 0\r\n\r\n")
    response = ("SIP/2.0 404 Not Found\r\n" + common.format(tag=";tag=b") + f"Server: {server}\r\n"
                "Content-Length: 0\r\n\r\n")
    return [request.encode(), response.encode()]


# -- standard input ----------------------------------------------------------------------------

@pytest.mark.parametrize("path, messages", [(PCAP, 10), (PCAPNG, 8), (PJSIP_LOG, 4)],
                         ids=["pcap", "pcapng", "pjsip-log"])
@pytest.mark.parametrize("gzipped", [False, True], ids=["plain", "gzip"])
def test_dash_reads_standard_input(path, messages, gzipped):
    data = path.read_bytes()
    from_file = sipdiag("messages", path)
    result = sipdiag("messages", "-", input=gzip.compress(data) if gzipped else data)
    assert result.returncode == 0, result.stderr
    assert len(lines(result.stdout)) == messages
    # the same listing as from the file, named <stdin>
    assert [line.split(None, 1)[1] for line in lines(result.stdout)] == \
        [line.split(None, 1)[1] for line in lines(from_file.stdout)]
    assert lines(result.stdout)[0].startswith("<stdin>  ")
    assert "<stdin>: " in result.stderr.decode() and ("+gzip" in result.stderr.decode()) == gzipped


def test_tcpdump_style_pipe_into_analyze():
    """`tcpdump -w - | sipdiag analyze -`: a real pipe, written while sipdiag reads."""
    writer = subprocess.Popen(["cat", str(PCAP)], stdout=subprocess.PIPE)
    result = sipdiag("analyze", "--format", "json", "-", stdin=writer.stdout)
    writer.wait()
    assert result.returncode in (0, 1), result.stderr
    document = json.loads(result.stdout)
    assert document["inputs"][0]["path"] == "<stdin>"
    assert document["inputs"][0]["packets"] == 22


def test_empty_standard_input():
    result = sipdiag("messages", "-", input=b"")
    assert result.returncode == 2
    assert lines(result.stderr) == ["sipdiag: error: <stdin>: is empty"]


def test_dash_twice_is_a_usage_error():
    result = sipdiag("analyze", "-", "-", input=PCAP.read_bytes())
    assert result.returncode == 2
    assert "only once" in result.stderr.decode()


def test_a_file_named_dash_is_not_read_for_standard_input(tmp_path):
    (tmp_path / "-").write_bytes(b"not a capture")
    result = sipdiag("messages", "-", input=PCAP.read_bytes(), cwd=tmp_path)
    assert result.returncode == 0 and len(lines(result.stdout)) == 10


# -- FIFOs ---------------------------------------------------------------------------------------

def test_fifo_without_a_writer_is_refused_not_waited_on(tmp_path):
    fifo = tmp_path / "capture.fifo"
    os.mkfifo(fifo)
    result = sipdiag("analyze", fifo, env={"SIPDIAG_FIFO_WAIT": "0.2"})
    assert result.returncode == 2
    assert lines(result.stderr) == [
        f"sipdiag: error: {fifo}: is a named pipe (FIFO) that no program opened for writing within 0.2 s; "
        "start the writer first, or pipe into `sipdiag analyze -`"
    ]


def test_fifo_with_a_writer_is_read_as_a_stream(tmp_path):
    fifo = tmp_path / "capture.fifo"
    os.mkfifo(fifo)

    def write():
        with open(fifo, "wb") as fh:  # blocks until sipdiag opens the FIFO
            fh.write(PCAP.read_bytes())

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    result = sipdiag("messages", fifo)
    writer.join(10)
    assert result.returncode == 0, result.stderr
    assert len(lines(result.stdout)) == 10


def test_terminal_as_standard_input_is_refused():
    try:
        master, slave = os.openpty()
    except OSError:
        pytest.skip("no pseudo-terminal")
    try:
        result = sipdiag("messages", "-", stdin=slave)
    finally:
        os.close(master)
        os.close(slave)
    assert result.returncode == 2
    assert "standard input is a terminal" in result.stderr.decode()


# -- output ----------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["text", "json", "html"])
def test_output_in_a_missing_directory(fmt):
    result = sipdiag("analyze", "--format", fmt, "-o", "/no/such/dir/x.out", PCAP)
    assert result.returncode == 2
    assert lines(result.stderr) == ["sipdiag: error: cannot write /no/such/dir/x.out: No such file or directory"]


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")
@pytest.mark.parametrize("fmt", ["text", "json"])
def test_output_to_a_full_device(fmt):
    result = sipdiag("analyze", "--format", fmt, "-o", "/dev/full", PCAP)
    assert result.returncode == 2
    assert lines(result.stderr) == ["sipdiag: error: cannot write /dev/full: No space left on device"]


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")
@pytest.mark.parametrize("command", [["analyze", "--format", "json"], ["messages"]])
def test_standard_output_on_a_full_device(command):
    with open("/dev/full", "wb") as full:
        result = subprocess.run([sys.executable, "-m", "sipdiag", *command, str(PCAP)], stdout=full,
                                stderr=subprocess.PIPE, timeout=60)
    assert result.returncode == 2
    assert lines(result.stderr)[-1] == "sipdiag: error: cannot write standard output: No space left on device"
    assert b"Traceback" not in result.stderr and b"Exception ignored" not in result.stderr


def test_output_naming_an_input_is_refused_and_the_input_kept(tmp_path):
    capture = tmp_path / "capture.pcap"
    capture.write_bytes(PCAP.read_bytes())
    for name in (str(capture), str(tmp_path / "." / "capture.pcap")):
        result = sipdiag("analyze", "--format", "json", "-o", name, capture)
        assert result.returncode == 2
        assert "names an input" in result.stderr.decode()
    assert capture.read_bytes() == PCAP.read_bytes()


def test_output_dash_is_standard_output(tmp_path):
    result = sipdiag("analyze", "--format", "json", "-o", "-", PCAP, cwd=tmp_path)
    assert result.returncode in (0, 1)
    assert json.loads(result.stdout)["schema"] == "sipdiag.analysis/2"
    assert not (tmp_path / "-").exists()


def test_text_report_to_a_file(tmp_path):
    out = tmp_path / "report.txt"
    result = sipdiag("analyze", "-o", out, PCAP)
    assert result.returncode in (0, 1)
    assert result.stdout == b""
    assert "SIP messages" in out.read_text()


# -- errors and --debug ----------------------------------------------------------------------

def test_debug_keeps_the_exit_code_of_the_error(tmp_path):
    missing = tmp_path / "nowhere.pcap"
    plain = sipdiag("analyze", missing)
    debug = sipdiag("--debug", "analyze", missing)
    assert plain.returncode == debug.returncode == 2
    assert lines(plain.stderr) == [f"sipdiag: error: {missing}: no such file"]
    assert b"Traceback" in debug.stderr
    assert lines(debug.stderr)[-1] == f"sipdiag: error: {missing}: no such file"


def test_file_name_that_is_not_utf8(tmp_path):
    name = os.fsencode(tmp_path) + b"/caf\xe9\x1b[2J.pcap"
    with open(name, "wb") as fh:
        fh.write(PCAP.read_bytes())
    shown = f"{tmp_path}/caf\\xe9\\x1b[2J.pcap"
    html = tmp_path / "report.html"
    result = sipdiag("analyze", "--format", "html", "-o", html, name)
    assert result.returncode in (0, 1), result.stderr
    assert shown in html.read_text(encoding="utf-8")
    result = sipdiag("analyze", "--format", "json", name)
    document = json.loads(result.stdout)  # strict UTF-8, no lone surrogates
    assert document["inputs"][0]["path"] == shown
    listing = sipdiag("messages", name)
    assert listing.returncode == 0 and b"\x1b" not in listing.stdout + listing.stderr
    assert lines(listing.stdout)[0].startswith(shown)
    conf = os.fsencode(tmp_path) + b"/pjsip\xff.conf"
    with open(conf, "wb") as fh:
        fh.write(b"[10000]\ntype=endpoint\naors=10001\n\n[10001]\ntype=aor\n")
    result = sipdiag("analyze", "--format", "json", name, conf)
    assert b"\\udc" not in result.stdout  # JSON with \udcff escapes is not UTF-8 text
    assert f"{tmp_path}/pjsip\\xff.conf" in [i["path"] for i in json.loads(result.stdout)["inputs"]]
    missing = sipdiag("messages", os.fsencode(tmp_path) + b"/gone\xff.pcap")
    assert lines(missing.stderr) == [f"sipdiag: error: {tmp_path}/gone\\xff.pcap: no such file"]


@pytest.mark.parametrize("old, new", [
    ("UDP:203.0.113.88:12995", "UDP:203.0.113.88:542\u00b33"),  # a bit flip: '³' passes str.isdigit()
    ("UDP:203.0.113.88:12995", "UDP:203.0.113.88:\u0661\u0662"),  # Arabic-Indic digits
    ("(522 bytes)", "(" + "9" * 5000 + " bytes)"),  # longer than int() takes
    ("Content-Length:  0", "Content-Length: " + "7" * 5000),
], ids=["superscript", "arabic-indic", "huge-size", "huge-content-length"])
def test_bit_flipped_pjsip_log(tmp_path, old, new):
    text = PJSIP_LOG.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "flipped.log"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    for command in (["messages"], ["analyze", "--format", "json"]):
        result = sipdiag(*command, path)
        assert result.returncode in (0, 1), result.stderr


# -- terminal output is inert ---------------------------------------------------------------

EVIL_UA = "[bold red]Evil[/] \x1b[2J\x1b[31mphone\x9b5n\u202e"
EVIL_CALL_ID = "id\x1b]0;pwned\x07x\r"


@pytest.fixture
def evil_capture(tmp_path):
    path = tmp_path / "evil.pcap"
    path.write_bytes(pcap(register_exchange(EVIL_UA, EVIL_CALL_ID, "\x1b[5mPBX\x07")))
    return path


@pytest.mark.parametrize("colour", [False, True], ids=["piped", "forced-colour"])
def test_analyze_text_shows_control_characters_escaped(evil_capture, colour):
    env = {"FORCE_COLOR": "1", "COLUMNS": "200"} if colour else {"NO_COLOR": "1", "COLUMNS": "200"}
    result = sipdiag("analyze", "-v", evil_capture, env=env)
    assert result.returncode == 1, result.stderr
    out = result.stdout.decode()
    assert "\x1b]" not in out and "\x07" not in out and "\x9b" not in out and "\u202e" not in out
    assert "\x1b[2J" not in out and "\x1b[5m" not in out and "\r" not in out
    assert "\\x1b[2J\\x1b[31mphone\\x9b5n\\u202e" in out
    assert "[bold red]Evil[/]" in out  # shown as written, not read as markup
    assert "\\x1b[5mPBX\\x07" in out
    if not colour:
        assert "\x1b" not in out
    else:
        assert "\x1b[" in out  # sipdiag's own colours


def test_messages_listing_shows_control_characters_escaped(evil_capture):
    result = sipdiag("messages", evil_capture)
    assert result.returncode == 0
    out = result.stdout.decode()
    assert "\x1b" not in out and "\x07" not in out and "\r" not in out
    assert "[id\\x1b]0;pwned\\x07x\\r]" in out or "[id\\x1b]0;pwned\\x07x]" in out
    as_json = json.loads(sipdiag("messages", "--format", "json", evil_capture).stdout)
    assert as_json["messages"][0]["call_id"].startswith("id\x1b]0;pwned\x07x")


def test_inert_helper():
    from sipdiag.inert import inert

    assert inert("a\x1b[31mb\x07\r\n\t\x00\x7f\x85\u2028\u202e\udcff") == \
        "a\\x1b[31mb\\x07\\r\\n\\t\\x00\\x7f\\x85\\u2028\\u202e\\xff"
    assert inert("line one\nline\x1b two", newlines=True) == "line one\nline\\x1b two"
    assert inert(inert("\x1b")) == inert("\x1b")
    assert inert("Grüße, 東京, C:\\path") == "Grüße, 東京, C:\\path"


# -- damaged input: analysed as far as read, one line on stderr, exit by the findings -------

def record_offsets(data: bytes) -> list[int]:
    offsets, pos = [], 24
    while pos + 16 <= len(data):
        offsets.append(pos)
        pos += 16 + struct.unpack_from("<I", data, pos + 8)[0]
    return offsets


@pytest.mark.parametrize("fmt", ["json", "text", "html"])
def test_truncated_capture_is_analysed_with_one_line_on_stderr(tmp_path, fmt):
    data = PCAP.read_bytes()
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(data[: record_offsets(data)[8] + 30])  # inside frame 9
    out = tmp_path / "report.out"
    result = sipdiag("analyze", "--format", fmt, "-o", out, cut)
    assert result.returncode in (0, 1), result.stderr
    assert warnings(result) == [
        f"sipdiag: warning: {cut}#9: file is cut short in the middle of a packet (14 of 204 bytes); "
        "analysed the 9 packets read"
    ]
    if fmt == "json":
        document = json.loads(out.read_text())
        errors = [f for f in document["findings"] if f["severity"] == "error"]
        assert result.returncode == (1 if errors else 0)


def test_truncated_capture_in_json_listing_warns_on_stderr(tmp_path):
    data = PCAP.read_bytes()
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(data[: record_offsets(data)[8] + 30])
    for fmt in ("json", "jsonl"):
        result = sipdiag("messages", "--format", fmt, cut)
        assert result.returncode == 0
        assert warnings(result) == [
            f"sipdiag: warning: {cut}#9: file is cut short in the middle of a packet (14 of 204 bytes); "
            "listed the 9 packets read"
        ]


def test_intact_capture_has_nothing_on_stderr():
    result = sipdiag("analyze", "--format", "json", PCAP)
    assert result.stderr == b""


# -- bombs: bounded memory, a warning naming the limit and where, the rest still read -----------

def gzip_members(path: Path, first: bytes, filler: bytes, copies: int) -> None:
    """A gzip file of `first`, then `copies` members each expanding to `filler`, written streaming."""
    member = gzip.compress(filler, compresslevel=9, mtime=0)
    with open(path, "wb") as fh:
        fh.write(gzip.compress(first, mtime=0))
        for _ in range(copies):
            fh.write(member)


def test_long_header_line_costs_bounded_memory(tmp_path):
    """A 200 MB header line cost 1.25 GB; now the line is cut at --max-line and the rest still read."""
    path = tmp_path / "long.txt"
    request, response = register_exchange("phone", "long-line", "PBX")
    head, rest = request.split(b"User-Agent: ", 1)
    with open(path, "wb") as fh:
        fh.write(head + b"User-Agent: ")
        chunk = b"A" * (1 << 20)
        for _ in range(128):
            fh.write(chunk)
        fh.write(rest + response)
    rss, result = peak_rss_mb("messages", path)
    assert rss < RSS_BOUND_MB
    assert result.returncode == 0
    assert len(lines(result.stdout)) == 2  # the REGISTER (its User-Agent cut) and the 404 after it
    assert f"sipdiag: warning: {path}:7: line of 128.0 MiB cut after its first 1 MiB: longer than 1 MiB, " \
           "the limit (--max-line, SIPDIAG_MAX_LINE)" in lines(result.stderr)


def test_gzip_expanding_to_one_huge_line(tmp_path):
    """A 1 MB .gz holding a 1 GiB line passed 3 GB and was killed."""
    path = tmp_path / "bomb.log.gz"
    request, _ = register_exchange("phone", "bomb", "PBX")
    gzip_members(path, request.replace(b"Content-Length: 0\r\n\r\n", b"X-Bomb: "), b"B" * (16 << 20), 64)
    assert path.stat().st_size < 2 << 20
    rss, result = peak_rss_mb("messages", path)
    assert rss < RSS_BOUND_MB
    assert result.returncode == 0
    stderr = result.stderr.decode()
    assert "the limit (--max-line, SIPDIAG_MAX_LINE)" in stderr
    assert "reading stopped after line 9, the rest is not read: stopped after" in stderr
    assert "the limit (--max-ratio, SIPDIAG_MAX_RATIO; a compression bomb?)" in stderr


def test_gzip_pcap_header_and_2_gib_of_zeros(tmp_path):
    """A 2 MB .gz of a pcap header and 2 GiB of zeros ran past 150 s; now expansion stops at the ratio limit."""
    path = tmp_path / "zeros.pcap.gz"
    gzip_members(path, pcap(register_exchange("phone", "zeros", "PBX")), bytes(16 << 20), 128)
    rss, result = peak_rss_mb("messages", "--format", "json", path)
    assert rss < RSS_BOUND_MB
    assert result.returncode == 0
    document = json.loads(result.stdout)
    assert len(document["messages"]) == 2  # what came before the zeros
    lost = warnings(result)
    assert len(lost) == 1
    assert lost[0].startswith(f"sipdiag: warning: {path}#")
    assert "gzip'd file: stopped after" in lost[0]
    assert "the limit (--max-ratio, SIPDIAG_MAX_RATIO; a compression bomb?); nothing after frame" in lost[0]


@pytest.mark.parametrize("how", ["option", "environment"])
def test_max_expand_is_settable(tmp_path, how):
    path = tmp_path / "capture.pcap.gz"
    path.write_bytes(gzip.compress(PCAP.read_bytes(), mtime=0))
    if how == "option":
        result = sipdiag("messages", "--format", "json", "--max-expand", "1K", path)
    else:
        result = sipdiag("messages", "--format", "json", path, env={"SIPDIAG_MAX_EXPAND": "1K"})
    assert result.returncode == 0
    assert warnings(result) == [
        f"sipdiag: warning: {path}#6: gzip'd file: stopped after 1 KiB of expanded data: it expands to more than "
        "1 KiB, the limit (--max-expand, SIPDIAG_MAX_EXPAND); nothing after frame 5 can be read; "
        "listed the 5 packets read"
    ]
    assert 0 < len(json.loads(result.stdout)["messages"]) < 10


def test_max_ratio_and_max_line_are_settable(tmp_path):
    path = tmp_path / "zeros.log.gz"
    gzip_members(path, PJSIP_LOG.read_bytes(), (b" " * 4000 + b"\n") * 4096, 5)  # 80 MiB, ratio ~1000
    limited = sipdiag("messages", "--max-line", "2K", path)
    assert "the limit (--max-ratio" in limited.stderr.decode()
    result = sipdiag("messages", "--max-ratio", "0", "--max-line", "2K", path)
    assert result.returncode == 0 and len(lines(result.stdout)) == 4
    assert "the limit (--max-ratio" not in result.stderr.decode()  # all 80 MiB read
    assert "the limit (--max-line" in result.stderr.decode()
    bad = sipdiag("messages", "--max-line", "lots", path)
    assert bad.returncode == 2 and "is not a size" in bad.stderr.decode()
    bad_env = sipdiag("messages", path, env={"SIPDIAG_MAX_RATIO": "x"})
    assert bad_env.returncode == 2 and "SIPDIAG_MAX_RATIO" in bad_env.stderr.decode()


def test_lines_ended_by_lone_cr_are_not_cut(tmp_path):
    path = tmp_path / "mac.log"
    path.write_bytes(PJSIP_LOG.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r"))
    result = sipdiag("messages", "--max-line", "1K", path)
    assert result.returncode == 0 and len(lines(result.stdout)) == 4
    assert not warnings(result)


def test_limits_of_the_line_reader():
    """Cut lines and the rest of the file, straight through `textio` (no subprocess)."""
    import io

    from sipdiag.sources.textlogs.textio import CutLine, _decoded_lines

    data = b"short\n" + b"x" * 5000 + b"\nafter\r\n" + b"y" * 3000 + b"\rmac\r" + b"z" * 10
    got = list(_decoded_lines(io.BufferedReader(io.BytesIO(data)), 1024))
    assert got[0] == "short\n"
    assert isinstance(got[1], CutLine) and len(got[1]) == 1024 and got[1].length == 5001
    assert got[2] == "after\r\n"
    assert isinstance(got[3], CutLine) and got[3].length == 3001
    assert got[4:] == ["mac\r" + "z" * 10]  # lone CRs are split later, by _split_lines
    exact = b"x" * 1024 + b"\r\n" + b"y" * 1024 + b"\n" + b"z" * 1025 + b"\n"
    got = list(_decoded_lines(io.BufferedReader(io.BytesIO(exact)), 1024))
    assert [type(line) for line in got] == [str, str, CutLine] and got[:2] == ["x" * 1024 + "\r\n", "y" * 1024 + "\n"]
    utf16 = ("a\n" + "b" * 3000 + "\nc\n").encode("utf-16")
    got = list(_decoded_lines(io.BufferedReader(io.BytesIO(utf16)), 1024))
    assert got[0] == "a\n" and isinstance(got[1], CutLine) and got[2] == "c\n"


def test_gunzip_limits_directly():
    import io

    from sipdiag.sources import limits
    from sipdiag.sources.gunzip import damage_of, limited, open_gunzip

    saved = (limits.LIMITS.max_expand, limits.LIMITS.max_ratio)
    try:
        limits.configure(max_expand=1000, max_ratio=0)
        exact = open_gunzip(io.BytesIO(gzip.compress(b"a" * 1000)))
        assert exact.read() == b"a" * 1000 and damage_of(exact) is None  # exactly at the limit is fine
        over = open_gunzip(io.BytesIO(gzip.compress(b"a" * 1001)))
        assert over.read() == b"a" * 1000 and limited(over)
        assert "more than 1000 bytes, the limit (--max-expand" in damage_of(over)
    finally:
        limits.configure(max_expand=saved[0], max_ratio=saved[1])


def test_every_truncation_of_a_capture_is_analysed_or_refused_with_one_line(tmp_path):
    """Cut a pcap, a pcapng and a gzip'd pcap at many offsets: exit 0/1 with at most one stderr line
    naming the frame, or 2 with one error line; never an internal error, never silent loss inside a record."""
    from click.testing import CliRunner

    from sipdiag.cli import main

    runner = CliRunner()
    cases = []
    for source in (PCAP, PCAPNG):
        data = source.read_bytes()
        cases += [(source.suffix, data[:n]) for n in range(0, len(data), 97)]
    packed = gzip.compress(PCAP.read_bytes(), mtime=0)
    cases += [(".pcap.gz", packed[:n]) for n in range(0, len(packed), 53)]
    boundaries, pos = set(), 24
    data = PCAP.read_bytes()
    while pos < len(data):
        boundaries.add(pos)
        pos += 16 + struct.unpack_from("<I", data, pos + 8)[0]
    for n, (suffix, content) in enumerate(cases):
        path = tmp_path / f"cut{n}{suffix}"
        path.write_bytes(content)
        result = runner.invoke(main, ["analyze", "--format", "json", str(path)])
        errors = result.stderr.splitlines()
        assert result.exit_code in (0, 1, 2), (path, result.stderr, result.exception)
        if result.exit_code == 2:
            assert len(errors) == 1 and errors[0].startswith(f"sipdiag: error: {path}: "), result.stderr
            continue
        assert len(errors) <= 1, result.stderr
        if errors:
            assert errors[0].startswith(f"sipdiag: warning: {path}#"), errors
            assert errors[0].endswith(" packets read")
        elif suffix == ".pcap":  # no warning: the cut fell between two records
            assert len(content) in boundaries, (len(content), result.stderr)


@pytest.mark.parametrize("fmt", ["text", "json", "html"])
@pytest.mark.parametrize("user_agent", [EVIL_UA, "Asterisk PBX " + "9" * 5000 + ".1"], ids=["controls", "digits"])
def test_hostile_header_values_never_make_an_internal_error(tmp_path, fmt, user_agent):
    capture = tmp_path / "hostile.pcap"
    capture.write_bytes(pcap(register_exchange(user_agent, EVIL_CALL_ID, user_agent)))
    result = sipdiag("analyze", "--format", fmt, "-o", tmp_path / "report", capture)
    assert result.returncode == 1, result.stderr  # the 404 is an error finding


def test_output_to_a_fifo_nobody_reads_is_refused(tmp_path):
    fifo = tmp_path / "report.fifo"
    os.mkfifo(fifo)
    result = sipdiag("analyze", "--format", "json", "-o", fifo, PCAP)
    assert result.returncode == 2
    assert lines(result.stderr) == [
        f"sipdiag: error: cannot write {fifo}: a named pipe (FIFO) that no program reads from"
    ]
