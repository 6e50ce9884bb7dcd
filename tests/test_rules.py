"""Rules against traces: the data-driven cases of rule_cases.toml, then whole-report checks.

`test_rule_case` is the one parametrized test over rule_cases.toml (see its header for the
keys). Inputs are corpus files ("lab/...", "public/..."), repository files ("repo:..."), or a
synthetic capture written by a builder of `SYNTHETIC`: real packets of a lab capture, some
left out, repeated or answered differently, plus messages crafted from them with scapy. Each
builder's docstring says what it changes and why the result is a realistic trace.

The tests after it check a whole report (order of findings, exit codes) on the expert
scenarios of GROUND_TRUTH.md, and that a crashing rule becomes an SD900 finding.
"""

from __future__ import annotations

import functools
import re
try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import REPO, corpus_file

from sipdiag.analysis import analyze_paths
from sipdiag.cli import main
from sipdiag.rules import REGISTRY, run_rules
from sipdiag.rules.auth_failed import AuthFailed
from sipdiag.rules.base import Finding

CASES_FILE = Path(__file__).resolve().with_name("rule_cases.toml")
CASE_KEYS = {"inputs", "synthetic", "why", "severity", "first_evidence", "evidence_has", "title", "cause", "fix",
             "count", "xfail", "strict"}
FIRES_ONLY = {"severity", "first_evidence", "evidence_has", "title", "cause", "fix", "count"}


# ------------------------------------------------------------------------------------ cases

@dataclass
class RuleCase:
    """One entry of rule_cases.toml: a rule, a trace, and what must (not) be found."""

    slug: str
    kind: str
    """'fires' or 'quiet'."""
    index: int
    spec: dict = field(default_factory=dict)

    @property
    def id(self) -> str:
        source = self.spec.get("synthetic") or self.spec.get("inputs")
        if isinstance(source, list):
            source = "+".join(Path(s).name for s in source)
        else:
            source = Path(str(source)).name
        return f"{self.slug}-{self.kind}{self.index}-{source}"

    @property
    def inputs(self) -> list[str]:
        value = self.spec.get("inputs", [])
        return [value] if isinstance(value, str) else list(value)

    @property
    def uses_real_capture(self) -> bool:
        return any(not p.startswith("repo:") for p in self.inputs)


def load_cases(path: Path = CASES_FILE) -> list[RuleCase]:
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    cases = []
    for slug, kinds in data.items():
        for kind, entries in kinds.items():
            for i, spec in enumerate(entries, 1):
                cases.append(RuleCase(slug, kind, i, spec))
    return cases


def _params():
    out = []
    for case in load_cases():
        marks = []
        if "xfail" in case.spec:
            marks.append(pytest.mark.xfail(reason=case.spec["xfail"], strict=case.spec.get("strict", True)))
        out.append(pytest.param(case, id=case.id, marks=marks))
    return out


def _resolve(path: str) -> Path:
    if path.startswith("repo:"):
        return REPO / path[len("repo:"):]
    return corpus_file(path)


@functools.lru_cache(maxsize=None)
def _analyse_files(paths: tuple[str, ...]) -> tuple:
    analysis = analyze_paths(list(paths))
    return analysis, tuple(run_rules(analysis))


def findings_for(case: RuleCase, tmp_path: Path) -> list[Finding]:
    if "synthetic" in case.spec:
        paths = SYNTHETIC[case.spec["synthetic"]](tmp_path)
    else:
        paths = [_resolve(p) for p in case.inputs]
    _analysis, findings = _analyse_files(tuple(str(p) for p in paths))
    return list(findings)


# ------------------------------------------------------------------------ evidence matching

_EVIDENCE = re.compile(r"^(?:(?P<file>\S+)\s+)?(?P<kind>frame|line)\s+(?P<n>\d+)$")


def evidence_matches(origin, expected: str) -> bool:
    """`origin` is "frame N" / "line N", optionally in the file named first ("x.pcap frame 4")."""
    m = _EVIDENCE.match(expected.strip())
    if m is None:
        raise ValueError(f"bad evidence spec {expected!r} (want 'frame N', 'line N' or 'FILE frame N')")
    if m["file"] and Path(origin.source).name != m["file"]:
        return False
    return getattr(origin, m["kind"]) == int(m["n"])


