"""The verdict: the root cause leads, symptoms sit under their cause, healthy traces say `ok`.

Two kinds of tests. The choice itself as a table of hand-made findings (which one leads, what
it explains). And the verdict of every bundled lab sample, from each of its forms, against the
primary cause written by a person in the lab's GROUND_TRUTH.md (never against sipdiag's own
earlier output); plus the public captures whose MANIFEST names a cause.
"""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from click.testing import CliRunner
from conftest import SAMPLES, corpus_file
from htmlprobe import parse

from sipdiag.analysis import analyze_paths
from sipdiag.cli import main
from sipdiag.report.html import render_html
from sipdiag.rules import REGISTRY, run_rules
from sipdiag.rules.base import Finding
from sipdiag.rules.verdict import LINKS, OK_SLUG, ROLES, decide
from sipdiag.sources.frame import Origin

LAB = SAMPLES / "lab"


# --- the choice, as a table ------------------------------------------------------------------------

def _flow(fid: str, outcome: str, kind: str = "call", aor: str | None = None):
    return SimpleNamespace(id=fid, outcome=outcome, kind=kind, aor=aor)


def _analysis(*flows):
    index = SimpleNamespace(message_at={}, flow_of={}, flow_by_id={f.id: f for f in flows}, call_of={}, legs={})
    return SimpleNamespace(index=index, flows=list(flows), messages=[object()] * 4, config=None, hosts={},
                           log_events=[])


def _finding(slug: str, severity: str, flow: str | None = None, frame: int = 1, **details) -> Finding:
    rule = next(r for r in REGISTRY.values() if r.slug == slug)
    return Finding(rule.code, slug, severity, f"{slug} title", f"{slug} cause. More.", "fix",
                   [Origin("t.pcap", frame=frame)], flow=flow, details=details)


CASES = [
    pytest.param(  # the callee was busy: that is why the call failed
        [_flow("cal-1", "rejected")],
        [("call-failed", "warning", "cal-1", {}), ("user-busy", "info", "cal-1", {})],
        "user-busy", ["call-failed"], id="busy-explains-call-failed"),
    pytest.param(  # the registration failed because no AOR matched
        [_flow("reg-1", "rejected", "registration", "sip:10000@pbx")],
        [("registration-failed", "error", "reg-1", {}), ("aor-not-found", "error", "reg-1", {}),
         ("nat-private-contact", "warning", "reg-1", {"contact": "192.0.2.30:5060"})],
        "aor-not-found", ["registration-failed"], id="aor-not-found-before-its-symptom"),
    pytest.param(  # a codec refusal is the cause of the failed call, never the other way round
        [_flow("cal-1", "rejected")],
        [("call-failed", "error", "cal-1", {}), ("codec-mismatch", "warning", "cal-1", {})],
        "codec-mismatch", ["call-failed"], id="codec-explains-call-failed-of-higher-severity"),
    pytest.param(  # nothing explains the timeout: the symptom is the verdict
        [_flow("opt-1", "no-response", "options")],
        [("no-response", "error", "opt-1", {})],
        "no-response", [], id="unexplained-symptom-leads"),
    pytest.param(  # a handled NAT (info) explains nothing: the retransmissions stand alone
        [_flow("cal-1", "no-response")],
        [("nat-private-contact", "info", "cal-1", {"contact": "10.0.0.5:5060"}),
         ("retransmissions", "warning", "cal-1", {"contact": "10.0.0.5:5060"})],
        "retransmissions", [], id="handled-nat-explains-nothing"),
    pytest.param(  # a warning about a flow that worked is a risk: ok, with the risk listed
        [_flow("reg-1", "registered", "registration")],
        [("nat-private-contact", "warning", "reg-1", {"contact": "192.0.2.30:5060"}),
         ("registration-ok", "info", "reg-1", {})],
        OK_SLUG, [], id="risk-on-a-working-flow-is-ok"),
    pytest.param(  # a capture property never leads on its own
        [_flow("cal-1", "answered")],
        [("ip-fragmented", "warning", None, {}), ("call-ok", "info", "cal-1", {})],
        OK_SLUG, [], id="capture-property-is-not-a-cause"),
    pytest.param(  # the closest link wins: the 486 in the call's own flow, not the user's failed REGISTER
        [_flow("reg-1", "rejected", "registration", "sip:20433@pbx"),
         _flow("cal-1", "rejected", "call", "sip:20433@pbx")],
        [("aor-not-found", "error", "reg-1", {"aor_user": "20433"}), ("call-failed", "warning", "cal-1", {}),
         ("user-busy", "info", "cal-1", {})],
        "aor-not-found", [], id="same-flow-link-beats-same-user"),
    pytest.param(  # errors outrank warnings, whatever the order of the findings
        [_flow("reg-1", "rejected", "registration"), _flow("cal-1", "rejected")],
        [("request-failed", "warning", "cal-1", {}), ("auth-failed", "error", "reg-1", {})],
        "auth-failed", [], id="error-before-warning"),
]


