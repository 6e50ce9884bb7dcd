"""Injection in a real browser: reports built from hostile traces execute nothing, inject no
element, load nothing, and show the payloads as text.

Two bundled lab traces (a REGISTER refused with 404 after digest authentication, and a call
rejected with 486 whose INVITE carries SDP) are rewritten so that every free-text field carries a
script, HTML, SVG, CSS or URI injection: display names, User-Agent, Server, Call-ID, a Request-URI
parameter, a Contact parameter that tries to break out of an attribute, a `javascript:` URI, the
reason phrases, the SDP session name and an attribute line, and (in the pjsip logger log) the
WARNING lines. Each payload sets `window.__xss` if it ever runs. The same traces rewritten with
harmless text of the same length give the clean reports. In headless Chromium:

* `window.__xss` is never set: after loading, after opening every <details> and after hovering,
  focusing and pointing at every element;
* the page has exactly as many elements of each tag as the clean report (no injected element),
  no attribute named on*, no javascript: link, and the browser logged no error (a CSP violation
  would be one: nothing here relies on the CSP to stop a script);
* no resource was fetched (the CSS url() payloads would fetch one);
* every payload is shown in the page as text.

The capture (with its pjsip.conf, whose dangling aors= name carries one more payload), the
pjsip logger log, and both together are checked, as are the triage index page of a folder holding
them and its per-event reports.
"""

from __future__ import annotations

import csv
import re
import socket
import struct
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import SAMPLES
from test_report_browser import browser  # noqa: F401  (the fixture)
from test_report_browser import CHROMIUM, DRIVER

from sipdiag.cli import main
from sipdiag.sources.capture import CaptureReader

pytestmark = pytest.mark.skipif(not (CHROMIUM and DRIVER), reason="needs Debian's chromium and chromium-driver")
LAB = SAMPLES / "lab"

PAYLOADS = {
    "display": "<script>window.__xss=1</script>",
    "display2": "'><img src=x onerror=window.__xss=2>",
    "ua": "<svg onload=window.__xss=3><style>*{background:url(https://evil.example/ua.png)}</style>",
    "server": "</style></title></textarea><script>window.__xss=4</script>",
    "callid": 'x"><svg/onload=window.__xss=5>',
    "reason": '<img src=x onerror="window.__xss=6">',
    "jsuri": "javascript:window.__xss=7",
    "param": '"onmouseover="window.__xss=8"',
    "sdp": "</style><script>window.__xss=9</script>",
    "sdp2": "x' style='background:url(https://evil.example/sdp.png)' onfocus='window.__xss=10",
    "log": "<iframe src=javascript:window.__xss=11></iframe>{{7*7}}<a href=javascript:window.__xss=12>x</a>",
    "config": "<svg/onload=window.__xss=13>",
}


def plain(payloads: dict[str, str]) -> dict[str, str]:
    """Harmless text of the same length for each payload (so layout and chunking stay the same)."""
    return {k: (f"plain-{k}-" + "x" * len(v))[: len(v)] for k, v in payloads.items()}


def inject(message: str, p: dict[str, str]) -> str:
    """One SIP message with the payloads in its free-text fields; Content-Length made right."""
    head, sep, body = message.partition("\r\n\r\n")
    lines = head.split("\r\n")
    first = lines[0]
    m = re.match(r"SIP/2\.0 (\d{3}) (.*)", first)
    if m:
        first = f"SIP/2.0 {m.group(1)} {m.group(2)} {p['reason']}"
    else:
        method, uri, version = first.split(" ")
        first = f"{method} {uri};x-note={p['param'].replace(chr(34), '')} {version}"
    out = [first]
    for line in lines[1:]:
        name, _, value = line.partition(":")
        low = name.strip().lower()
        if low in ("from", "f", "to", "t"):
            display = p["display"] if low.startswith("f") else p["display2"]
            value = re.sub(r'^\s*(?:"[^"]*"\s*)?<', f' "{display}" <', value)
        elif low == "user-agent":
            value = f" {p['ua']}"
        elif low == "server":
            value = f" {p['server']}"
        elif low in ("call-id", "i"):
            value = f" {p['callid']}{value.strip()}"
        elif low in ("contact", "m") and ">" in value:
            value = value.replace(">", f";x-note={p['param']}>", 1)
        elif low in ("content-length", "l"):
            continue
        out.append(f"{name}:{value}")
    out.append(f"Call-Info: <{p['jsuri']}>;purpose=info")
    if body.startswith("v=0"):
        body = re.sub(r"(?m)^s=.*$", f"s={p['sdp']}\r\na=tool:{p['sdp2']}", body, count=1)
    out.append(f"Content-Length: {len(body.encode())}")
    return "\r\n".join(out) + sep + body


def _udp_frame(src, dst, payload: bytes, ident: int) -> bytes:
    udp = struct.pack("!HHHH", src[1], dst[1], 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), ident & 0xFFFF, 0, 64, 17, 0,
                     socket.inet_aton(src[0]), socket.inet_aton(dst[0]))
    return b"\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x08\x00" + ip + udp


