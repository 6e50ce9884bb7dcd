"""The HTML case report: structure on every bundled sample, Case 01's content for ast-01,
escaping of hostile captures, busy captures, and redaction.

The page is parsed with the standard library (tests/htmlprobe.py); the checks are about what a
reader relies on: the title says symptom and cause, the TL;DR has its five lines, there is one
overview row per host and one ladder arrow per message, and every evidence link lands on
something on the page.
"""

from __future__ import annotations

import ipaddress
import re
from importlib import resources
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import SAMPLES, corpus_file
from busy_capture import write_busy_capture
from forking_capture import write_forking_capture
from htmlprobe import parse

from sipdiag.analysis import analyze_paths
from sipdiag.cli import main
from sipdiag.report.html import render_html
from sipdiag.report.viewmodel import build_view
from sipdiag.report.redact import KEEP_WORDS
from sipdiag.report.viewmodel import WHOLE_LADDER_MAX_HOSTS, WHOLE_LADDER_MAX_MESSAGES
from sipdiag.rules import run_rules
from sipdiag.rules.verdict import decide

LAB = SAMPLES / "lab"
BUNDLED = sorted(p for p in LAB.iterdir() if p.suffix in (".pcap", ".log") or p.name.endswith(".console.txt"))
AST01 = LAB / "ast-01-aor-404.pcap"
AST01_LOG = LAB / "ast-01-aor-404.pjsip-logger.log"
SCRIPT = resources.files("sipdiag.report").joinpath("templates", "report.js").read_text(encoding="utf-8")


def report(*paths: Path, redact: bool = False):
    analysis = analyze_paths([str(p) for p in paths])
    findings = run_rules(analysis)
    html = render_html(analysis, findings, redact=redact)
    return analysis, findings, html, parse(html)


def assert_self_contained(page) -> None:
    for el in page.root.find_all():
        for name, value in el.attrs.items():
            assert not name.startswith("on"), f"event handler attribute {name}={value!r} on <{el.tag}>"
            if name in ("src", "href", "action", "xlink:href", "srcset", "poster", "data"):
                assert not re.match(r"\s*([a-z][a-z0-9+.-]*:|//)", value, re.I), f"<{el.tag} {name}={value!r}>"
    assert not page.root.find_all("link") and not page.root.find_all("img") and not page.root.find_all("iframe")
    scripts = page.root.find_all("script")
    assert len(scripts) == 1 and page.scripts == [SCRIPT], "the only script is report.js"
    csp = [m for m in page.root.find_all("meta") if m.attrs.get("http-equiv") == "Content-Security-Policy"]
    assert csp and "default-src 'none'" in csp[0].attrs["content"]


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.name)
def test_bundled_sample_report_structure(path):
    analysis, findings, html, page = report(path)
    title = page.root.find("h1").all_text()
    assert title and page.root.find("title").all_text() == title, "the page title is the headline"
    tldr = page.section("tldr")
    labels = [dt.all_text() for dt in tldr.find_all("dt")]
    assert labels[:2] == ["Client", "Server"] or "Outcome" in labels, labels

    rows = page.section("network").find_all("tr")[1:]
    assert len(rows) == len(analysis.hosts)
    for host in analysis.hosts.values():
        assert any(host.address in r.all_text() for r in rows), host.address

    arrows = [a for a in page.root.find_all("a") if "arrow" in a.classes]
    if len(analysis.messages) <= WHOLE_LADDER_MAX_MESSAGES and len(analysis.hosts) <= WHOLE_LADDER_MAX_HOSTS:
        assert len(arrows) == len(analysis.messages), "one arrow per message"
    for a in arrows:
        target = page.ids[a.attrs["href"][1:]]
        assert target.tag == "details" and "msg" in target.classes

    for link in page.local_links():
        assert link in page.ids, f"link #{link} resolves to nothing"
    appendix = [d for d in page.section("appendix").find_all("details") if "msg" in d.classes]
    assert len(appendix) == len(analysis.messages)
    flows = page.section("flow-table").find_all("tbody")[0].find_all("tr")
    assert len(flows) == len(analysis.flows)
    assert_self_contained(page)


