"""Stories that hold up: general SIP behaviours the diagnosis must tell right (issue 13, part 4).

Each test builds a small capture of one behaviour (tests/sipcraft.py writes real pcaps, which
tshark reads like any other) and checks the facts and the verdict an engineer would give —
written from RFC 3261 and how PBXs behave, not from what sipdiag printed before.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sipcraft import Dialog, Msg, Scenario, sdp

from sipdiag.analysis import analyze_paths
from sipdiag.flow import model as m
from sipdiag.rules import run_rules
from sipdiag.rules.verdict import decide

PBX = "192.0.2.10:5060"
CALLER = "203.0.113.20:5060"
CALLEE = "198.51.100.30:5060"
RETRANSMITS = [0, .5, 1.5, 3.5, 7.5, 11.5, 15.5]  # timer A doubling from T1 = 500 ms, as a UAC sends


def _judge(path: Path):
    analysis = analyze_paths([str(path)])
    findings = run_rules(analysis)
    return analysis, findings, decide(analysis, findings)


def _by_slug(findings, slug):
    return [f for f in findings if f.slug == slug]


# -- a final response the PBX generates after its own timeout -----------------------------------

def _pbx_answers_after_its_leg_timed_out(tmp_path: Path, status: int, reason: str) -> Path:
    """Caller → PBX INVITE; the PBX calls the callee (a new dialog, B2BUA), whose INVITE is sent
    7 times and never answered; 32 s later the PBX answers the caller itself."""
    s = Scenario(local="192.0.2.10")
    a = Dialog("1001@203.0.113.20:5060", "sip:2001@192.0.2.10")
    invite = a.request("INVITE", body=sdp("203.0.113.20", 4000))
    s.sip(0.0, CALLER, PBX, invite)
    s.sip(0.01, PBX, CALLER, a.response(invite, 100, "Trying", server="Asterisk PBX 22.1.0"))
    b = Dialog("1001@192.0.2.10:5060", "sip:2001@198.51.100.30:5060")
    leg = b.request("INVITE", body=sdp("192.0.2.10", 10000), extra=(("User-Agent", "Asterisk PBX 22.1.0"),))
    for dt in RETRANSMITS:
        s.sip(0.02 + dt, PBX, CALLEE, leg)
    s.sip(32.1, PBX, CALLER, a.response(invite, status, reason, to_tag="pbx1", server="Asterisk PBX 22.1.0"))
    s.sip(32.15, CALLER, PBX, a.request("ACK", branch=invite.branch(), cseq=1))
    return s.write(tmp_path / f"pbx-{status}.pcap")


@pytest.mark.parametrize("status, reason", [(480, "Temporarily Unavailable"), (603, "Decline"),
                                            (408, "Request Timeout"), (486, "Busy Here")])
def test_a_pbx_generated_final_response_is_not_the_callee_declining(tmp_path, status, reason):
    analysis, findings, verdicts = _judge(_pbx_answers_after_its_leg_timed_out(tmp_path, status, reason))
    caller_leg, callee_leg = analysis.flows_of("call")
    # facts: the two dialogs are legs of one call through the B2BUA
    assert [leg.id for leg in analysis.index.legs[caller_leg.id]] == [callee_leg.id]
    assert (caller_leg.outcome, caller_leg.final_status) == (m.REJECTED, status)
    assert callee_leg.outcome == m.NO_RESPONSE
    # judgement: the unanswered leg is the verdict, the caller's failure is its symptom
    (failed,) = _by_slug(findings, "call-failed")
    assert failed.severity == "error"  # not a user's choice, even for 603
    assert not _by_slug(findings, "user-busy")  # nobody was busy: the PBX's Dial() got no answer
    assert "generated this" in failed.cause and "declined the call —" not in failed.cause.replace("nobody declined", "")
    assert failed.details["generated_by_b2bua"] is True
    lead = verdicts[0]
    assert lead.slug == "no-response"
    assert failed in lead.explains
    assert len(verdicts) == 1


def test_a_relayed_busy_stays_the_callees_answer(tmp_path):
    """The callee's leg answers 486 and the PBX relays it: busy, explained by the callee's leg."""
    s = Scenario(local="192.0.2.10")
    a = Dialog("1001@203.0.113.20:5060", "sip:2001@192.0.2.10")
    invite = a.request("INVITE", body=sdp("203.0.113.20", 4000))
    s.sip(0.0, CALLER, PBX, invite)
    b = Dialog("1001@192.0.2.10:5060", "sip:2001@198.51.100.30:5060")
    leg = b.request("INVITE", body=sdp("192.0.2.10", 10000))
    s.sip(0.02, PBX, CALLEE, leg)
    s.sip(2.0, CALLEE, PBX, b.response(leg, 486, "Busy Here", to_tag="ph1", server="phone"))
    s.sip(2.01, PBX, CALLEE, b.request("ACK", branch=leg.branch(), cseq=1))
    s.sip(2.02, PBX, CALLER, a.response(invite, 486, "Busy Here", to_tag="pbx1"))
    s.sip(2.03, CALLER, PBX, a.request("ACK", branch=invite.branch(), cseq=1))
    analysis, findings, verdicts = _judge(s.write(tmp_path / "relayed-486.pcap"))
    failed = _by_slug(findings, "call-failed")
    assert failed and all(not f.details["generated_by_b2bua"] for f in failed)
    assert verdicts[0].slug == "user-busy"
    assert all(any(f is e for e in verdicts[0].explains) for f in failed)


# -- the ACK of a non-2xx final response --------------------------------------------------------

@pytest.mark.parametrize("same_branch", [True, False])
def test_the_ack_of_a_486_belongs_to_the_invite_and_busy_is_busy(tmp_path, same_branch):
    """RFC 3261 §17.1.1.3: the ACK of a non-2xx has the INVITE's branch; some UAs send a new one.
    Either way it is not a flow of its own 'without a final response'."""
    s = Scenario()
    a = Dialog("1001@203.0.113.20:5060", "sip:2001@192.0.2.10")
    invite = a.request("INVITE", body=sdp("203.0.113.20", 4000))
    s.sip(0, CALLER, PBX, invite)
    s.sip(0.01, PBX, CALLER, a.response(invite, 100, "Trying"))
    s.sip(2, PBX, CALLER, a.response(invite, 486, "Busy Here", to_tag="bt"))
    a.to_tag = "bt"
    s.sip(2.01, CALLER, PBX, a.request("ACK", cseq=1, in_dialog=True,
                                       branch=invite.branch() if same_branch else None))
    analysis, findings, verdicts = _judge(s.write(tmp_path / "busy.pcap"))
    assert [(f.kind, f.outcome, f.final_status) for f in analysis.flows] == [("call", m.REJECTED, 486)]
    assert not _by_slug(findings, "no-response")
    assert verdicts[0].slug == "user-busy" and verdicts[0].severity == "warning"


# -- one-way audio ------------------------------------------------------------------------------

PHONE_PUBLIC = "203.0.113.50:40000"


def _call_from_a_natted_phone(tmp_path: Path, rtp: bool, answer_private: bool = False) -> Path:
    """A phone behind NAT (private 192.168.1.20, seen as 203.0.113.50) calls through the PBX;
    the call is answered. With `answer_private` the phone is the callee and its 200 OK carries
    the private c=; otherwise its INVITE offers it."""
    s = Scenario()
    if answer_private:
        d = Dialog("2001@192.0.2.10:5060", "sip:1001@203.0.113.50:40000")
        invite = d.request("INVITE", body=sdp("192.0.2.10", 10000))
        s.sip(0, PBX, PHONE_PUBLIC, invite)
        s.sip(1, PHONE_PUBLIC, PBX, d.response(invite, 200, "OK", to_tag="ok1", body=sdp("192.168.1.20", 4000),
                                               extra=(("Contact", "<sip:1001@192.168.1.20:5060>"),)))
        d.to_tag = "ok1"
        s.sip(1.05, PBX, PHONE_PUBLIC, d.request("ACK", cseq=1, in_dialog=True))
    else:
        d = Dialog("1001@192.168.1.20:5060", "sip:2001@192.0.2.10")
        invite = d.request("INVITE", body=sdp("192.168.1.20", 4000))
        s.sip(0, PHONE_PUBLIC, PBX, invite)
        s.sip(0.01, PBX, PHONE_PUBLIC, d.response(invite, 100, "Trying"))
        s.sip(1, PBX, PHONE_PUBLIC, d.response(invite, 200, "OK", to_tag="ok1", body=sdp("192.0.2.10", 10000)))
        d.to_tag = "ok1"
        s.sip(1.05, PHONE_PUBLIC, PBX, d.request("ACK", cseq=1, in_dialog=True))
    if rtp:
        s.rtp(1.1, "192.0.2.10:10000", "192.168.1.20:4000", 100)   # the PBX sends to the SDP address: lost
        s.rtp(1.1, "203.0.113.50:4000", "192.0.2.10:10000", 100)   # the phone's audio arrives through the NAT
    return s.write(tmp_path / f"oneway-{rtp}-{answer_private}.pcap")


def test_rtp_to_a_private_sdp_address_is_one_way_audio_and_the_verdict(tmp_path):
    analysis, findings, verdicts = _judge(_call_from_a_natted_phone(tmp_path, rtp=True))
    assert [f.outcome for f in analysis.flows_of("call")] == [m.ANSWERED]  # signalling is healthy
    (media,) = _by_slug(findings, "sdp-private-media")
    assert media.severity == "error" and media.details["one_way_audio"] is True
    assert media.details["rtp_to_sdp_address"] == 100 and media.details["rtp_from_sender"] == 100
    assert verdicts[0].finding is media
    assert "One-way audio" in verdicts[0].title


def test_without_rtp_a_private_answer_is_a_named_risk(tmp_path):
    analysis, findings, verdicts = _judge(_call_from_a_natted_phone(tmp_path, rtp=False, answer_private=True))
    (media,) = _by_slug(findings, "sdp-private-media")
    assert media.severity == "warning" and media.details["one_way_audio"] is False
    assert "may be lost" in media.title
    # the call worked: the verdict says so and names the risk
    assert verdicts[0].slug == "ok" and any(f is media for f in verdicts[0].also)


def test_without_rtp_a_private_offer_stays_information(tmp_path):
    _analysis, findings, _verdicts = _judge(_call_from_a_natted_phone(tmp_path, rtp=False))
    assert [f.severity for f in _by_slug(findings, "sdp-private-media")] == ["info"]


# -- the same packet captured twice ---------------------------------------------------------------

def test_a_packet_captured_twice_is_a_capture_duplicate_not_a_retransmission(tmp_path):
    s = Scenario()
    phone = Dialog("1001@203.0.113.50:5060", "sip:1001@192.0.2.10")
    register = phone.request("REGISTER", ruri="sip:192.0.2.10")
    s.frame(0.000004, s.sip(0, "203.0.113.50:5060", PBX, register))        # same frame, 4 µs later
    ok = phone.response(register, 200, "OK", to_tag="x",
                        extra=(("Contact", "<sip:1001@203.0.113.50:5060>;expires=600"),))
    s.frame(0.010003, s.sip(0.01, PBX, "203.0.113.50:5060", ok))
    s.sip(0.6, "203.0.113.50:5060", PBX, register)                           # a real retransmission, T1 later
    path = s.write(tmp_path / "twice.pcap")
    analysis, findings, verdicts = _judge(path)
    assert len(analysis.messages) == 3
    (register_msg, ok_msg, retransmitted) = analysis.messages
    assert [o.frame for o in analysis.duplicates[register_msg.seq]] == [2]
    assert [o.frame for o in analysis.duplicates[ok_msg.seq]] == [4]
    assert analysis.inputs[0].facts["duplicate_packets"] == 2
    (t,) = analysis.transactions
    assert len(t.requests) == 2 and t.request_retransmissions == 1    # only the one 600 ms later
    assert len(t.responses) == 1
    (retr,) = _by_slug(findings, "retransmissions")
    assert (retr.details["request_retransmissions"], retr.details["response_retransmissions"]) == (1, 0)
    # the duplicate frame still leads to its message
    assert analysis.index.message_at[analysis.duplicates[register_msg.seq][0]] is register_msg


def test_capture_duplicates_are_shown_where_the_message_is(tmp_path):
    from sipdiag.report.viewmodel import build_view
    s = Scenario()
    phone = Dialog("1001@203.0.113.50:5060", "sip:1001@192.0.2.10")
    register = phone.request("REGISTER", ruri="sip:192.0.2.10")
    s.frame(0.000004, s.sip(0, "203.0.113.50:5060", PBX, register))
    analysis, findings, verdicts = _judge(s.write(tmp_path / "twice.pcap"))
    view = build_view(analysis, findings, verdicts=verdicts)
    (row,) = view.messages
    assert any("duplicate" in n and "frame 2" in n and "not a retransmission" in n for n in row.notes)


def test_the_same_request_on_both_sides_of_a_nat_is_not_a_retransmission(tmp_path):
    """A capture on a gateway sees a request before and after the NAT rewrote its IP header
    (fax_t38_reinvite_488_options.pcap frames 23/24): one send, two paths."""
    s = Scenario()
    phone = Dialog("1001@10.35.60.72:5060", "sip:2001@10.35.60.100")
    invite = phone.request("INVITE", body=sdp("10.35.60.72", 4000))
    s.sip(0, "10.35.60.72:5060", "10.35.60.100:5060", invite)
    s.sip(0.001, "10.35.40.25:5060", "10.35.40.200:5060", invite)
    s.sip(0.2, "10.35.60.100:5060", "10.35.60.72:5060", phone.response(invite, 486, "Busy Here", to_tag="b"))
    analysis, findings, _verdicts = _judge(s.write(tmp_path / "nat-both-sides.pcap"))
    (t,) = [t for t in analysis.transactions if t.method == "INVITE"]
    assert len(t.requests) == 2 and t.request_retransmissions == 0 and t.retransmitted == []
    assert not _by_slug(findings, "retransmissions")


# -- a host's role comes from what it does --------------------------------------------------------

def test_an_address_only_seen_as_a_phones_contact_is_its_private_side_not_a_trunk(tmp_path):
    """A phone behind NAT registers with Contact 192.168.1.20; the PBX sends an INVITE to that
    private address (no rewrite_contact) and nothing answers. The address is the phone's LAN
    side, not a trunk the PBX exchanges calls with."""
    s = Scenario()
    phone = Dialog("1001@192.168.1.20:5060", "sip:1001@192.0.2.10")
    register = phone.request("REGISTER", ruri="sip:192.0.2.10")
    s.sip(0, PHONE_PUBLIC, PBX, register)
    s.sip(0.01, PBX, PHONE_PUBLIC, phone.response(register, 200, "OK", to_tag="x",
                                                  extra=(("Contact", "<sip:1001@192.168.1.20:5060>;expires=600"),)))
    pbx = Dialog("2001@192.0.2.10:5060", "sip:1001@192.168.1.20:5060")
    invite = pbx.request("INVITE", body=sdp("192.0.2.10", 10000))
    for dt in RETRANSMITS:
        s.sip(5 + dt, PBX, "192.168.1.20:5060", invite)
    analysis, findings, verdicts = _judge(s.write(tmp_path / "private-side.pcap"))
    private = analysis.hosts["192.168.1.20"]
    assert private.role == "phone" and "private side of 203.0.113.50" in private.role_reason
    assert analysis.hosts["203.0.113.50"].role == "phone"
    assert verdicts[0].slug == "nat-private-contact"
    assert any(f.slug == "no-response" for f in verdicts[0].explains)


# -- a proxy that forks an INVITE -------------------------------------------------------------------

def test_a_forked_call_says_which_branch_answered_and_the_call_worked(tmp_path):
    from forking_capture import write_forking_capture

    path = tmp_path / "fork.pcap"
    write_forking_capture(path, phones=4)
    analysis, findings, verdicts = _judge(path)
    (fork,) = _by_slug(findings, "call-forked")
    fates = {b["destination"]: b["fate"] for b in fork.details["branches"]}
    assert fates == {"10.20.1.11:5060": "cancelled", "10.20.1.12:5060": "answered",
                     "10.20.1.13:5060": "cancelled", "10.20.1.14:5060": "unanswered"}
    assert "sip:202@10.20.1.12:5060 answered" in fork.title
    (silent,) = _by_slug(findings, "no-response")
    assert silent.severity == "warning" and "another branch answered" in silent.title
    # the call was answered: the verdict says so, the unanswered branch is a risk under it
    assert verdicts[0].slug == "ok"
    assert any(f is silent for f in verdicts[0].also)


def test_a_forked_call_names_the_registration_that_took_it(tmp_path):
    """Two tenants have a user 2001; the branch that answers is the contact registered under
    tenant-b: that is where the call really went."""
    s = Scenario()
    for n, (domain, contact) in enumerate([("tenant-a.example", "198.51.100.31:5060"),
                                           ("tenant-b.example", "198.51.100.32:5060")]):
        phone = Dialog(f"2001@{contact}", f"sip:2001@{domain}")
        register = phone.request("REGISTER", ruri=f"sip:{domain}")
        s.sip(n * 0.1, contact, PBX, register)
        s.sip(n * 0.1 + 0.01, PBX, contact, phone.response(
            register, 200, "OK", to_tag=f"r{n}", extra=(("Contact", f"<sip:2001@{contact}>;expires=600"),)))
    caller = Dialog("1001@203.0.113.20:5060", "sip:2001@tenant-b.example")
    invite = caller.request("INVITE", body=sdp("203.0.113.20", 4000))
    s.sip(1, CALLER, PBX, invite)
    branches = []
    for n, contact in enumerate(["198.51.100.31:5060", "198.51.100.32:5060"]):
        copy = Msg(f"INVITE sip:2001@{contact} SIP/2.0",
                   [("Via", f"SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bKfork{n}")] + invite.headers, invite.body)
        s.sip(1.01, PBX, contact, copy)
        branches.append(copy)
    callee = Dialog("x@y:1", "sip:2001@tenant-b.example")
    s.sip(1.2, "198.51.100.31:5060", PBX, callee.response(branches[0], 180, "Ringing", to_tag="a1"))
    s.sip(3, "198.51.100.32:5060", PBX, callee.response(branches[1], 200, "OK", to_tag="b1",
                                                          body=sdp("198.51.100.32", 5000)))
    cancel = Msg("CANCEL sip:2001@198.51.100.31:5060 SIP/2.0",
                 [(n, v if n != "CSeq" else "1 CANCEL") for n, v in branches[0].headers if n != "Content-Type"])
    s.sip(3.01, PBX, "198.51.100.31:5060", cancel)
    s.sip(3.02, "198.51.100.31:5060", PBX, callee.response(cancel, 200, "OK", to_tag="a1"))
    s.sip(3.03, "198.51.100.31:5060", PBX, callee.response(branches[0], 487, "Request Terminated", to_tag="a1"))
    analysis, findings, _verdicts = _judge(s.write(tmp_path / "tenants.pcap"))
    (fork,) = _by_slug(findings, "call-forked")
    assert "registered as sip:2001@tenant-b.example" in fork.cause
    assert [b["fate"] for b in fork.details["branches"]] == ["cancelled", "answered"]


# -- a 403 whose REGISTER is outside the excerpt ----------------------------------------------------

EXCERPT_403 = """\
[2026-11-22 19:30:01.100] VERBOSE[20890] res_pjsip_logger.c: <--- Transmitting SIP response (340 bytes) to UDP:203.0.113.88:12995 --->
SIP/2.0 403 Forbidden
Via: SIP/2.0/UDP 192.0.2.30:5060;rport=12995;received=203.0.113.88;branch=z9hG4bK71dea4b5b0559999
Call-ID: 2607acc30c3a9e8f
From: <sip:10000@198.51.100.2>;tag=4cf026283c4a0cec
To: <sip:10000@198.51.100.2>;tag=z9hG4bK71dea4b5b0559999
CSeq: 52586 REGISTER
Server: Asterisk PBX 22.10.1
Content-Length:  0