@pytest.mark.parametrize("flows, findings, lead, explained", CASES)
def test_verdict_choice(flows, findings, lead, explained):
    analysis = _analysis(*flows)
    made = [_finding(slug, sev, flow, i, **details) for i, (slug, sev, flow, details) in enumerate(findings, 1)]
    verdicts = decide(analysis, made)
    assert verdicts[0].slug == lead
    assert [f.slug for f in verdicts[0].explains] == explained
    busy = [v for v in verdicts if v.slug == "user-busy"]
    if busy and lead != "user-busy":
        assert [f.slug for f in busy[0].explains] == ["call-failed"]
    explained_ids = {id(f) for v in verdicts for f in v.explains}
    assert not any(id(c) in explained_ids for v in verdicts for c in v.causes), "a symptom leads its own class"


def test_a_nat_contact_explains_the_request_that_went_there():
    """no-response's evidence is a request to the private Contact the NAT finding names."""
    from sipdiag.sip.parser import parse_message
    from sipdiag.sources.frame import Endpoint

    options = parse_message(
        b"OPTIONS sip:10000@192.0.2.30:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 198.51.100.2;branch=z9hG4bK1\r\n"
        b"From: <sip:pbx@198.51.100.2>;tag=1\r\nTo: <sip:10000@192.0.2.30>\r\nCall-ID: q1\r\nCSeq: 1 OPTIONS\r\n"
        b"Content-Length: 0\r\n\r\n", origin=Origin("t.pcap", frame=9), src=Endpoint("198.51.100.2", 5060),
        dst=Endpoint("192.0.2.30", 5060))
    analysis = _analysis(_flow("reg-1", "registered", "registration"), _flow("opt-1", "no-response", "options"))
    analysis.index.message_at[options.origin] = options
    nat = _finding("nat-private-contact", "warning", "reg-1", 2, contact="192.0.2.30:5060")
    timeout = Finding("SD401", "no-response", "error", "OPTIONS gets no response", "c", "f", [options.origin])
    verdicts = decide(analysis, [timeout, nat])
    assert verdicts[0].slug == "nat-private-contact" and verdicts[0].explains == [timeout]
    assert verdicts[0].severity == "error"  # the worst severity in its chain


def test_busy_capture_leads_with_the_biggest_class():
    """On a busy capture one problem class is one verdict with its count, not hundreds of alarms."""
    from busy_capture import write_busy_capture
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "busy.pcap"
        write_busy_capture(path, 3000, seed=3)
        analysis = analyze_paths([str(path)])
        findings = run_rules(analysis)
    verdicts = decide(analysis, findings)
    lead = verdicts[0]
    same = [f for f in findings if f.slug == lead.slug and f.severity == lead.causes[0].severity]
    assert len(lead.causes) > 1 and len(lead.causes) <= len(same)
    assert f"× {len(lead.causes):,}" in lead.title
    assert lead.severity == "error"
    assert len({v.slug for v in verdicts}) == len(verdicts), "one verdict per problem class"
    flows = [v.flows for v in verdicts if v.severity == lead.severity]
    assert flows == sorted(flows, reverse=True), "same severity: the class touching more flows first"


def test_every_rule_declares_a_role_and_valid_links():
    slugs = {r.slug for r in REGISTRY.values()}
    for rule in REGISTRY.values():
        assert rule.role in ROLES, rule.slug
        for target, link in rule.explains.items():
            assert target in slugs and target != rule.slug, (rule.slug, target)
            assert link in LINKS, (rule.slug, link)
        if rule.role == "symptom":
            # a symptom explains another only along a call's legs: the PBX's own INVITE to the
            # callee that went unanswered is why the caller's call failed
            assert set(rule.explains.values()) <= {"same-call"}, f"symptom {rule.slug} must not explain others"


# --- ground truth: the bundled lab samples, every form ----------------------------------------------