def _ast01_checks(page, with_log: bool) -> None:
    title = page.root.find("h1").all_text()
    assert title.startswith("REGISTER fails with 404 Not Found — AOR 10000")
    assert "Asterisk" in title and "NAT" in title and title.endswith("AOR not found")
    tldr = {dt.all_text(): dd.all_text() for dt, dd in zip(page.section("tldr").find_all("dt"),
                                                            page.section("tldr").find_all("dd"))}
    assert list(tldr)[:5] == ["Client", "Server", "Symptom", "Cause", "Fix"]
    assert "behind NAT" in tldr["Client"] and "192.0.2.30" in tldr["Client"] and "203.0.113.88" in tldr["Client"]
    assert "Asterisk" in tldr["Server"] and "198.51.100.2" in tldr["Server"]
    assert "404 Not Found" in tldr["Symptom"] and "401" in tldr["Symptom"]
    assert "aors=" in tldr["Cause"] and "AOR" in tldr["Cause"]
    diagnosis = page.section("diagnosis").all_text()
    assert "SD101 aor-not-found" in diagnosis
    assert "authentication succeeded" in diagnosis.lower() or "password was accepted" in diagnosis
    fix = page.section("fix").all_text()
    for needle in ("type=endpoint", "aors=", "type=aor", "rewrite_contact=yes", "force_rport=yes",
                   "rtp_symmetric=yes", "direct_media=no"):
        assert needle in fix, needle
    rows = page.section("network").find_all("tr")[1:]
    phone = next(r for r in rows if "203.0.113.88" in r.all_text())
    assert "behind NAT" in phone.all_text() and "192.0.2.30" in phone.all_text()
    key = page.section("messages")
    highlighted = " ".join(s.all_text() for s in key.find_all("span", "hl"))
    assert "Authorization:" in highlighted and "Contact:" in highlighted
    if with_log:
        assert "AOR '' not found for endpoint '10000'" in key.all_text()
    # never the digest response: it is the one secret a capture of a failed REGISTER gives away
    assert "12744bc79c8b7a95cbbfcf65b9923d25" not in page.html


def test_ast01_reads_like_case01_from_the_capture_alone():
    _analysis, _findings, _html, page = report(AST01)
    _ast01_checks(page, with_log=False)


@pytest.mark.parametrize("inputs", [
    ["ast-01-aor-404.pjsip-logger.log"],
    ["ast-01-aor-404.console.txt"],
    ["ast-01-aor-404.lan.pcap"],
    ["ast-01-aor-404.pcap", "ast-01-aor-404.pjsip-logger.log"],
])
def test_ast01_report_from_other_inputs(inputs):
    _analysis, _findings, _html, page = report(*(LAB / n for n in inputs))
    title = page.root.find("h1").all_text()
    assert title.startswith("REGISTER fails with 404 Not Found — AOR 10000") and title.endswith("AOR not found")
    assert "SD101 aor-not-found" in page.section("diagnosis").all_text()
    if "ast-01-aor-404.pcap" in inputs and len(inputs) == 2:
        _ast01_checks(page, with_log=True)


def test_the_header_counts_errors_and_warnings():
    """The badge beside the file name says how many errors and warnings there are (it showed the
    index of a verdict group for a while: a loop variable of the same name)."""
    _analysis, findings, _html, page = report(AST01)
    errors = sum(1 for f in findings if f.severity == "error")
    warnings = sum(1 for f in findings if f.severity == "warning")
    badge = next(el for el in page.root.find_all("span") if "verdict" in el.attrs.get("class", "").split())
    assert errors and badge.all_text() == (f"{errors} error{'s' if errors > 1 else ''}, "
                                           f"{warnings} warning{'s' if warnings != 1 else ''}")
    _analysis, _findings, _html, page = report(LAB / "lab-01-register-auth-ok-nat.pcap")
    badge = next(el for el in page.root.find_all("span") if "verdict" in el.attrs.get("class", "").split())
    assert badge.all_text() == "no errors or warnings"