{notice}"""
NOTICE = ("[2026-11-22 19:30:01.101] NOTICE[20890] res_pjsip/pjsip_distributor.c: Request 'REGISTER' from "
          "'<sip:10000@198.51.100.2>' failed for '203.0.113.88:12995' (callid: 2607acc30c3a9e8f) - Failed to "
          "authenticate\n")


@pytest.mark.parametrize("with_notice", [True, False])
def test_a_403_to_register_in_a_log_excerpt_is_an_auth_failure(tmp_path, with_notice):
    path = tmp_path / "excerpt.log"
    path.write_text(EXCERPT_403.format(notice=NOTICE if with_notice else ""), encoding="utf-8")
    analysis, findings, verdicts = _judge(path)
    assert analysis.transactions == [] and len(analysis.orphan_responses) == 1
    (auth,) = _by_slug(findings, "auth-failed")
    assert auth.severity == "error" and auth.details["request_in_trace"] is False
    assert "10000" in auth.title and "outside the trace" in auth.title
    assert ("Failed to authenticate" in auth.cause) is with_notice
    assert verdicts[0].finding is auth


def test_the_report_shows_a_symptom_under_its_cause(tmp_path):
    """HTML: the caller's failed call is shown as a symptom of the unanswered leg (marked, closed,
    linked to the diagnosis), not as a second alarm of the same weight."""
    from sipdiag.report.html import render_html

    path = _pbx_answers_after_its_leg_timed_out(tmp_path, 480, "Temporarily Unavailable")
    analysis, findings, verdicts = _judge(path)
    html = render_html(analysis, findings)
    assert "<title>INVITE gets no response" in html
    start = html.index('id="group-SD201-of-0"')
    group = html[html.rfind("<details", 0, start):html.index("</details>", start)]
    assert 'class="finding sev-error symptom"' in group and " open" not in group.split(">", 1)[0]
    assert 'Explained by <a href="#diagnosis">' in group


def test_a_retransmitted_request_is_one_key_message_with_its_copies(tmp_path):
    from sipdiag.report.viewmodel import build_view

    analysis, findings, verdicts = _judge(_pbx_answers_after_its_leg_timed_out(tmp_path, 480, "Temporarily Unavailable"))
    view = build_view(analysis, findings, verdicts=verdicts)
    (key,) = view.key_messages
    assert key.copies == "sent 7 times" and [c.label for c in key.copy_chips][:2] == ["frame 3", "frame 4"]
    assert key.lines[0].text.startswith("INVITE sip:2001@198.51.100.30")
    # the SDP's rtpmap/direction lines are folded, the header block and c= stay open
    assert key.folded and key.folded_label == f"{len(key.folded)} more lines of the body"
    assert any(line.text.startswith("c=IN IP4") for line in key.lines)