def capture_copy(original: Path, out: Path, p: dict[str, str]) -> Path:
    """`original`'s SIP datagrams, each injected, in a new pcap (same addresses and times)."""
    reader = CaptureReader(str(original), lambda: open(original, "rb"))
    records = []
    for n, f in enumerate(fr for fr in reader if fr.transport == "UDP" and fr.payload[:1].isalpha()):
        payload = inject(f.payload.decode(), p).encode()
        frame = _udp_frame((f.src.ip, f.src.port), (f.dst.ip, f.dst.port), payload, n)
        sec = int(f.time)
        records.append(struct.pack("<IIII", sec, round((f.time - sec) * 1e6), len(frame), len(frame)) + frame)
    out.write_bytes(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1) + b"".join(records))
    return out


def config_copy(original: Path, out: Path, p: dict[str, str]) -> Path:
    """`original` (pjsip.conf) whose dangling aors= name carries a payload (it is quoted in the fix)."""
    out.write_text(original.read_text().replace("aors=10000-aor", f"aors=10000-aor{p['config']}"))
    return out


LOG_ENTRY = re.compile(r"(?m)^\[[^\]]+\] ")


def log_copy(original: Path, out: Path, p: dict[str, str]) -> Path:
    """`original` (pjsip logger) with every SIP message injected and every WARNING line extended."""
    text = original.read_text().replace("\r\n", "\n")
    starts = [m.start() for m in LOG_ENTRY.finditer(text)] + [len(text)]
    entries = [text[a:b] for a, b in zip(starts, starts[1:])]
    result = [text[:starts[0]]]
    for entry in entries:
        header, _, rest = entry.partition("\n")
        if "res_pjsip_logger.c" in header and rest.strip():
            message = rest.rstrip("\n").replace("\n", "\r\n") + "\r\n"
            head, _, body = message.partition("\r\n\r\n")
            new = inject(head + "\r\n\r\n" + body, p)
            header = re.sub(r"\(\d+ bytes\)", f"({len(new.encode())} bytes)", header)
            result.append(header + "\n" + new.replace("\r\n", "\n").rstrip("\n") + "\n\n\n")
        elif re.search(r"\] (WARNING|NOTICE|ERROR)\[", header):
            result.append(f"{header} {p['log']}\n{rest}")
        else:
            result.append(entry)
    out.write_text("".join(result))
    return out


def page_facts(driver) -> dict:
    """What the test asserts about a loaded page, after poking at every element."""
    driver.execute_script("""
        document.querySelectorAll('details').forEach(d => d.open = true);
        for (const el of document.querySelectorAll('body *')) {
            for (const type of ['mouseover', 'mouseenter', 'focus', 'pointerover', 'animationstart']) {
                el.dispatchEvent(new Event(type, {bubbles: true}));
            }
        }
        // the page's own script at work on hostile text: sorting, filtering, following links
        document.querySelectorAll('th.sortable').forEach(th => th.click());
        for (const box of document.querySelectorAll('input[type=search], input[type=text]')) {
            box.value = '<img src=x onerror=window.__xss=99>';
            box.dispatchEvent(new Event('input', {bubbles: true}));
            box.value = '';
            box.dispatchEvent(new Event('input', {bubbles: true}));
        }
        location.hash = encodeURIComponent('<img src=x onerror=window.__xss=98>');
        const first = document.querySelector('a[href^="#m-"]');
        if (first) location.hash = first.getAttribute('href');""")
    return driver.execute_script("""
        const tags = {};
        for (const el of document.querySelectorAll('*')) tags[el.tagName] = (tags[el.tagName] || 0) + 1;
        const onAttrs = [];
        for (const el of document.querySelectorAll('*'))
            for (const a of el.attributes) if (a.name.toLowerCase().startsWith('on')) onAttrs.push(el.tagName + ' ' + a.name);
        return {
            xss: typeof window.__xss === 'undefined' ? null : window.__xss,
            tags: tags,
            onAttrs: onAttrs,
            jsLinks: Array.from(document.querySelectorAll('[href],[src],[xlink\\\\:href]'))
                .map(e => e.getAttribute('href') || e.getAttribute('src') || '')
                .filter(h => /^\\s*javascript:/i.test(h)).length,
            resources: performance.getEntriesByType('resource').map(r => r.name),
            text: document.body.innerText,
        };""")


def load(driver, page: Path) -> dict:
    driver.get_log("browser")  # drop what earlier pages logged
    driver.get(page.as_uri())
    facts = page_facts(driver)
    facts["errors"] = [e for e in driver.get_log("browser") if e["level"] == "SEVERE"]
    return facts


def report(paths: list[Path], out: Path) -> Path:
    result = CliRunner().invoke(main, ["analyze", "--format", "html", "-o", str(out), *map(str, paths)])
    assert result.exit_code in (0, 1), result.output
    return out


