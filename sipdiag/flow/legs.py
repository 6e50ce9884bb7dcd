"""Calls through a back-to-back user agent: which call flows are legs of one call. Facts only.

How this works. A B2BUA (Asterisk, FreeSWITCH, an SBC) answers the caller's INVITE itself and
places a new call, with its own Call-ID, to the callee (or several, when it rings a group or
forks to every contact of a user). Nothing in the messages links the two dialogs, so the link
is inferred the way an engineer reads a ladder. A call flow Y may be an outgoing leg of call
flow X when

* the host X's initial INVITE was sent to sends Y's initial INVITE, within `LEG_WINDOW`
  seconds after it (over UDP from the port X came to: phones behind one NAT router share its
  address, not its ports);
* X was still going on: the B2BUA had not yet rejected the caller, nor the caller cancelled
  (after its final 486 to the caller, a PBX places no more calls for it);
* the two name the same party: the same caller (From user) or the same callee (Request-URI
  or To user);
* the host in the middle is no phone (hosts.py: it sends REGISTER of its own): a phone does
  not bridge calls, and a phone called by the PBX that then places a call of its own, over
  TCP from a port of its own, would otherwise look like one.

On a busy PBX several calls qualify: the same phone calls twice within seconds, an agent is
called by two callers. Each Y then goes to the one X that fits it best — both parties the
same before one, then the latest X (the INVITE the B2BUA received last before it sent Y) —
rather than to whichever call came first. Calls are grouped by their earliest leg: a leg of a
leg (phone → SBC → PBX → phone) belongs to the first call. Candidates are found per sending
host and party, by time (bisect), so this stays linear on busy captures.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right

from . import model as m
from .model import Flow, Host, Transaction

LEG_WINDOW = 10.0
"""Seconds between the INVITE a B2BUA receives and the INVITE it sends on (dial plans, ringing
groups and lookups take milliseconds to a few seconds)."""


def initial_invite(flow: Flow) -> Transaction | None:
    """The flow's first INVITE outside a dialog (no To tag)."""
    for t in flow.transactions:
        if t.is_initial_invite:
            return t
    return None


def _users(t: Transaction) -> tuple[str | None, set[str]]:
    req = t.request
    caller = req.from_.uri.user if req.from_ is not None and req.from_.uri is not None else None
    callee = {u for u in (req.ruri.user if req.ruri is not None else None,
                          req.to.uri.user if req.to is not None and req.to.uri is not None else None) if u}
    return caller, callee


def _over_at(flow: Flow) -> float | None:
    """When the call was over for the B2BUA: the final failure it answered the caller (after a
    CANCEL, its 487), or the caller's CANCEL when no final answer came; None while it could still
    place legs (answered calls too: a PBX may answer first and dial afterwards, an IVR or a queue)."""
    if flow.outcome not in (m.REJECTED, m.CANCELLED) or flow.outcome_message is None:
        return None
    return flow.outcome_message.time


def _same_host(call: Transaction, leg: Transaction) -> bool:
    """The host `call` was sent to is the one `leg` comes from: the same IP and, over UDP, the same
    port (a B2BUA sends from the socket it receives on; phones behind one NAT router share its IP
    but not its ports). Over TCP a new connection comes from a port of its own."""
    if call.server.ip != leg.client.ip:
        return False
    return call.request.transport != "UDP" or leg.request.transport != "UDP" or call.server.port == leg.client.port


class _Party:
    """The calls a host received, by one party (caller or callee user), in time order."""

    __slots__ = ("times", "positions")

    def __init__(self) -> None:
        self.times: list[float] = []
        self.positions: list[int] = []

    def between(self, start: float, end: float) -> list[int]:
        return self.positions[bisect_left(self.times, start):bisect_right(self.times, end)]


def link_legs(flows: list[Flow], hosts: dict[str, Host] | None = None) -> dict[str, list[Flow]]:
    """id of a call's first leg → its outgoing legs (the flows the B2BUA started for it), in order.
    `hosts`: the hosts table, whose phones place no legs."""
    phones = {ip for ip, h in (hosts or {}).items() if h.role == "phone"}
    calls = []
    for flow in flows:
        if flow.kind != "call":
            continue
        t = initial_invite(flow)
        if t is not None and t.request.time is not None and t.client.ip and t.server.ip:
            calls.append((t.request.time, flow, t))
    calls.sort(key=lambda c: c[0])
    parties = [_users(t) for _time, _flow, t in calls]
    """Each call's parties, read once: a busy PBX's INVITEs are candidates for many calls."""
    received: dict[tuple[str, str, str], _Party] = {}
    """(receiving ip, "from" or "to", user) → the calls it received naming that user."""
    for pos, (time, _flow, t) in enumerate(calls):
        caller, callee = parties[pos]
        for side, users in (("from", (caller,) if caller else ()), ("to", callee)):
            for user in users:
                party = received.get((t.server.ip, side, user))
                if party is None:
                    party = received[(t.server.ip, side, user)] = _Party()
                party.times.append(time)
                party.positions.append(pos)
    over = [_over_at(flow) for _time, flow, _t in calls]
    parent: dict[int, int] = {}
    for pos, (time, flow, t) in enumerate(calls):
        caller, callee = parties[pos]
        sender = t.client.ip
        if sender in phones:
            continue
        matches: dict[int, int] = {}
        """position of a candidate call → 1 for a caller match, 2 for a callee match, 3 for both"""
        for side, users, bit in (("from", (caller,) if caller else (), 1), ("to", callee, 2)):
            for user in users:
                party = received.get((sender, side, user))
                if party is None:
                    continue
                for other in party.between(time - LEG_WINDOW, time):
                    if other < pos:
                        matches[other] = matches.get(other, 0) | bit
        best = None
        for other, bits in matches.items():
            _o_time, o_flow, o_t = calls[other]
            if o_flow is flow or o_t.request.call_id == t.request.call_id or not _same_host(o_t, t):
                continue
            if over[other] is not None and over[other] < time:
                continue
            rank = (bits == 3, other)
            if best is None or rank > best[0]:
                best = (rank, other)
        if best is not None:
            parent[pos] = best[1]
    legs: dict[str, list[Flow]] = {}
    for pos in sorted(parent):
        first = parent[pos]
        while first in parent:
            first = parent[first]
        legs.setdefault(calls[first][1].id, []).append(calls[pos][1])
    return legs
