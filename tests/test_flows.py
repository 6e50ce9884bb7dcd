"""Flow layer: transaction matching and states as tables, flows and outcomes on real captures,
hosts and roles, and merging several inputs of one event."""

from __future__ import annotations

import pytest
from conftest import REPO, SAMPLES, corpus_file

from sipdiag.analysis import analyze_paths
from sipdiag.flow import model as m
from sipdiag.flow.flows import build_flows
from sipdiag.flow.transactions import INVITE_STATES, NON_INVITE_STATES, TransactionTracker, transaction_key
from sipdiag.sip.parser import parse_message
from sipdiag.sources.frame import Endpoint, Origin

LAB = SAMPLES / "lab"


def _msg(text: str, n: int, src=("192.0.2.30", 5060), dst=("198.51.100.2", 5060)):
    msg = parse_message(text.replace("\n", "\r\n").encode(), origin=Origin("t", frame=n),
                        time=float(n), src=Endpoint(*src), dst=Endpoint(*dst))
    msg.seq = n
    return msg


INVITE = """INVITE sip:bob@example.com SIP/2.0
Via: SIP/2.0/UDP 192.0.2.30:5060;branch=z9hG4bK1
From: <sip:alice@example.com>;tag=a
To: <sip:bob@example.com>
Call-ID: c1
CSeq: 1 INVITE
Content-Length: 0

"""


def _response(status: int, reason: str, cseq: str = "1 INVITE", to_tag: str = ";tag=b") -> str:
    return f"""SIP/2.0 {status} {reason}
Via: SIP/2.0/UDP 192.0.2.30:5060;branch=z9hG4bK1
From: <sip:alice@example.com>;tag=a
To: <sip:bob@example.com>{to_tag}
Call-ID: c1
CSeq: {cseq}
Content-Length: 0

"""


ACK = INVITE.replace("INVITE sip", "ACK sip").replace("1 INVITE", "1 ACK").replace("To: <sip:bob@example.com>",
                                                                                  "To: <sip:bob@example.com>;tag=b")
CANCEL = INVITE.replace("INVITE sip", "CANCEL sip").replace("1 INVITE", "1 CANCEL")


# -- tables ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "events, final_state",
    [
        (["1xx", "2xx"], "accepted"),
        (["1xx", "3xx-6xx", "ack"], "confirmed"),
        (["3xx-6xx", "3xx-6xx", "ack"], "confirmed"),
        (["1xx", "1xx", "2xx", "2xx"], "accepted"),
    ],
)
def test_invite_state_table(events, final_state):
    state = "calling"
    for e in events:
        state = INVITE_STATES[(state, e)]
    assert state == final_state


def test_invite_table_has_no_path_from_failure_to_success():
    assert ("completed", "2xx") not in INVITE_STATES
    assert ("trying", "ack") not in NON_INVITE_STATES


def test_retransmitted_request_is_one_transaction():
    tracker = TransactionTracker()
    t1 = tracker.add(_msg(INVITE, 1))
    t2 = tracker.add(_msg(INVITE, 2))
    tracker.add(_msg(_response(180, "Ringing"), 3, src=("198.51.100.2", 5060), dst=("192.0.2.30", 5060)))
    assert t1 is t2
    assert len(tracker.transactions) == 1
    assert t1.request_retransmissions == 1
    assert t1.state == "proceeding"


def test_ack_of_non_2xx_joins_invite_and_cancel_is_its_own_transaction():
    tracker = TransactionTracker()
    invite = tracker.add(_msg(INVITE, 1))
    cancel = tracker.add(_msg(CANCEL, 2))
    tracker.add(_msg(_response(487, "Request Terminated"), 3, src=("198.51.100.2", 5060), dst=("192.0.2.30", 5060)))
    ack = tracker.add(_msg(ACK, 4))
    assert cancel is not invite and cancel.method == "CANCEL"
    assert ack is invite and invite.ack is not None
    assert invite.state == "confirmed"
    assert transaction_key(_msg(CANCEL, 5))[1] == transaction_key(_msg(INVITE, 6))[1]  # same branch


def test_response_without_request_is_an_orphan():
    tracker = TransactionTracker()
    tracker.add(_msg(_response(200, "OK"), 1, src=("198.51.100.2", 5060), dst=("192.0.2.30", 5060)))
    assert not tracker.transactions
    assert len(tracker.orphan_responses) == 1