def _describe(f: Finding) -> str:
    ev = ", ".join(f"{Path(o.source).name} {'frame ' + str(o.frame) if o.frame else 'line ' + str(o.line)}"
                   for o in f.evidence[:4])
    return f"{f.severity} {f.title!r} evidence [{ev}]"


def _problems(f: Finding, spec: dict) -> list[str]:
    """What in `spec` this finding does not satisfy (empty: it matches)."""
    out = []
    if "severity" in spec and f.severity != spec["severity"]:
        out.append(f"severity {f.severity} != {spec['severity']}")
    if "first_evidence" in spec and not (f.evidence and evidence_matches(f.evidence[0], spec["first_evidence"])):
        out.append(f"first evidence is not {spec['first_evidence']}")
    for expected in spec.get("evidence_has", []):
        if not any(evidence_matches(o, expected) for o in f.evidence):
            out.append(f"no evidence {expected}")
    for part in ("title", "cause", "fix"):
        text = getattr(f, part).casefold()
        for needle in spec.get(part, []):
            if needle.casefold() not in text:
                out.append(f"{part} lacks {needle!r}")
    return out


# ------------------------------------------------------------------------- the one test

@pytest.mark.parametrize("case", _params())
def test_rule_case(case: RuleCase, tmp_path):
    unknown = set(case.spec) - CASE_KEYS
    assert not unknown, f"unknown keys {unknown} in rule_cases.toml"
    assert case.slug in {r.slug for r in REGISTRY.values()}, f"no rule with slug {case.slug}"
    findings = findings_for(case, tmp_path)
    mine = [f for f in findings if f.slug == case.slug]
    if case.kind == "quiet":
        assert not mine, f"{case.slug} fired: " + "; ".join(_describe(f) for f in mine)
        return
    assert mine, f"{case.slug} did not fire; found: " + ", ".join(sorted({f.slug for f in findings}))
    if "count" in case.spec:
        assert len(mine) == case.spec["count"], f"{len(mine)} findings: " + "; ".join(_describe(f) for f in mine)
    problems = {_describe(f): _problems(f, case.spec) for f in mine}
    assert any(not p for p in problems.values()), "no finding matches:\n" + "\n".join(
        f"  {desc}: {', '.join(p)}" for desc, p in problems.items())


# ------------------------------------------------------------------ synthetic captures

def _scapy():
    return pytest.importorskip("scapy.all", reason="scapy builds the synthetic captures")


def _packets(relative: str) -> list:
    return list(_scapy().rdpcap(str(corpus_file(relative))))


def _payload(pkt) -> bytes:
    return bytes(pkt[_scapy().UDP].payload)


def _udp(template, payload: bytes, time: float, src: tuple[str, int] | None = None,
         dst: tuple[str, int] | None = None):
    """A new Ethernet/IPv4/UDP packet like `template` (same MACs, TTL) carrying `payload`."""
    s = _scapy()
    ip, udp = template[s.IP], template[s.UDP]
    src_ip, sport = src or (ip.src, udp.sport)
    dst_ip, dport = dst or (ip.dst, udp.dport)
    pkt = (s.Ether(src=template[s.Ether].src, dst=template[s.Ether].dst)
           / s.IP(src=src_ip, dst=dst_ip, ttl=ip.ttl) / s.UDP(sport=sport, dport=dport) / s.Raw(payload))
    pkt.time = time
    return pkt


def _at(pkt, time: float):
    copy = pkt.copy()
    copy.time = time
    return copy


def _write(tmp_path: Path, name: str, packets: list) -> list[Path]:
    path = tmp_path / name
    _scapy().wrpcap(str(path), sorted(packets, key=lambda p: float(p.time)))
    return [path]


def _split(msg: bytes) -> tuple[str, list[tuple[str, str]], bytes]:
    head, _, body = msg.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    headers = [(n.strip(), v.strip()) for n, _, v in (line.partition(":") for line in lines[1:])]
    return lines[0], headers, body