def test_healthy_capture_says_so():
    _analysis, findings, _html, page = report(LAB / "lab-01-register-auth-ok-nat.pcap")
    assert not [f for f in findings if f.severity in ("error", "warning")]
    assert page.root.find("h1").all_text().startswith("No problems found — 1 registration OK")
    # the diagnosis of a healthy trace is what worked; the fix says there is nothing to fix
    assert page.section("diagnosis").all_text().startswith("What worked SD103 registration-ok")
    assert "Nothing to fix" in page.section("fix").all_text()


def test_working_flow_with_a_warning_leads_with_the_outcome():
    """ast-02 registers fine; the NAT warning (nothing in the capture alone shows the fix) comes last."""
    _analysis, findings, _html, page = report(LAB / "ast-02-fixed-200.pcap")
    assert not [f for f in findings if f.severity == "error"]
    title = page.root.find("h1").all_text()
    assert title.startswith("REGISTER succeeds (200 OK) — AOR 10000")
    assert title.endswith("warning: private Contact behind NAT")


def test_ip_literal_request_uri_report_explains_the_lookup():
    _analysis, _findings, _html, page = report(LAB / "lab-04b-ip-ruri-mapped-to-contact-ok.pcap")
    text = page.root.all_text()
    assert "SD301" in text and "ip-in-request-uri" in text
    assert "username" in text and "tenant" in text


def test_cli_writes_html_and_exit_code_follows_findings(tmp_path):
    out = tmp_path / "r.html"
    result = CliRunner().invoke(main, ["analyze", str(AST01), "--format", "html", "-o", str(out)])
    assert result.exit_code == 1, result.output
    assert parse(out.read_text(encoding="utf-8")).root.find("h1") is not None
    result = CliRunner().invoke(main, ["analyze", str(AST01), "--redact"])  # the terminal summary, redacted
    assert result.exit_code == 1 and "aor-not-found" in result.stdout
    assert "10000" not in result.stdout and "192.0.2.30" not in result.stdout and "user1" in result.stdout


# ------------------------------------------------------------------------- hostile input

HOSTILE = [
    '"<script>window.__pwned=1</script>" <sip:alice@example.com>',
    '<img src=x onerror="window.__pwned=2">',
    '"><svg onload=window.__pwned=3>',
    "</pre></figure><script>window.__pwned=4</script>",
    "javascript:window.__pwned=5",
    "{{ 7*7 }} {% raw %}",
]


def hostile_capture(tmp_path: Path) -> Path:
    """A REGISTER/401/REGISTER/404 exchange whose every free-text field carries markup."""
    scapy = pytest.importorskip("scapy.all")
    a, b = ("203.0.113.7", 5060), ("198.51.100.9", 5060)

    def sip(lines: list[str]) -> bytes:
        return ("\r\n".join(lines) + "\r\n\r\n").encode()

    common = [
        f"Via: SIP/2.0/UDP 192.168.1.5:5060;branch=z9hG4bK{{n}};rport",
        f"From: {HOSTILE[0]};tag=1",
        "To: <sip:alice@example.com>",
        "Call-ID: x<script>1</script>@h",
        f"User-Agent: {HOSTILE[1]}",
        f"Contact: <sip:alice@192.168.1.5:5060;x={HOSTILE[4]}>",
        f"Subject: {HOSTILE[2]}",
        f"X-Note: {HOSTILE[3]} {HOSTILE[5]}",
    ]
    msgs = [
        (a, b, sip(["REGISTER sip:example.com SIP/2.0"] + [h.replace("{n}", "1") for h in common] +
                   ["CSeq: 1 REGISTER", "Content-Length: 0"])),
        (b, a, sip(["SIP/2.0 401 <b onmouseover=window.__pwned=6>Unauthorized</b>",
                    common[0].replace("{n}", "1") + ";received=203.0.113.7", *common[1:5],
                    f'WWW-Authenticate: Digest realm="{HOSTILE[1]}", nonce="n<script>"',
                    "Server: <script>window.__pwned=7</script>",
                    "CSeq: 1 REGISTER", "Content-Length: 0"])),
        (a, b, sip(["REGISTER sip:example.com SIP/2.0"] + [h.replace("{n}", "2") for h in common] +
                   ['Authorization: Digest username="alice<script>", realm="x", nonce="n<script>", '
                    'uri="sip:example.com", response="0123456789abcdef0123456789abcdef"',
                    "CSeq: 2 REGISTER", "Content-Length: 0"])),
        (b, a, sip(["SIP/2.0 404 Not <script>window.__pwned=8</script>Found",
                    common[0].replace("{n}", "2") + ";received=203.0.113.7", *common[1:5],
                    "Server: Asterisk PBX <i>evil</i>", "CSeq: 2 REGISTER", "Content-Length: 0"])),
    ]
    packets = []
    for i, (src, dst, payload) in enumerate(msgs):
        pkt = scapy.Ether() / scapy.IP(src=src[0], dst=dst[0]) / scapy.UDP(sport=src[1], dport=dst[1]) / payload
        pkt.time = 1_700_000_000 + i * 0.01
        packets.append(pkt)
    path = tmp_path / "hostile<script>.pcap"
    scapy.wrpcap(str(path), packets)
    return path