def _assert_inert(hostile: dict, clean: dict, shown: list[str]) -> None:
    assert hostile["xss"] is None, f"a payload ran: window.__xss = {hostile['xss']}"
    assert clean["xss"] is None
    assert hostile["onAttrs"] == [] and hostile["jsLinks"] == 0
    assert hostile["resources"] == [], hostile["resources"]
    assert not hostile["errors"], hostile["errors"]
    diff = {t: (hostile["tags"].get(t, 0), clean["tags"].get(t, 0))
            for t in set(hostile["tags"]) | set(clean["tags"]) if hostile["tags"].get(t) != clean["tags"].get(t)}
    assert not diff, f"elements (hostile, clean) by tag differ: {diff}"
    for name in shown:
        assert PAYLOADS[name] in hostile["text"], f"the {name} payload is not shown as text"


CASES = {
    "capture-register": (lambda d, p: [capture_copy(LAB / "ast-01-aor-404.pcap", d / "c.pcap", p),
                                       config_copy(LAB / "asterisk-config" / "pjsip-01-aor-404.conf",
                                                   d / "pjsip.conf", p)],
                         ["display", "display2", "ua", "server", "callid", "reason", "jsuri", "config"]),
    "capture-call-sdp": (lambda d, p: [capture_copy(LAB / "lab-06a-call-rejected-486.pcap", d / "c.pcap", p)],
                         ["display", "display2", "ua", "callid", "reason", "jsuri", "sdp", "sdp2"]),
    "pjsip-logger-log": (lambda d, p: [log_copy(LAB / "ast-01-aor-404.pjsip-logger.log", d / "c.log", p)],
                         ["display", "display2", "ua", "server", "callid", "reason", "jsuri", "log"]),
    "log-and-capture": (lambda d, p: [capture_copy(LAB / "ast-01-aor-404.pcap", d / "c.pcap", p),
                                      log_copy(LAB / "ast-01-aor-404.pjsip-logger.log", d / "c.log", p)],
                        ["display", "ua", "callid", "reason", "log"]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_hostile_trace_report_executes_nothing_and_injects_nothing(browser, tmp_path, case):  # noqa: F811
    make, shown = CASES[case]
    facts = {}
    for kind, payloads in (("hostile", PAYLOADS), ("clean", plain(PAYLOADS))):
        folder = tmp_path / kind
        folder.mkdir()
        facts[kind] = load(browser, report(make(folder, payloads), folder / "report.html"))
    assert "ERROR" in facts["hostile"]["text"] or "WARNING" in facts["hostile"]["text"]  # a diagnosis, not a blank
    _assert_inert(facts["hostile"], facts["clean"], shown)


def test_hostile_triage_index_executes_nothing_and_injects_nothing(browser, tmp_path):  # noqa: F811
    facts = {}
    for kind, payloads in (("hostile", PAYLOADS), ("clean", plain(PAYLOADS))):
        folder = tmp_path / kind / "in"
        folder.mkdir(parents=True)
        capture_copy(LAB / "ast-01-aor-404.pcap", folder / "case-a.pcap", payloads)
        log_copy(LAB / "ast-01-aor-404.pjsip-logger.log", folder / "case-a.pjsip-logger.log", payloads)
        capture_copy(LAB / "lab-06a-call-rejected-486.pcap", folder / "case-b.pcap", payloads)
        out = tmp_path / kind / "out"
        result = CliRunner().invoke(main, ["triage", str(folder), "-o", str(out), "-j", "1"])
        assert result.exit_code in (0, 1), result.output
        facts[kind] = load(browser, out / "index.html")
        rows = {Path(r["event"]).name: r for r in csv.DictReader(open(out / "triage.csv", encoding="utf-8"))}
        assert sorted(rows) == ["case-a", "case-b"]
        for event, row in rows.items():
            facts[f"{kind} {event}"] = load(browser, out / row["report_html"])
    _assert_inert(facts["hostile"], facts["clean"], ["ua"])
    for event in rows:
        _assert_inert(facts[f"hostile {event}"], facts[f"clean {event}"], ["ua", "reason"])


def test_the_injection_changes_only_text(tmp_path):
    """The rewritten traces still tell the same story (else the clean comparison proves little)."""
    from sipdiag.analysis import analyze_paths
    from sipdiag.rules import run_rules

    def story(paths):
        analysis = analyze_paths([str(p) for p in paths])
        return [(f.code, len(f.evidence)) for f in run_rules(analysis)], len(analysis.messages)

    for case, (make, _shown) in CASES.items():
        original = story([LAB / "ast-01-aor-404.pcap"]) if "register" in case else None
        (tmp_path / case).mkdir()
        hostile = story(make(tmp_path / case, PAYLOADS))
        (tmp_path / (case + "-clean")).mkdir()
        assert hostile == story(make(tmp_path / (case + "-clean"), plain(PAYLOADS)))
        if original is not None:
            assert Counter(code for code, _n in hostile[0]) == Counter(code for code, _n in original[0]) \
                or hostile[1] == original[1]
