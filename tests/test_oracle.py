"""tshark as the oracle: on every capture, sipdiag lists the SIP messages tshark lists.

For each capture of the shared corpus (public and lab) and each synthetic capture in
samples/synthetic/, tshark (through pyshark, `display_filter="sip"`) gives one row per SIP
layer: frame number, request or status line, Call-ID, CSeq, source and destination address
and port of the innermost IP and transport layer, and the transport (UDP, TCP, SCTP, or WS
when the message came in a WebSocket frame). sipdiag must give the same rows in the same
order. tshark's SIP "Continuation" layers (bytes it gave to SIP but could not read as a
message) are not messages and are left out.

Where sipdiag deliberately differs, `DIFFERENCES` names the file, the frame and the message
and says why; a listed difference that no longer happens fails the test, so the table stays
true. Where tshark needs a preference to decode a file as Wireshark users would set it,
`TSHARK_PREFS` says which and why.

tshark's rows are cached in pytest's cache (keyed by file size, mtime, preferences and the
tshark version), so a second run costs only sipdiag's time. `pytest --cache-clear` refreshes.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import SAMPLES, corpus_files
from sipdiag.dissect import read_messages
from sipdiag.sip.message import SipMessage

pytestmark = pytest.mark.oracle

CAPTURE_PATTERNS = ("*.pcap", "*.pcapng", "*.cap", "*.pcap.gz", "*.pcapng.gz")
SYNTHETIC = SAMPLES / "synthetic"
CACHE_SCHEMA = 2

TSHARK_PREFS: dict[str, tuple[dict[str, str], str]] = {
    "tcp-reassembly.pcap": (
        {"tcp.reassemble_out_of_order": "TRUE"},
        "segments arrive out of order; Wireshark 4.0 reorders them only with this preference "
        "(without it, it misses the INVITE and the 200 OK)",
    ),
    "tcp-port-6060.pcap": (
        {"tcp.try_heuristic_first": "TRUE"},
        "TCP 6060 is registered for X11, and tshark tries the SIP heuristic only after port "
        "dissectors unless asked to try heuristics first",
    ),
}

ONLY_SIPDIAG, ONLY_TSHARK = "only in sipdiag", "only in tshark"
DIFFERENCES: dict[str, list[tuple[int, str, str, str]]] = {
    # file name: [(frame, start line, side, why)]
    "tcp-midstream.pcap": [
        (1, "INFO sip:bob@198.51.100.20;transport=tcp SIP/2.0", ONLY_SIPDIAG,
         "the capture starts inside an earlier message's body; tshark gives the whole segment up as a "
         "SIP continuation, sipdiag resynchronises at the start line that follows in the same segment"),
    ],
    "tcp-gap.pcap": [
        (7, "MESSAGE sip:bob@example.com SIP/2.0", ONLY_SIPDIAG,
         "after a segment missing from the capture the stream resumes inside OPTIONS; sipdiag "
         "resynchronises at the MESSAGE start line later in that segment, tshark does not look past "
         "the segment's first bytes"),
    ],
    "tcp-reassembly.pcap": [
        (18, "BYE sip:bob@198.51.100.20:5060;transport=tcp SIP/2.0", ONLY_SIPDIAG,
         "a CRLF CRLF keep-alive (RFC 5626 §4.4.1) sits between ACK and BYE in one segment; tshark "
         "stops dissecting the segment at the keep-alive"),
    ],
    "udp-syntax.pcap": [
        (1, "SIP/2.0 200 OK", ONLY_SIPDIAG,
         "two messages in one UDP datagram; tshark decodes only the first. sipdiag lists the second "
         "with a 'bundled-message' anomaly, because an RFC 3261 §18.3 receiver discards it"),
    ],
}


def _captures() -> list:
    files = corpus_files("public", CAPTURE_PATTERNS) + corpus_files("lab", CAPTURE_PATTERNS)
    files += sorted(p for pattern in CAPTURE_PATTERNS for p in SYNTHETIC.glob(pattern))
    return [pytest.param(f, id=f"{f.parent.name}/{f.name}") for f in files]


def _tshark_version() -> str | None:
    if shutil.which("tshark") is None:
        return None
    try:
        out = subprocess.run(["tshark", "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return out.splitlines()[0] if out else None


@pytest.fixture(scope="session")
def tshark_version() -> str:
    pytest.importorskip("pyshark")
    version = _tshark_version()
    if version is None:
        pytest.skip("tshark is not installed")
    return version


def _field(layer, name: str) -> str | None:
    value = layer.get_field(name)
    return None if value is None else str(value)


def tshark_rows(path: Path, prefs: dict[str, str]) -> list[list]:
    """One row per SIP message tshark decodes in `path` (see the module docstring).

    tshark itself sometimes exits 255 under pyshark on a loaded machine (seen once in CI, on a
    file it reads cleanly otherwise): the oracle is asked once more before the test fails."""
    from pyshark.capture.capture import TSharkCrashException

    try:
        return _tshark_rows_once(path, prefs)
    except TSharkCrashException:
        return _tshark_rows_once(path, prefs)


def _tshark_rows_once(path: Path, prefs: dict[str, str]) -> list[list]:
    import pyshark

    rows: list[list] = []
    capture = pyshark.FileCapture(str(path), display_filter="sip", keep_packets=False,
                                  override_prefs=prefs or None)
    try:
        for pkt in capture:
            layers = pkt.layers
            names = [layer.layer_name for layer in layers]
            ip = next((layer for layer in reversed(layers) if layer.layer_name in ("ip", "ipv6")), None)
            transport = None
            for layer in layers:
                if layer.layer_name in ("udp", "tcp", "sctp") and layer.get_field("srcport") is not None:
                    transport = layer
            kind = "WS" if "websocket" in names else (transport.layer_name.upper() if transport else None)
            for sip in pkt.get_multiple_layers("sip"):
                start = _field(sip, "request_line") or _field(sip, "status_line")
                if start is None:
                    continue  # a "Continuation": not a message
                cseq = _field(sip, "cseq")
                rows.append([
                    int(pkt.number), start, _field(sip, "call_id"), " ".join(cseq.split()) if cseq else None,
                    _field(ip, "src") if ip else None, _field(transport, "srcport") if transport else None,
                    _field(ip, "dst") if ip else None, _field(transport, "dstport") if transport else None,
                    kind,
                ])
    finally:
        capture.close()
    return rows


def sipdiag_rows(path: Path) -> list[list]:
    source, items = read_messages(str(path))
    rows = []
    for item in items:
        if isinstance(item, SipMessage):
            rows.append([
                item.origin.frame, item.start_line, item.call_id,
                f"{item.cseq[0]} {item.cseq[1]}" if item.cseq else None,
                item.src.ip, None if item.src.port is None else str(item.src.port),
                item.dst.ip, None if item.dst.port is None else str(item.dst.port),
                item.transport,
            ])
    return rows


@pytest.fixture
def cached_tshark_rows(request, tshark_version):
    def get(path: Path, prefs: dict[str, str]) -> list[list]:
        stat = path.stat()
        key = f"sipdiag/oracle/{CACHE_SCHEMA}/{path.name}"
        stamp = [str(path), stat.st_size, stat.st_mtime_ns, sorted(prefs.items()), tshark_version]
        cache = getattr(request.config, "cache", None)  # absent under -p no:cacheprovider
        cached = cache.get(key, None) if cache else None
        if cached and cached.get("stamp") == [list(x) if isinstance(x, tuple) else x for x in stamp]:
            return cached["rows"]
        rows = tshark_rows(path, prefs)
        if cache:
            cache.set(key, {"stamp": [list(x) if isinstance(x, tuple) else x for x in stamp],
                             "rows": rows})
        return rows

    return get


def _remove(rows: list[list], frame: int, start: str) -> bool:
    for i, row in enumerate(rows):
        if row[0] == frame and row[1] == start:
            del rows[i]
            return True
    return False


@pytest.mark.parametrize("path", _captures())
def test_same_messages_as_tshark(path: Path, cached_tshark_rows):
    prefs, _why = TSHARK_PREFS.get(path.name, ({}, ""))
    theirs = cached_tshark_rows(path, prefs)
    ours = sipdiag_rows(path)
    if not theirs and not ours:
        pytest.fail(f"{path.name}: neither tshark nor sipdiag found SIP; the file proves nothing")
    for frame, start, side, why in DIFFERENCES.get(path.name, []):
        rows = ours if side == ONLY_SIPDIAG else theirs
        assert _remove(rows, frame, start), f"documented difference no longer happens: frame {frame} {start!r} ({why})"
    assert ours == theirs


def test_difference_tables_name_real_files():
    names = {p.name for p in SYNTHETIC.iterdir()} if SYNTHETIC.is_dir() else set()
    for table in (TSHARK_PREFS, DIFFERENCES):
        for name in table:
            assert name in names, f"{name} is in the oracle tables but not in samples/synthetic/"