def test_hostile_capture_is_escaped(tmp_path):
    analysis, _findings, html, page = report(hostile_capture(tmp_path))
    assert len(analysis.messages) == 4
    assert_self_contained(page)
    assert "<script>window" not in html and "<b onmouseover" not in html and "<svg onload" not in html
    assert "&lt;script&gt;" in html
    assert "49" not in page.root.find("h1").all_text()  # no template evaluation of capture text


# ------------------------------------------------------------------------- ladders

def _ladders(*paths: Path):
    analysis = analyze_paths([str(p) for p in paths])
    view = build_view(analysis, run_rules(analysis), None)
    return analysis, view, view.main_ladders + view.more_ladders


@pytest.mark.parametrize("phones", [4, 6])
def test_forked_call_has_a_lane_per_host_and_everything_inside_its_part(tmp_path, phones):
    """Lane boxes lie in the header band right of the gutter, arrows and labels in the body,
    lanes never overlap: the template can cut the drawing into sticky parts without clipping."""
    capture = tmp_path / "fork.pcap"
    write_forking_capture(capture, phones)
    analysis, view, ladders = _ladders(capture)
    assert len(analysis.hosts) == phones + 3 and len(analysis.flows) == 1
    ladder = view.main_ladders[0]
    assert len(ladder.columns) == phones + 3 and len(ladder.arrows) == len(analysis.messages)
    for lad in ladders:
        assert lad.body_w == lad.width - lad.gutter and lad.body_h == lad.height - lad.header_h
        assert abs(lad.gutter_pct + lad.body_pct - 100) < 0.01
        xs = [c.x for c in lad.columns]
        assert xs == sorted(xs)
        for left, right in zip(lad.columns, lad.columns[1:]):
            assert left.box_x + left.box_w <= right.box_x, (left.title, right.title)
        for c in lad.columns:
            assert lad.gutter < c.box_x and c.box_x + c.box_w < lad.width, c
            assert c.title and c.address, "every lane is named"
        for a in lad.arrows:
            assert lad.gutter < min(a.x1, a.x2) and max(a.x1, a.x2, a.label_x) < lad.width
            assert lad.header_h < a.label_y - 12 and a.detail_y < lad.height
            assert a.label, "every arrow is labelled"
            if a.anchor == "middle":  # the label (7 px a character, estimated) fits over its arrow
                assert len(a.label) * 7.0 <= abs(a.x2 - a.x1) + 16


def test_every_bundled_ladder_stays_inside_its_parts():
    for path in BUNDLED:
        _analysis, _view, ladders = _ladders(path)
        for lad in ladders:
            for c in lad.columns:
                assert lad.gutter < c.box_x and c.box_x + c.box_w < lad.width, (path.name, c)
            for a in lad.arrows:
                assert lad.gutter < min(a.x1, a.x2) and max(a.x1, a.x2) < lad.width, path.name


def test_page_title_is_the_headline_on_busy_and_multi_host_captures(tmp_path):
    """Not a ladder's or a flow's title ("cal-19 · call · …"), whatever the size of the capture."""
    busy, fork = tmp_path / "busy.pcap", tmp_path / "fork.pcap"
    write_busy_capture(busy, 400)
    write_forking_capture(fork, 6)
    for path in (busy, fork):
        _analysis, _findings, _html, page = report(path)
        assert page.root.find("title").all_text() == page.root.find("h1").all_text()