REGISTER = """REGISTER sip:example.com SIP/2.0
Via: SIP/2.0/UDP 192.0.2.30:5060;branch=z9hG4bK-r{cseq}
From: <sip:alice@example.com>;tag=a
To: <sip:alice@example.com>
Call-ID: {call_id}
CSeq: {cseq} REGISTER
Contact: <sip:alice@192.0.2.30:5060>;expires=600
Content-Length: 0

"""


def _register_response(status: int, reason: str, cseq: int, call_id: str = "r1", extra: str = "") -> str:
    return f"""SIP/2.0 {status} {reason}
Via: SIP/2.0/UDP 192.0.2.30:5060;branch=z9hG4bK-r{cseq}
From: <sip:alice@example.com>;tag=a
To: <sip:alice@example.com>;tag=srv
Call-ID: {call_id}
CSeq: {cseq} REGISTER
{extra}Content-Length: 0

"""


def _registration(messages):
    """Feed (text, is_response) in order through the tracker and build the flows."""
    tracker = TransactionTracker()
    for n, (text, response) in enumerate(messages, 1):
        ends = {"src": ("198.51.100.2", 5060), "dst": ("192.0.2.30", 5060)} if response else {}
        tracker.add(_msg(text, n, **ends))
    return build_flows(tracker.transactions, None, tracker.orphan_responses), tracker


@pytest.mark.parametrize(
    "final, outcome",
    [
        (_register_response(200, "OK", 2, extra="Contact: <sip:alice@192.0.2.30:5060>;expires=600\n"),
         (m.REGISTERED, 200, True)),
        (_register_response(403, "Forbidden", 2), (m.REJECTED, 403, True)),
        (_register_response(200, "OK", 2, extra="Contact: <sip:alice@192.0.2.30:5060>;expires=0\n"),
         (m.UNREGISTERED, 200, True)),
    ],
)
def test_orphan_final_response_decides_its_registration(final, outcome):
    """REGISTER CSeq 1 → 401, the authenticated CSeq 2 is lost in a capture gap, its answer is
    not: the answer joins the registration (same To, Call-ID) and decides the outcome."""
    flows, tracker = _registration([(REGISTER.format(cseq=1, call_id="r1"), False),
                                    (_register_response(401, "Unauthorized", 1), True),
                                    (final, True)])
    (flow,) = flows
    assert len(tracker.orphan_responses) == 1
    assert flow.orphan_responses == tracker.orphan_responses
    # the lost request followed a challenge, so it carried credentials (RFC 3261 §22.2)
    assert (flow.outcome, flow.final_status, flow.credentials) == outcome
    assert flow.outcome_message is tracker.orphan_responses[0]
    assert "not in the trace" in flow.outcome_detail
    assert tracker.orphan_responses[0] in flow.messages


def test_orphan_of_another_call_id_or_answered_cseq_is_not_attached():
    flows, tracker = _registration([(REGISTER.format(cseq=1, call_id="r1"), False),
                                    (_register_response(401, "Unauthorized", 1), True),
                                    (_register_response(200, "OK", 2, call_id="other"), True),
                                    (_register_response(200, "OK", 1).replace("z9hG4bK-r1", "z9hG4bK-x"), True)])
    (flow,) = flows
    assert len(tracker.orphan_responses) == 2
    assert flow.orphan_responses == []
    assert flow.outcome == m.CHALLENGE_UNANSWERED


def test_tcp_gap_register_answered_after_the_gap():
    """samples/synthetic/tcp-gap.pcap: the authenticated REGISTER falls into the TCP hole, its
    200 OK (frame 8) is in the trace: the registration succeeded."""
    analysis = analyze_paths([str(REPO / "samples" / "synthetic" / "tcp-gap.pcap")])
    (flow,) = analysis.flows_of("registration")
    assert flow.outcome == m.REGISTERED
    assert flow.outcome_message.origin.frame == 8


def test_2xx_after_failure_is_an_anomaly():
    tracker = TransactionTracker()
    tracker.add(_msg(INVITE, 1))
    tracker.add(_msg(_response(486, "Busy Here"), 2, src=("198.51.100.2", 5060), dst=("192.0.2.30", 5060)))
    tracker.add(_msg(_response(200, "OK"), 3, src=("198.51.100.2", 5060), dst=("192.0.2.30", 5060)))
    assert [a.name for a in tracker.anomalies] == ["unexpected-in-transaction"]