def _join(start: str, headers: list[tuple[str, str]], body: bytes = b"") -> bytes:
    kept = [(n, v) for n, v in headers if n.lower() != "content-length"]
    lines = [start] + [f"{n}: {v}" for n, v in kept] + [f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def _get(headers, name: str) -> str:
    return next(v for n, v in headers if n.lower() == name.lower())


def _cancel_for(invite: bytes) -> bytes:
    """RFC 3261 §9.1: same Request-URI, top Via (branch), From, To, Call-ID, CSeq number."""
    start, headers, _body = _split(invite)
    ruri = start.split()[1]
    via = next(v for n, v in headers if n.lower() == "via")
    cseq = _get(headers, "CSeq").split()[0]
    return _join(f"CANCEL {ruri} SIP/2.0", [
        ("Via", via), ("From", _get(headers, "From")), ("To", _get(headers, "To")),
        ("Call-ID", _get(headers, "Call-ID")), ("CSeq", f"{cseq} CANCEL"), ("Max-Forwards", "70")])


def _response_to(request: bytes, status: str, to_tag: str | None = None, extra=()) -> bytes:
    """RFC 3261 §8.2.6: Vias, From, To (+ tag), Call-ID and CSeq copied from the request."""
    _start, headers, _body = _split(request)
    to = _get(headers, "To") + (f";tag={to_tag}" if to_tag and ";tag=" not in _get(headers, "To") else "")
    kept = [(n, v) for n, v in headers if n.lower() == "via"]
    kept += [("From", _get(headers, "From")), ("To", to), ("Call-ID", _get(headers, "Call-ID")),
             ("CSeq", _get(headers, "CSeq"))]
    return _join(f"SIP/2.0 {status}", kept + list(extra))


def _ack_for(invite: bytes, response: bytes) -> bytes:
    """RFC 3261 §17.1.1.3: ACK of a non-2xx final response, same branch as the INVITE."""
    start, headers, _body = _split(invite)
    _s, resp_headers, _b = _split(response)
    cseq = _get(headers, "CSeq").split()[0]
    return _join(f"ACK {start.split()[1]} SIP/2.0", [
        ("Via", next(v for n, v in headers if n.lower() == "via")), ("From", _get(headers, "From")),
        ("To", _get(resp_headers, "To")), ("Call-ID", _get(headers, "Call-ID")), ("CSeq", f"{cseq} ACK"),
        ("Max-Forwards", "70")])


def _with_status(pkt, status: str, time: float, extra: tuple[tuple[str, str], ...] = ()):
    """The same response with another status line (and optionally more headers)."""
    start, headers, body = _split(_payload(pkt))
    return _udp(pkt, _join(f"SIP/2.0 {status}", headers + list(extra), body), time)


LAB04B = "lab/lab-04b-ip-ruri-mapped-to-contact-ok.pcap"
LAB06A = "lab/lab-06a-call-rejected-486.pcap"
LAB01 = "lab/lab-01-register-auth-ok-nat.pcap"
AST01 = "lab/ast-01-aor-404.pcap"

# Tenant B's phone, as in the lab topology of GROUND_TRUTH.md: also 192.0.2.30:5060 on its own
# LAN, behind NAT #2 (203.0.113.99). Every identifier of tenant A's registration is replaced.
TENANT_B = [
    (b"tenant-a.example.com", b"tenant-b.example.com"),
    (b"203.0.113.88", b"203.0.113.99"),
    (b"49110", b"31744"),
    (b"16a54088a68defcc", b"5be1c0d2e3f41a07"),
    (b"6c64e6eaf6a94647", b"91f2a0b7c35e6d18"),
    (b"7d31c43cec40cb356e3d4b83351f83df", b"0c8e3b6f5a4d29e1b7c6f0a3d5e8c4b2"),
    (b"e7fb17d8ab0ae7f9", b"3a9c0e5d7b1f2468"),
    (b"e0c175683456d175", b"c5d7e9f1a3b5c7d9"),
    (b"0x563981deeb80", b"0x55f1a2b3cb80"),
    (b"b802076b-0a7f-d4ee-cea5-dc3adae886c2", b"4e1d9c7a-2b3f-4c5d-8e6f-7a8b9c0d1e2f"),
    (b"awNH+GsDRsyj9QofvYwGtWwEc7M9gGyz", b"bXkR2pLq9sTu4VwX0yZa1BcD3eFg5HiJ"),
    (b"645717c46e714c322eafd14314fc50a2", b"9e2c4a6b8d0f1e3a5c7b9d1f3a5c7e9b"),
    (b"ee231bb33667925a", b"7f3a9c1e5b2d8f40"),
    (b"CSeq: 29461", b"CSeq: 7311"),
    (b"CSeq: 29462", b"CSeq: 7312"),
]


def build_two_tenants(tmp_path: Path) -> list[Path]:
    """lab-04b plus a registration of 401@tenant-b.example.com from NAT #2, 1 s after tenant A's.

    The four tenant-B messages are lab-04b frames 1-4 with every identifier replaced
    (domain, NAT address and port, Call-ID, tags, branches, nonce); the digest response is
    not a valid one for tenant B, which sipdiag does not check. Written in time order they
    become frames 9-12 (after lab-04b's four ARP frames 5-8), so lab-04b's frame N >= 9 is
    frame N+4 here: the PBX's OPTIONS sip:401@192.0.2.30:5060 is frame 13, its forwarded copy
    to tenant A's binding frame 14.
    """
    packets = _packets(LAB04B)
    t0 = float(packets[3].time) + 1.0
    tenant_b = []
    for i, pkt in enumerate(packets[:4]):
        payload = _payload(pkt)
        for old, new in TENANT_B:
            payload = payload.replace(old, new)
        s = _scapy()
        src = ("203.0.113.99", 31744) if pkt[s.IP].src == "203.0.113.88" else None
        dst = ("203.0.113.99", 31744) if pkt[s.IP].dst == "203.0.113.88" else None
        tenant_b.append(_udp(pkt, payload, t0 + 0.0005 * i, src=src, dst=dst))
    return _write(tmp_path, "lab04b-two-tenants.pcap", packets[:4] + tenant_b + packets[4:])


def build_binding_expired(tmp_path: Path) -> list[Path]:
    """lab-04b as if the phone's NAT binding had expired after registering.

    Frames 1-4 (registration from 203.0.113.88:49110), the PBX's INVITE (13), the SBC's
    100 Trying (14) and the SBC's INVITE to the binding (15) become frames 1-7; the phone's
    answers are gone and the SBC retransmits the INVITE on timer A (+0.5, 1.5, 3.5, 7.5,
    15.5 s; frames 8-12), as Kamailio does.
    """
    packets = _packets(LAB04B)
    invite = packets[14]
    t = float(invite.time)
    resent = [_at(invite, t + dt) for dt in (0.5, 1.5, 3.5, 7.5, 15.5)]
    return _write(tmp_path, "lab04b-binding-expired.pcap", packets[:4] + [packets[12], packets[13], invite] + resent)


def build_cancelled(tmp_path: Path) -> list[Path]:
    """lab-06a where the PBX gives up while the phone rings, instead of the user rejecting.

    Frames 1-5 are lab-06a's (INVITE, 100, INVITE to the phone, 180, 180). Then, 1 s later:
    6 CANCEL PBX->SBC, 7 200 OK to it, 8 CANCEL SBC->phone, 9 200 OK from the phone, 10 487
    from the phone, 11 the SBC's ACK, 12 487 to the PBX, 13 the PBX's ACK. CANCELs and their
    200s are built from the INVITEs (RFC 3261 §9.1); the 487s and ACKs are lab-06a's 486
    frames (8, 9, 10, 11) with the status changed.
    """
    p = _packets(LAB06A)
    t = float(p[4].time) + 1.0
    pbx_invite, sbc_invite = _payload(p[0]), _payload(p[2])
    cancel_pbx = _cancel_for(pbx_invite)
    cancel_sbc = _cancel_for(sbc_invite)
    built = [
        _udp(p[0], cancel_pbx, t),
        _udp(p[1], _response_to(cancel_pbx, "200 canceling", to_tag="7d31c43cec40cb356e3d4b83351f83df.c1a0"),
             t + 0.0002),
        _udp(p[2], cancel_sbc, t + 0.0003),
        _udp(p[3], _response_to(cancel_sbc, "200 OK", to_tag="1a1b46079a463153"), t + 0.0010),
        _with_status(p[7], "487 Request Terminated", t + 0.0011),
        _at(p[8], t + 0.0012),
        _with_status(p[9], "487 Request Terminated", t + 0.0013),
        _at(p[10], t + 0.0014),
    ]
    return _write(tmp_path, "lab06a-cancelled.pcap", p[:5] + built)


def build_sbc_503(tmp_path: Path) -> list[Path]:
    """lab-06a where the SBC finds no destination and answers 503 itself (frames 1-4).

    1 the PBX's INVITE and 2 the SBC's 100 Trying are lab-06a's; 3 is a 503 built from the
    INVITE with the SBC's own To tag and Server header; 4 the PBX's ACK for it.
    """
    p = _packets(LAB06A)
    invite = _payload(p[0])
    server = _get(_split(_payload(p[1]))[1], "Server")
    t = float(p[1].time) + 0.0005
    response = _response_to(invite, "503 Service Unavailable", to_tag="7d31c43cec40cb356e3d4b83351f83df.5f03",
                            extra=[("Server", server)])
    return _write(tmp_path, "lab06a-sbc-503.pcap", [p[0], p[1], _udp(p[1], response, t),
                                                     _udp(p[0], _ack_for(invite, response), t + 0.0003)])


def build_interval_too_brief(tmp_path: Path) -> list[Path]:
    """ast-01 on an Asterisk whose AOR has minimum_expiration=120 (baresip asks for 60 s).

    Frames 1-3 are ast-01's; frame 4, the 404, becomes `423 Interval Too Brief` with
    `Min-Expires: 120`, which is what res_pjsip_registrar answers in that case.
    """
    p = _packets(AST01)
    return _write(tmp_path, "ast01-423.pcap", p[:3] + [
        _with_status(p[3], "423 Interval Too Brief", float(p[3].time), extra=(("Min-Expires", "120"),))])


def build_challenge_unanswered(tmp_path: Path) -> list[Path]:
    """lab-01 from a phone with no password configured: REGISTER, 401, and nothing more."""
    return _write(tmp_path, "lab01-challenge-unanswered.pcap", _packets(LAB01)[:2])


def build_one_direction(tmp_path: Path) -> list[Path]:
    """lab-01 captured with `src host 198.51.100.2`: only the registrar's 401 and 200 OK."""
    p = _packets(LAB01)
    return _write(tmp_path, "lab01-one-direction.pcap", [p[1], p[3]])


def build_488_media_warning(tmp_path: Path) -> list[Path]:
    """lab-06a where the phone refuses the offered media instead of the user rejecting the call.

    Frames 1-5 are lab-06a's (INVITE, 100, INVITE to the phone, 180, 180); the phone's 486
    (8) and the SBC's relayed 486 (10) become `488 Not Acceptable Here` with
    `Warning: 305 baresip "Incompatible media format"` (RFC 3261 §20.43), the ACKs (9, 11) stay.
    """
    p = _packets(LAB06A)
    warning = (("Warning", '305 baresip "Incompatible media format"'),)
    return _write(tmp_path, "lab06a-488-305.pcap", p[:5] + [
        _with_status(p[7], "488 Not Acceptable Here", float(p[7].time), extra=warning), p[8],
        _with_status(p[9], "488 Not Acceptable Here", float(p[9].time), extra=warning), p[10]])


def build_notify_in_dialog(tmp_path: Path) -> list[Path]:
    """lab-04b where the MWI NOTIFY belongs to a subscription older than the capture.

    The PBX's NOTIFY (frame 26) and the SBC's relayed copy (27) carry the To tag the phone's
    481 uses (25a5b7e36c11dfbd): an in-dialog NOTIFY of a subscription whose SUBSCRIBE came
    before the capture started, which the phone no longer knows. Everything else is lab-04b.
    """
    packets = _packets(LAB04B)
    to = b"To: <sip:401@tenant-a.example.com>\r\n"
    tagged = b"To: <sip:401@tenant-a.example.com>;tag=25a5b7e36c11dfbd\r\n"
    out = list(packets)
    for i in (25, 26):
        out[i] = _udp(packets[i], _payload(packets[i]).replace(to, tagged), float(packets[i].time))
    return _write(tmp_path, "lab04b-notify-in-dialog.pcap", out)


def build_forked_ring_group(tmp_path: Path) -> list[Path]:
    from forking_capture import write_forking_capture

    path = tmp_path / "forked-ring-group.pcap"
    write_forking_capture(path, phones=4)
    return [path]


SYNTHETIC = {
    "forked-ring-group": build_forked_ring_group,
    "lab06a-488-media-warning": build_488_media_warning,
    "lab04b-notify-in-dialog": build_notify_in_dialog,
    "lab04b-two-tenants": build_two_tenants,
    "lab04b-binding-expired": build_binding_expired,
    "lab06a-cancelled": build_cancelled,
    "lab06a-sbc-503": build_sbc_503,
    "ast01-423-interval-too-brief": build_interval_too_brief,
    "lab01-challenge-unanswered": build_challenge_unanswered,
    "lab01-one-direction": build_one_direction,
}


def test_synthetic_builders_keep_sip_intact(tmp_path):
    """Every synthetic capture reads back as SIP only: no anomaly, the expected message count."""
    expected = {"lab06a-488-media-warning": 9, "lab04b-notify-in-dialog": 25, "lab04b-two-tenants": 29, "lab04b-binding-expired": 12, "lab06a-cancelled": 13,
                "lab06a-sbc-503": 4, "ast01-423-interval-too-brief": 4, "lab01-challenge-unanswered": 2,
                "lab01-one-direction": 2, "forked-ring-group": 38}  # forked-ring-group: tshark -Y sip counts 38
    assert set(expected) == set(SYNTHETIC)
    for name, build in SYNTHETIC.items():
        folder = tmp_path / name
        folder.mkdir()
        analysis = analyze_paths([str(p) for p in build(folder)])
        assert len(analysis.messages) == expected[name], name
        anomalies = list(analysis.anomalies) + [a for m in analysis.messages for a in m.anomalies]
        assert not anomalies, f"{name}: {[a.name for a in anomalies]}"


# ------------------------------------------------------------------- whole-report checks

def _analyse(*relative: str):
    paths = tuple(str(corpus_file(r)) for r in relative)
    return _analyse_files(paths)


def _line_of(relative: str, needle: str) -> int:
    text = corpus_file(relative).read_text(encoding="utf-8", errors="replace").splitlines()
    return next(i for i, line in enumerate(text, 1) if needle in line)


AST01_INPUTS = [
    ("lab/ast-01-aor-404.pcap",),
    ("lab/ast-01-aor-404.lan.pcap",),
    ("lab/ast-01-aor-404.pjsip-logger.log",),
    ("lab/ast-01-aor-404.console.txt",),
    ("lab/ast-01-aor-404.pcap", "lab/ast-01-aor-404.pjsip-logger.log"),
]


@pytest.mark.parametrize("inputs", AST01_INPUTS, ids=lambda i: "+".join(Path(x).name for x in i))
def test_ast01_aor_not_found_is_the_diagnosis(inputs):
    """GROUND_TRUTH ast-01: the first finding is aor-not-found (error) with the 404 as evidence;
    authentication passed (no auth-failed) and nothing registered (no registration-ok)."""
    _analysis, findings = _analyse(*inputs)
    first = findings[0]
    assert (first.slug, first.code, first.severity) == ("aor-not-found", "SD101", "error")
    allowed = set()
    logs = [r for r in inputs if not r.endswith(".pcap")]
    for r in inputs:
        name = Path(r).name
        if r.endswith(".pcap"):
            allowed.add((name, 4, None))
        else:
            allowed.add((name, None, _line_of(r, "SIP/2.0 404 Not Found")))
            allowed.add((name, None, _line_of(r, "AOR '' not found for endpoint '10000'")))
    ev = first.evidence[0]
    assert (Path(ev.source).name, ev.frame, ev.line) in allowed
    for r in logs:
        warning = _line_of(r, "AOR '' not found for endpoint '10000'")
        assert any(o.line == warning and Path(o.source).name == Path(r).name for o in first.evidence)
    slugs = {f.slug for f in findings}
    assert "auth-failed" not in slugs
    assert "registration-ok" not in slugs
    assert first.details["aor_user"] == "10000"
    assert first.details["auth_username"] == "10000"


@pytest.mark.parametrize("relative", ["lab/ast-02-fixed-200.pcap", "lab/ast-02-fixed-200.lan.pcap",
                                      "lab/ast-02-fixed-200.pjsip-logger.log", "lab/ast-02-fixed-200.console.txt"])
def test_ast02_registers_without_errors(relative):
    """GROUND_TRUTH ast-02: registration works; the NAT is handled, nothing is an error."""
    _analysis, findings = _analyse(relative)
    assert "registration-ok" in {f.slug for f in findings}
    assert [f.slug for f in findings if f.severity == "error"] == []
    assert not {"aor-not-found", "auth-failed", "registration-failed"} & {f.slug for f in findings}


def test_lab06a_busy_is_not_an_error():
    """GROUND_TRUTH lab-06a: call-failed + user-busy, both below error; `analyze` exits 0."""
    _analysis, findings = _analyse("lab/lab-06a-call-rejected-486.pcap")
    by_slug = {f.slug: f for f in findings}
    assert {"call-failed", "user-busy"} <= set(by_slug)
    assert by_slug["call-failed"].severity == "warning"
    assert by_slug["user-busy"].severity == "info"
    assert all(f.severity != "error" for f in findings)
    result = CliRunner().invoke(main, ["analyze", str(corpus_file("lab/lab-06a-call-rejected-486.pcap"))])
    assert result.exit_code == 0, result.output


def test_lab04b_ip_literal_request_uri_but_call_ok():
    """GROUND_TRUTH lab-04b: ip-in-request-uri (the PBX's IP-literal R-URIs) and call-ok."""
    _analysis, findings = _analyse(LAB04B)
    by_slug = {f.slug: f for f in findings}
    assert {"ip-in-request-uri", "call-ok"} <= set(by_slug)
    ip = by_slug["ip-in-request-uri"]
    assert ip.details["user"] == "401"
    assert ip.details["sender"] == "198.51.100.10" and ip.details["proxy"] == "198.51.100.2"
    assert ip.details["methods"] == ["INVITE", "NOTIFY", "OPTIONS"]
    assert any("49110" in text for text, _ev in ip.observations), "the binding port 49110 is not named"
    assert "multi-tenant-ambiguity" not in by_slug


def test_lab08a_invite_reassembled_from_two_tcp_segments():
    """GROUND_TRUTH lab-08a: the SBC's INVITE to the phone spans TCP frames 16-17."""
    analysis, findings = _analyse("lab/lab-08a-tcp-register-call-segmented-invite.pcap")
    invite = next(m for m in analysis.messages if m.method == "INVITE" and m.transport == "TCP")
    assert invite.tcp_segments == 2
    assert (invite.first_origin.frame, invite.origin.frame) == (16, 17)
    assert {"tcp-segmented", "ip-fragmented", "registration-ok", "call-ok"} <= {f.slug for f in findings}


def test_lab09_invite_reassembled_from_ip_fragments():
    """GROUND_TRUTH lab-09: the INVITE is IP-fragmented on both legs (frames 5+6 and 8+9)."""
    analysis, findings = _analyse("lab/lab-09-udp-big-invite-ip-fragmented.pcap")
    fragmented = [(m.origin.frame, m.ip_fragments) for m in analysis.messages if m.ip_fragments > 1]
    assert fragmented == [(6, 2), (9, 2)]
    frag = next(f for f in findings if f.slug == "ip-fragmented")
    assert frag.severity == "warning"
    assert "tcp-segmented" not in {f.slug for f in findings}


def test_nat_android_received_rport_facts():
    """MANIFEST nat_android: UA behind NAT (private Contact 192.168.57.101:36690); the server saw
    it as 141.85.225.206:49706 (Via received/rport) and the call worked."""
    analysis, findings = _analyse("public/nat_android_invite_407_received_rport.pcap")
    via = next(r.top_via for r in analysis.messages if not r.is_request and r.top_via is not None)
    assert (via.received, str(via.rport)) == ("141.85.225.206", "49706")
    nat = [f for f in findings if f.slug == "nat-private-contact"]
    assert nat and "192.168.57.101" in nat[0].title
    assert "call-ok" in {f.slug for f in findings}
    assert "auth-failed" not in {f.slug for f in findings}


def test_nat_android_finding_cites_received_rport():
    """MANIFEST nat_android: the public binding the server saw is in the finding, with frame 4 as evidence."""
    _analysis, findings = _analyse("public/nat_android_invite_407_received_rport.pcap")
    nat = next(f for f in findings if f.slug == "nat-private-contact")
    assert any(o.frame == 4 for o in nat.evidence)
    assert "141.85.225.206:49706" in nat.cause or "rport=49706" in nat.cause


def test_asterisk11_403_is_auth_failed():
    """MANIFEST: REGISTER 401 -> REGISTER(auth) -> 403 = wrong password / auth user mismatch."""
    _analysis, findings = _analyse("public/asterisk11_register_403_auth_failure.pcapng")
    assert findings[0].slug == "auth-failed" and findings[0].severity == "error"
    assert findings[0].details["username"] == "telephone1"
    assert not {"aor-not-found", "registration-ok", "request-failed"} & {f.slug for f in findings}


def test_multi_tenant_ambiguity_from_two_registrations(tmp_path):
    """401@tenant-a and 401@tenant-b registered; the PBX's IP-literal OPTIONS is ambiguous and
    was delivered to tenant A's binding (203.0.113.88:49110)."""
    analysis, findings = _analyse_files(tuple(str(p) for p in build_two_tenants(tmp_path)))
    regs = sorted(f.aor for f in analysis.flows if f.kind == "registration" and f.outcome == "registered")
    assert regs == ["sip:401@tenant-a.example.com", "sip:401@tenant-b.example.com"]
    mt = [f for f in findings if f.slug == "multi-tenant-ambiguity"]
    assert len(mt) == 1
    assert mt[0].details == {"user": "401", "domains": ["tenant-a.example.com", "tenant-b.example.com"]}
    assert mt[0].severity == "error"
    delivered = [text for text, _ev in mt[0].observations if "delivered" in text]
    assert delivered and "203.0.113.88:49110" in delivered[0]


# ------------------------------------------------------------------------- exit codes

def test_analyze_exit_codes(tmp_path):
    """0: no error finding; 1: at least one error finding; 2: input that cannot be read."""
    runner = CliRunner()
    ok = runner.invoke(main, ["analyze", str(corpus_file("lab/lab-06a-call-rejected-486.pcap"))])
    assert ok.exit_code == 0, ok.output
    bad = runner.invoke(main, ["analyze", str(corpus_file(AST01))])
    assert bad.exit_code == 1, bad.output
    assert "SD101" in bad.output
    missing = runner.invoke(main, ["analyze", str(tmp_path / "missing.pcap")])
    assert missing.exit_code == 2
    assert "missing.pcap" in missing.output
    garbage = tmp_path / "garbage.pcap"
    garbage.write_bytes(b"\xd4\xc3\xb2\xa1" + b"\x00" * 7)  # pcap magic, truncated header
    broken = runner.invoke(main, ["analyze", str(garbage)])
    assert broken.exit_code == 2
    assert "Traceback" not in broken.output


def test_analyze_json_exit_code_follows_findings():
    result = CliRunner().invoke(main, ["analyze", "--format", "json", str(corpus_file(AST01))])
    assert result.exit_code == 1
    assert '"code": "SD101"' in result.output


# ---------------------------------------------------------------- a crashing rule

def test_crashing_rule_becomes_sd900_and_others_still_run(monkeypatch):
    """STYLE.md principle 9: a rule that raises becomes an SD900 finding naming it."""
    analysis = analyze_paths([str(corpus_file(AST01))])

    def boom(self, analysis):
        raise RuntimeError("boom on purpose")
        yield  # pragma: no cover - makes it a generator like the real rules

    monkeypatch.setattr(AuthFailed, "check", boom)
    findings = run_rules(analysis)
    crashed = [f for f in findings if f.slug == "rule-crashed"]
    assert len(crashed) == 1
    assert crashed[0].code == "SD900"
    assert crashed[0].details["rule"] == "SD102"
    assert "auth-failed" in crashed[0].title and "RuntimeError: boom on purpose" in crashed[0].title
    assert findings[0].slug == "aor-not-found", "the other rules must still run, errors first"
    assert {"nat-private-contact", "contact-port-mismatch"} <= {f.slug for f in findings}


def test_crash_in_check_call_itself_is_caught(monkeypatch):
    """A rule whose check raises before yielding anything (not a generator) is caught too."""
    analysis = analyze_paths([str(corpus_file(AST01))])
    rule = REGISTRY["SD101"]

    def broken(self, analysis):
        raise KeyError("missing")

    monkeypatch.setattr(rule, "check", broken)
    findings = run_rules(analysis)
    assert [f.details.get("rule") for f in findings if f.code == "SD900"] == ["SD101"]
    assert "aor-not-found" not in {f.slug for f in findings}
    assert "nat-private-contact" in {f.slug for f in findings}