# ------------------------------------------------------------------------- busy captures

def test_busy_capture_gets_a_flow_table_and_ladders_with_findings_first(tmp_path):
    path = tmp_path / "busy.pcap"
    write_busy_capture(path, 400)
    analysis, findings, _html, page = report(path)
    assert len(analysis.messages) > WHOLE_LADDER_MAX_MESSAGES
    rows = page.section("flow-table").find_all("tbody")[0].find_all("tr")
    assert len(rows) == len(analysis.flows)
    problems = [r for r in rows if r.attrs["data-problem"] == "1"]
    assert 0 < len(problems) < len(rows)
    errors = {f.flow for f in findings if f.severity == "error" and f.flow}
    first = page.section("sequence").find("h3").attrs["id"].removeprefix("ladder-")
    assert first in errors, "the first ladder is the main finding's flow"
    drawn = [d.attrs["id"].removeprefix("ladder-") for d in page.section("ladders").find_all("details")]
    flagged = {f.flow for f in findings if f.severity in ("error", "warning") and f.flow}
    n = len([x for x in drawn if x in flagged])
    assert all(x in flagged for x in drawn[:n]) and n > 0, "ladders of flows with findings come first"
    for link in page.local_links():
        assert link in page.ids, link
    assert len([d for d in page.section("appendix").find_all("details") if "msg" in d.classes]) == len(
        analysis.messages)


# ------------------------------------------------------------------------- redaction

def _originals(analysis) -> dict[str, set[str]]:
    """What identifies people and places in the inputs: addresses, users, domains, secrets."""
    out = {"address": set(), "user": set(), "domain": set(), "secret": set()}
    for msg in analysis.messages:
        for ep in (msg.src, msg.dst):
            if ep.ip:
                out["address"].add(ep.ip)
        raw = msg.raw.decode("utf-8", "replace")
        for m in re.finditer(r"\b(\d{1,3}(?:\.\d{1,3}){3})\b", raw):
            out["address"].add(m.group(1))
        for m in re.finditer(r"sips?:([^@;>\s:]+)@([^;>\s:]+)", raw):
            out["user"].add(m.group(1))
            if not re.fullmatch(r"[\d.]+", m.group(2)):
                out["domain"].add(m.group(2))
        for m in re.finditer(r'(?i)\b(nonce|response|cnonce|opaque)="([^"]+)"', raw):
            out["secret"].add(m.group(2))
        for m in re.finditer(r'(?i)username="([^"]+)"', raw):
            out["user"].add(m.group(1))
    out["address"] = {a for a in out["address"]
                      if not ipaddress.ip_address(a).is_loopback and not ipaddress.ip_address(a).is_unspecified}
    return out


def _visible_text(html: str) -> str:
    html = html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    return re.sub(r"<style>.*?</style>|<script>.*?</script>", "", html, flags=re.S)


@pytest.mark.parametrize("inputs", [
    ["ast-01-aor-404.pcap", "ast-01-aor-404.pjsip-logger.log"],
    ["lab-04b-ip-ruri-mapped-to-contact-ok.pcap"],
    ["lab-06a-call-rejected-486.pcap"],
])
def test_redacted_report_leaks_nothing_and_still_diagnoses(inputs):
    paths = [LAB / n for n in inputs]
    analysis, findings, html, page = report(*paths, redact=True)
    text = _visible_text(html)
    originals = _originals(analysis)
    for kind, values in originals.items():
        for value in values:
            if kind == "user" and (value.startswith("*") or value.lower() in KEEP_WORDS):
                continue  # a feature code (*97 voicemail) or a generic word names no one
            if kind == "user" and len(value) <= 3:
                pattern = rf"(?<![\w.]){re.escape(value)}@"  # '401' is also a status code
            else:
                pattern = rf"(?<![\w.\-]){re.escape(value)}(?![\w\-]|\.\d)"
            assert not re.search(pattern, text), f"{kind} {value!r} survives redaction"
    for address in originals["address"]:
        if "." in address:  # not even a cut-off one ('192.0.2.…' in a ladder label): no pseudonym
            subnet = address.rsplit(".", 1)[0] + "."  # ever uses a /24 of the input
            assert not re.search(rf"(?<![\w.]){re.escape(subnet)}", text), f"{address}'s subnet survives"
    for path in paths:
        assert path.name not in text
    plain = report(*paths)[3]
    assert page.root.find("h1").all_text().split(" — ")[0] == plain.root.find("h1").all_text().split(" — ")[0]
    verdict = decide(analysis, findings)[0]
    if verdict.code:
        assert verdict.code in page.section("diagnosis").all_text()


