"""Calls through a back-to-back user agent: which call flows are legs of one call. Facts only.

How this works. A B2BUA (Asterisk, FreeSWITCH, an SBC) answers the caller's INVITE itself and
places a new call, with its own Call-ID, to the callee (or several, when it rings a group or
forks to every contact of a user). Nothing in the messages links the two dialogs, so the link
is inferred the way an engineer reads a ladder: a call flow Y is an outgoing leg of call flow X
when the host X's initial INVITE was sent to sends Y's initial INVITE within `LEG_WINDOW`
seconds after it, and the two name the same party — the same caller (From user) or the same
callee (Request-URI or To user). Calls are grouped by the earliest leg; candidates are found
by time (bisect per sending host), so this stays linear on busy captures.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right

from .model import Flow, Transaction

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


def link_legs(flows: list[Flow]) -> dict[str, list[Flow]]:
    """id of a call's first leg → its outgoing legs (the flows the B2BUA started for it), in order."""
    calls = []
    for flow in flows:
        if flow.kind != "call":
            continue
        t = initial_invite(flow)
        if t is not None and t.request.time is not None and t.client.ip and t.server.ip:
            calls.append((t.request.time, flow, t))
    calls.sort(key=lambda c: c[0])
    sent_by: dict[str, list[tuple[float, Flow, Transaction]]] = {}
    for call in calls:
        sent_by.setdefault(call[2].client.ip, []).append(call)
    times_by = {ip: [c[0] for c in cs] for ip, cs in sent_by.items()}
    users = {id(t): _users(t) for _time, _flow, t in calls}
    """Each call's parties, read once: a busy PBX's INVITEs are candidates for many calls."""
    legs: dict[str, list[Flow]] = {}
    taken: set[str] = set()
    for time, flow, t in calls:
        if flow.id in taken:
            continue  # already a leg of an earlier call: it is not a call's first leg
        out = sent_by.get(t.server.ip, ())
        if not out:
            continue
        times = times_by[t.server.ip]
        caller, callee = users[id(t)]
        for _time, other, ot in out[bisect_left(times, time):bisect_right(times, time + LEG_WINDOW)]:
            if other is flow or other.id in taken or ot.request.call_id == t.request.call_id:
                continue
            other_caller, other_callee = users[id(ot)]
            if (caller and caller == other_caller) or (callee & other_callee):
                legs.setdefault(flow.id, []).append(other)
                taken.add(other.id)
    return legs