# -- real captures --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name, kind, outcome, status, credentials",
    [  # GROUND_TRUTH.md: what happened in each lab recording (the diagnosis is the rules' job)
        ("ast-01-aor-404.pcap", "registration", m.REJECTED, 404, True),
        ("ast-01-aor-404.lan.pcap", "registration", m.REJECTED, 404, True),
        ("ast-02-fixed-200.pcap", "registration", m.REGISTERED, 200, True),
        ("lab-01-register-auth-ok-nat.pcap", "registration", m.REGISTERED, 200, True),
        ("lab-06a-call-rejected-486.pcap", "call", m.REJECTED, 486, False),
        ("lab-08a-tcp-register-call-segmented-invite.pcap", "call", m.ANSWERED, 200, False),
        ("lab-09-udp-big-invite-ip-fragmented.pcap", "call", m.ANSWERED, 200, False),
    ],
)
def test_lab_outcomes(name, kind, outcome, status, credentials):
    analysis = analyze_paths([str(LAB / name)])
    flows = analysis.flows_of(kind)
    assert flows, f"no {kind} flow in {name}"
    assert (flows[0].outcome, flows[0].final_status, flows[0].credentials) == (outcome, status, credentials)


def test_ast01_registration_flow_has_the_whole_chain():
    analysis = analyze_paths([str(LAB / "ast-01-aor-404.pcap")])
    (flow,) = analysis.flows
    assert flow.aor == "sip:10000@198.51.100.2"
    assert [t.status for t in flow.transactions] == [401, 404]
    assert [t.has_credentials for t in flow.transactions] == [False, True]
    assert flow.outcome_message.origin.frame == 4


def test_lab04b_flows_and_roles():
    analysis = analyze_paths([str(LAB / "lab-04b-ip-ruri-mapped-to-contact-ok.pcap")])
    kinds = {f.kind: f.outcome for f in analysis.flows}
    assert kinds == {"registration": m.REGISTERED, "options": m.ANSWERED, "call": m.ANSWERED,
                     "notify": m.REJECTED}
    roles = {h.address: h.role for h in analysis.hosts.values()}
    assert roles == {"203.0.113.88": "phone", "198.51.100.2": "proxy/sbc", "198.51.100.10": "trunk"}
    phone = analysis.hosts["203.0.113.88"]
    assert phone.behind_nat and "192.0.2.30:5060" in phone.advertised


def test_ast01_hosts_nat_and_server():
    analysis = analyze_paths([str(LAB / "ast-01-aor-404.pcap")])
    phone, pbx = analysis.hosts["203.0.113.88"], analysis.hosts["198.51.100.2"]
    assert phone.role == "phone" and phone.behind_nat
    assert phone.user_agents == ["baresip v1.0.0 (x86_64/linux)"]
    assert pbx.role == "pbx" and pbx.user_agents == ["Asterisk PBX 22.10.1"]
    assert not pbx.advertised


def test_registration_refresh_keeps_one_flow_per_aor():
    # ast-02: register, then un-register 8 s later with new CSeqs: one flow, outcome ok
    analysis = analyze_paths([str(LAB / "ast-02-fixed-200.pcap")])
    regs = analysis.flows_of("registration")
    assert len(regs) == 1 and len(regs[0].transactions) == 4
    assert regs[0].outcome == m.REGISTERED


def test_eyebeam_nonce_refresh_is_not_an_auth_failure():
    analysis = analyze_paths([str(corpus_file("public/eyebeam_minisipserver_register407_subscribe_call.pcap"))])
    outcomes = {f.aor: f.outcome for f in analysis.flows_of("registration")}
    assert set(outcomes.values()) == {m.REGISTERED}


def test_retransmissions_are_not_double_counted():
    analysis = analyze_paths([str(corpus_file("public/aaa_register_invite_cancel_provider.pcap"))])
    retrans = sum(t.request_retransmissions for t in analysis.transactions)
    copies = sum(len(t.requests) for t in analysis.transactions)
    requests = sum(1 for msg in analysis.messages if msg.is_request and msg.method != "ACK")
    assert retrans > 0
    acks_in_invite = sum(1 for t in analysis.transactions if t.ack is not None)
    assert copies + acks_in_invite == requests + sum(1 for msg in analysis.messages if msg.method == "ACK")
    assert len(analysis.transactions) < requests