def test_redaction_keeps_private_public_and_subnet_relations():
    """ast-01's phone advertises its LAN address 192.0.2.30 and is seen from 203.0.113.88 (both
    TEST-NETs in the lab): the pseudonyms still show one private and one public address."""
    analysis, _findings, html, page = report(AST01, redact=True)
    rows = page.section("network").find_all("tr")[1:]
    phone = next(r for r in rows if "behind NAT" in r.all_text()).all_text()
    addresses = re.findall(r"\b\d{1,3}(?:\.\d{1,3}){3}\b", phone)
    private_pool = ipaddress.ip_network("10.0.0.0/8")
    assert sorted(ipaddress.ip_address(a) in private_pool for a in addresses) == [False, True], addresses
    assert "10000" not in _visible_text(html)


def test_json_redaction(tmp_path):
    result = CliRunner().invoke(main, ["analyze", str(AST01), str(AST01_LOG), "--format", "json", "--redact"])
    assert result.exit_code == 1
    for secret in ("198.51.100.2", "203.0.113.88", "192.0.2.30", "10000", "1795375727/05fe148c9ca1ff2a7d714fbd4b630d59",
                   "ast-01-aor-404"):
        assert secret not in result.output
    assert '"slug": "aor-not-found"' in result.output


# --- Case 01 parity: full fix, verification, lessons (issue 15) --------------------------------

CASE_SECTIONS = ("tldr", "network", "sequence", "messages", "diagnosis", "fix", "verify", "lessons")


@pytest.mark.parametrize("name", ["ast-01-aor-404.pcap", "ast-01-aor-404.lan.pcap", "ast-02-fixed-200.pcap",
                                  "lab-01-register-auth-ok-nat.pcap", "lab-04b-ip-ruri-mapped-to-contact-ok.pcap",
                                  "lab-06a-call-rejected-486.pcap", "lab-08a-tcp-register-call-segmented-invite.pcap",
                                  "lab-09-udp-big-invite-ip-fragmented.pcap"])
def test_every_lab_report_has_the_case01_sections(name):
    from conftest import SAMPLES
    analysis = analyze_paths([str(SAMPLES / "lab" / name)])
    html = render_html(analysis, run_rules(analysis))
    missing = [s for s in CASE_SECTIONS if f'<section id="{s}"' not in html]
    assert missing == [], f"{name}: no {missing}"


def test_ast01_with_its_config_gets_the_corrected_pjsip_conf():
    """Case 01's fix: every section involved, the changed lines marked against the given file; the
    result is what samples/lab/asterisk-config/pjsip-02-fixed.conf (the lab's real fix) says."""
    import html as html_lib
    import re

    from conftest import SAMPLES
    lab = SAMPLES / "lab"
    analysis = analyze_paths([str(lab / "ast-01-aor-404.pcap"), str(lab / "ast-01-aor-404.pjsip-logger.log"),
                              str(lab / "asterisk-config" / "pjsip-01-aor-404.conf")])
    page = render_html(analysis, run_rules(analysis))
    start = page.index('<pre class="conf diff">')
    text = html_lib.unescape(re.sub(r"<[^>]+>", "", page[start:page.index("</pre>", start)]))
    lines = [line.split("  ;")[0].strip() for line in text.splitlines()]
    for wanted in ("[transport-udp]", "~ aors=10000", "+ rewrite_contact=yes", "+ force_rport=yes",
                   "+ rtp_symmetric=yes", "type=auth", "type=aor", "username=10000"):
        assert wanted in lines, wanted
    assert "was aors=10000-aor" in text and "pjsip-01-aor-404.conf:15" in text
    # the corrected endpoint equals the lab's fixed file, option for option
    fixed = (lab / "asterisk-config" / "pjsip-02-fixed.conf").read_text()
    endpoint = fixed.split("[10000]\ntype=endpoint\n", 1)[1].split("\n\n", 1)[0]
    wanted = {line.strip() for line in endpoint.splitlines() if "=" in line and not line.startswith(";")}
    got_endpoint = text.split("[10000]", 1)[1].split("[10000]", 1)[0]
    got = {line.split("  ;")[0].strip().lstrip("~+ ").strip() for line in got_endpoint.splitlines() if "=" in line}
    assert wanted <= got, wanted - got
    assert "superSecret123" not in page and "anotherSecret456" not in page
    assert '<section id="verify"' in page and "pjsip show contacts" in page
    assert "Asterisk loads an <code>aors=</code> that names no" in page or "names no" in page