# Primary cause per GROUND_TRUTH.md ("Primary tags" / first "expected tags"); "ok" where the
# ground truth says the trace is healthy (registration-ok, call-ok).
GROUND_TRUTH = {
    "ast-01-aor-404.pcap": "aor-not-found",
    "ast-01-aor-404.lan.pcap": "aor-not-found",
    "ast-01-aor-404.pjsip-logger.log": "aor-not-found",
    "ast-01-aor-404.console.txt": "aor-not-found",
    "ast-02-fixed-200.pcap": OK_SLUG,
    "ast-02-fixed-200.lan.pcap": OK_SLUG,
    "ast-02-fixed-200.pjsip-logger.log": OK_SLUG,
    "ast-02-fixed-200.console.txt": OK_SLUG,
    "lab-01-register-auth-ok-nat.pcap": OK_SLUG,
    "lab-01-register-auth-ok-nat.lan.pcap": OK_SLUG,
    "lab-04b-ip-ruri-mapped-to-contact-ok.pcap": "ip-in-request-uri",
    "lab-06a-call-rejected-486.pcap": "user-busy",
    "lab-08a-tcp-register-call-segmented-invite.pcap": OK_SLUG,
    "lab-09-udp-big-invite-ip-fragmented.pcap": OK_SLUG,
}


def test_every_bundled_trace_has_a_ground_truth_verdict():
    traces = {p.name for p in LAB.iterdir() if p.suffix in (".pcap", ".log") or p.name.endswith(".console.txt")}
    assert traces == set(GROUND_TRUTH)


@pytest.mark.parametrize("name, expected", sorted(GROUND_TRUTH.items()))
def test_bundled_sample_verdict_matches_ground_truth(name, expected):
    analysis = analyze_paths([str(LAB / name)])
    verdict = decide(analysis, run_rules(analysis))[0]
    assert verdict.slug == expected, verdict.title


def test_case01_with_log_and_config_leads_with_aor_not_found():
    paths = [LAB / "ast-01-aor-404.pcap", LAB / "ast-01-aor-404.pjsip-logger.log",
             LAB / "asterisk-config" / "pjsip-01-aor-404.conf"]
    analysis = analyze_paths([str(p) for p in paths])
    assert decide(analysis, run_rules(analysis))[0].slug == "aor-not-found"


@pytest.mark.parametrize("name", ["ast-01-aor-404.pcap", "ast-02-fixed-200.pcap", "lab-06a-call-rejected-486.pcap",
                                  "lab-09-udp-big-invite-ip-fragmented.pcap"])
def test_json_terminal_and_html_agree_on_the_verdict(name, tmp_path):
    path = str(LAB / name)
    doc = json.loads(CliRunner().invoke(main, ["analyze", path, "--format", "json"]).output)
    verdict = doc["verdict"]
    assert doc["verdicts"][0] == verdict
    ids = {f["id"] for f in doc["findings"]}
    assert set(verdict["causes"]) | set(verdict["explains"]) | set(verdict["also"]) <= ids
    text = CliRunner().invoke(main, ["analyze", path]).output
    first_panel = next(line for line in text.splitlines() if "VERDICT" in line)
    assert (verdict["code"] or "ok") in first_panel and verdict["slug"] in first_panel
    analysis = analyze_paths([path])
    page = parse(render_html(analysis, run_rules(analysis)))
    if verdict["code"]:
        assert verdict["code"] in page.section("diagnosis").all_text()
        tldr = page.section("tldr").all_text()
        cause = next(f for f in doc["findings"] if f["id"] == verdict["causes"][0])
        assert cause["cause"].split(".")[0] in tldr
    else:
        assert "REGISTER" in page.root.find("h1").all_text() or "No problem" in page.root.find("h1").all_text()


# --- public captures whose MANIFEST names the cause -------------------------------------------------

MANIFEST_CAUSES = {
    "fax_t38_reinvite_488_options.pcap": "codec-mismatch",      # T.38 re-INVITE rejected 488
    "asterisk11_register_403_auth_failure.pcapng": "auth-failed",
    "aaa_register_invite_cancel_provider.pcap": "auth-failed",  # auth failure (403) for one account
    "eyebeam_minisipserver_register407_subscribe_call.pcap": OK_SLUG,   # healthy
    "register_401_200_hello.pcapng": OK_SLUG,                    # healthy digest registration
    "sip_dtmf2_rfc2833_603_decline.cap": "call-failed",          # callee declined one call
}


@pytest.mark.parametrize("name, expected", sorted(MANIFEST_CAUSES.items()))
def test_public_capture_verdict_matches_manifest(name, expected):
    path = corpus_file(f"public/{name}")
    analysis = analyze_paths([str(path)])
    assert decide(analysis, run_rules(analysis))[0].slug == expected