# -- several inputs of one event ------------------------------------------------------------
def test_capture_and_log_merge_into_one_story():
    pcap = LAB / "ast-01-aor-404.pcap"
    log = LAB / "ast-01-aor-404.pjsip-logger.log"
    merged = analyze_paths([str(pcap), str(log)])
    alone = analyze_paths([str(pcap)])
    assert len(merged.messages) == len(alone.messages) == 4
    for msg in merged.messages:
        assert msg.origin.source == str(pcap)
        assert [o.source for o in merged.also_seen[msg.seq]] == [str(log)]
        assert merged.also_seen[msg.seq][0].line is not None
        assert merged.origins_of(msg)[1:] == merged.also_seen[msg.seq]
    assert any("AOR '' not found" in e.text for e in merged.log_events)
    assert [f.kind for f in merged.log_facts] == ["aor-not-found"]


def test_log_alone_gets_the_pbx_address_from_the_messages():
    analysis = analyze_paths([str(LAB / "ast-01-aor-404.pjsip-logger.log")])
    assert {str(m_.src) for m_ in analysis.messages} == {"203.0.113.88:12995", "198.51.100.2:5060"}
    assert "198.51.100.2:5060" in (analysis.inputs[0].local_address or "")
    assert (analysis.flows[0].outcome, analysis.flows[0].final_status) == (m.REJECTED, 404)


def test_lan_and_wan_captures_are_not_merged():
    # the same REGISTERs seen before and after the NAT are different hops, not one message
    both = analyze_paths([str(LAB / "ast-01-aor-404.pcap"), str(LAB / "ast-01-aor-404.lan.pcap")])
    assert len(both.messages) == 8


# -- the compact lookups of the index (flow/index.py) ------------------------------------------

def test_origin_map_reads_as_the_dict_it_replaces():
    """OriginMap against a plain dict fed the same setdefault calls: frames and lines of several
    inputs, out of order, repeated (two messages of one datagram share a frame), and origins
    with neither or both numbers."""
    import random

    from sipdiag.flow.index import OriginMap
    from sipdiag.sources.frame import Origin

    rng = random.Random(5060)
    origins = [Origin("a.pcap", frame=f) for f in range(1, 300)] + [Origin("b.log", line=n) for n in range(1, 200)]
    origins += [Origin("a.pcap"), Origin("c", frame=3, line=4), Origin("b.log", frame=7)]
    for shuffled in (False, True):
        feed = origins + rng.sample(origins, 80)  # repeats: the first message stays
        if shuffled:
            rng.shuffle(feed)
        plain, compact = {}, OriginMap()
        for i, origin in enumerate(feed):
            assert compact.setdefault(origin, i) == plain.setdefault(origin, i)
        assert len(compact) == len(plain)
        for origin in origins + [Origin("a.pcap", frame=999), Origin("zz", line=1), Origin("b.log", line=0)]:
            assert compact.get(origin) == plain.get(origin)
            assert (origin in compact) == (origin in plain)


@pytest.mark.parametrize("name", sorted(p.name for p in LAB.glob("*.pcap")) + ["busy"])
def test_each_message_is_in_one_transaction_and_the_index_says_which(name, tmp_path):
    """build_index fills `transaction_of` flow by flow (then the transactions in no flow): the same
    map as transaction by transaction, because no message is in two transactions."""
    from benchmarks.workload import Workload, generate
    from sipdiag.flow.index import _seqs

    if name == "busy":  # a busy PBX: retransmissions, CANCELs, challenged INVITEs, orphans
        path = tmp_path / "busy.pcap"
        generate(path, Workload(5_000, seed=3, media=False))
    else:
        path = LAB / name
    analysis = analyze_paths([str(path)])
    owner: dict[int, object] = {}
    for t in analysis.transactions:
        for seq in _seqs(t):
            assert seq not in owner, f"message {seq} is in {owner[seq].id} and {t.id}"
            owner[seq] = t
    index = analysis.index.transaction_of
    assert len(index) == len(owner)
    assert all(index.get(seq) is t for seq, t in owner.items())