def test_a_busy_capture_report_is_a_report_not_a_dump(tmp_path, monkeypatch):
    """Issue 15: on a busy capture the appendix keeps the messages the report links to (ladders,
    evidence, key messages, flows) and the flow table the flows with problems first; every link
    still lands, and the page says what was left out and where to get it."""
    import re

    from busy_capture import write_busy_capture

    from sipdiag.report import viewmodel

    monkeypatch.setattr(viewmodel, "APPENDIX_ALL_MAX", 300)
    monkeypatch.setattr(viewmodel, "FLOW_ROWS_MAX", 40)
    path = tmp_path / "busy.pcap"
    write_busy_capture(path, 3000)
    analysis = analyze_paths([str(path)])
    findings = run_rules(analysis)
    view = viewmodel.build_view(analysis, findings)
    assert len(view.messages) < len(analysis.messages)
    assert view.appendix_note.startswith(f"{len(view.messages):,} of {len(analysis.messages):,} messages")
    assert len(view.flows) == 40 and view.flows_note.startswith("40 of")
    monkeypatch.setattr(viewmodel, "FLOW_ROWS_MAX", 10_000)
    every = viewmodel.build_view(analysis, findings).flows
    assert len(every) == len(analysis.flows) > 40
    # the flows with problems are kept before any other
    assert sum(f.problem == "1" for f in view.flows) == min(40, sum(f.problem == "1" for f in every))
    monkeypatch.setattr(viewmodel, "FLOW_ROWS_MAX", 40)
    html = render_html(analysis, findings)
    hrefs = set(re.findall(r'href="#(m-\d+)"', html))
    anchors = set(re.findall(r'id="(m-\d+)"', html))
    assert hrefs and hrefs <= anchors


def test_a_natted_phone_gets_its_own_settings_in_the_fix():
    """Case 01's 'MicroSIP Settings': the phone side of a NAT fix, for the product in the trace
    (ast-01's phone is baresip, GROUND_TRUTH: behind NAT, Contact 192.0.2.30)."""
    from conftest import SAMPLES
    analysis = analyze_paths([str(SAMPLES / "lab" / "ast-01-aor-404.pcap")])
    page = render_html(analysis, run_rules(analysis))
    fix = page[page.index('<section id="fix">'):page.index("</section>", page.index('<section id="fix">'))]
    assert "<h3>On the phone (baresip)</h3>" in fix and "regint" in fix
    assert "A complete configuration for this phone (example, built from the trace)" in fix


def test_inputs_are_named_by_file_name_and_config_lines_are_counted():
    from conftest import SAMPLES
    lab = SAMPLES / "lab"
    conf = lab / "asterisk-config" / "pjsip-01-aor-404.conf"
    analysis = analyze_paths([str(lab / "ast-01-aor-404.pcap"), str(conf)])
    page = render_html(analysis, run_rules(analysis))
    lines = len(conf.read_text().splitlines())
    assert f"<th>Read</th><td>{lines} lines, 8 PJSIP objects</td>" in page  # [transport-udp], 3 × [10000], ...
    assert str(lab) not in page.split('<section id="capture"', 1)[1].split("</section>", 1)[0]
