"""Which call flows are legs of one call through a B2BUA (flow/legs.py), on a busy PBX.

Nothing in SIP links a caller's dialog to the one the PBX places for it, so the link is
inferred; on a busy PBX the same phone calls twice within seconds and several calls name the
same agent, and a wrong link makes a wrong diagnosis (a busy callee's 486 read as one the PBX
generated because "its leg" — somebody else's call — was cancelled). The truth here is how a
B2BUA behaves (small captures written for it) and the benchmark generator's own record of which
two dialogs make each call.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sipcraft import Dialog, Scenario, sdp

from benchmarks.workload import Workload, generate
from sipdiag.analysis import analyze_paths
from sipdiag.flow.legs import initial_invite

PBX = "192.0.2.10:5060"
PHONE_A = "198.51.100.20:5060"
SITE_A1 = "198.51.100.23:6193"
"""Two phones at one office, behind one NAT router: one public address, two mapped ports."""
SITE_A2 = "198.51.100.23:24139"
AGENT = "198.51.100.30:5060"
TRUNK = "203.0.113.5:5060"


def _call(s: Scenario, t: float, src: str, dst: str, d: Dialog, final: tuple[int, str] | None = None):
    invite = d.request("INVITE", body=sdp(src.split(":")[0], 4000))
    s.sip(t, src, dst, invite)
    s.sip(t + 0.002, dst, src, d.response(invite, 100, "Trying"))
    if final is not None:
        s.sip(t + 0.06, dst, src, d.response(invite, *final, to_tag=f"tt{id(d)}"))
        s.sip(t + 0.07, src, dst, d.request("ACK", branch=invite.branch(), cseq=d.cseq))
    return invite


def _legs(path: Path) -> dict[str, list[str]]:
    """Call-ID of each call's first leg → the Call-IDs of its legs."""
    analysis = analyze_paths([str(path)])
    by_id = {f.id: f for f in analysis.flows}
    return {by_id[first].call_id: [leg.call_id for leg in legs] for first, legs in analysis.index.legs.items()}


def _through_the_pbx(s: Scenario, t: float, caller: str, dialled: str, leg_to: str, leg_uri: str,
                     call_ids: tuple[str, str]) -> None:
    """`caller` (user@ip:port) calls `dialled` at the PBX; 4 ms later the PBX places its leg,
    from the same user, to `leg_uri` at `leg_to`."""
    user, address = caller.split("@", 1)
    _call(s, t, address, PBX, Dialog(caller, f"sip:{dialled}@192.0.2.10", call_id=call_ids[0]))
    _call(s, t + 0.004, PBX, leg_to, Dialog(f"{user}@192.0.2.10:5060", leg_uri, call_id=call_ids[1]))


def test_a_phone_calling_twice_in_seconds_gets_each_leg_right(tmp_path):
    """1001 calls 2001, then 3 s later 0612345678 through the trunk. The PBX's INVITE to the trunk
    names 1001 as caller like the first call did, but the second call names the number too."""
    s = Scenario(local="192.0.2.10")
    _through_the_pbx(s, 0.0, f"1001@{PHONE_A}", "2001", AGENT, "sip:2001@198.51.100.30:5060", ("a1@phone", "b1@pbx"))
    _through_the_pbx(s, 3.0, f"1001@{PHONE_A}", "0612345678", TRUNK, "sip:0612345678@203.0.113.5",
                     ("a2@phone", "b2@pbx"))
    assert _legs(s.write(tmp_path / "twice.pcap")) == {"a1@phone": ["b1@pbx"], "a2@phone": ["b2@pbx"]}


def test_no_leg_after_the_pbx_gave_the_caller_its_final_answer(tmp_path):
    """The PBX answered 486 to 1001 (the agent was busy); an INVITE it sends 4 s later from 1001 is
    the phone's next call, placed for another INVITE — not a leg of the finished one."""
    s = Scenario(local="192.0.2.10")
    busy = Dialog("1001@198.51.100.20:5060", "sip:2001@192.0.2.10", call_id="a1@phone")
    invite = _call(s, 0.0, PHONE_A, PBX, busy)
    leg = Dialog("1001@192.0.2.10:5060", "sip:2001@198.51.100.30:5060", call_id="b1@pbx")
    _call(s, 0.004, PBX, AGENT, leg, final=(486, "Busy Here"))
    s.sip(0.07, PBX, PHONE_A, busy.response(invite, 486, "Busy Here", to_tag="pbx1"))
    later = Dialog("1001@192.0.2.10:5060", "sip:0612345678@203.0.113.5", call_id="b2@pbx")
    _call(s, 4.0, PBX, TRUNK, later)
    legs = _legs(s.write(tmp_path / "after.pcap"))
    assert legs == {"a1@phone": ["b1@pbx"]}


def test_phones_behind_one_nat_router_are_not_a_b2bua(tmp_path):
    """At one office 1001 calls 1002 (both behind the router 198.51.100.23), and 1001 then calls
    out. The router's address received the PBX's INVITE for 1002 and sent 1001's next INVITE, with
    the same caller — from another port: two phones, not one host passing a call on."""
    s = Scenario(local="192.0.2.10")
    _through_the_pbx(s, 0.0, f"1001@{SITE_A1}", "1002", SITE_A2, "sip:1002@198.51.100.23:24139", ("a1@site", "b1@pbx"))
    _through_the_pbx(s, 2.0, f"1001@{SITE_A1}", "0612345678", TRUNK, "sip:0612345678@203.0.113.5",
                     ("a2@site", "b2@pbx"))
    assert _legs(s.write(tmp_path / "site.pcap")) == {"a1@site": ["b1@pbx"], "a2@site": ["b2@pbx"]}


@pytest.mark.parametrize("seed", [5060, 2])
def test_the_generators_calls_are_linked_as_it_made_them(tmp_path, seed):
    """A busy PBX (about 90 calls, internal, outbound and inbound, many of one phone within
    seconds): every call's two dialogs, as the generator wrote them, and no other link."""
    truth: list[tuple[str, str]] = []
    path = tmp_path / "busy.pcap"
    generate(path, Workload(20_000, seed=seed, media=False), legs=truth)
    analysis = analyze_paths([str(path)])
    calls = {f.call_id: f for f in analysis.flows if f.kind == "call"}
    by_id = {f.id: f for f in analysis.flows}
    found = {(by_id[first].call_id, leg.call_id) for first, legs in analysis.index.legs.items() for leg in legs}
    pairs = {(a, b) for a, b in truth if a in calls and b in calls}
    assert len(pairs) > 80
    assert all(initial_invite(calls[b]).request.time >= initial_invite(calls[a]).request.time for a, b in pairs)
    assert found == pairs
