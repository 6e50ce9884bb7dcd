"""Lookups over one analysis, built once by the flow layer and shared by rules and report.

How this works: after transactions and flows are built, one pass over the messages and one
over the transactions fill dictionaries keyed by what the rules ask about — the transaction
and flow of a message, flows by kind, requests by destination, the copies of one request
(Call-ID, CSeq, method) in trace order, successful registrations by user, the responses that
carry RFC 3581 received=/rport= per destination. Every question a rule used to answer by
scanning all messages or all flows is a dictionary lookup here, so the rules stay linear
on busy captures. The index holds references only; it judges nothing.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field

from ..sip.grammar import normalise_ip
from ..sip.message import SipMessage
from . import model as m
from .forks import find_forks
from .legs import link_legs
from .model import Analysis, Flow, Transaction


class SeqMap:
    """A mapping from message `seq` (0, 1, 2, ... in trace order) to one object, kept as a list:
    8 bytes a message instead of a dictionary entry and an int key (about 100 bytes). Reads as a
    dict does (`get`, `[]`, `in`, `setdefault`, `items`, `len`); holds no None values."""

    __slots__ = ("_items", "_count")

    def __init__(self) -> None:
        self._items: list = []
        self._count = 0

    def get(self, seq: int, default=None):
        items = self._items
        if 0 <= seq < len(items):
            found = items[seq]
            if found is not None:
                return found
        return default

    def __getitem__(self, seq: int):
        found = self.get(seq)
        if found is None:
            raise KeyError(seq)
        return found

    def __contains__(self, seq: object) -> bool:
        return isinstance(seq, int) and self.get(seq) is not None

    def setdefault(self, seq: int, value):
        items = self._items
        if seq >= len(items):
            items.extend([None] * (seq + 1 - len(items)))
        found = items[seq]
        if found is None:
            items[seq] = found = value
            self._count += 1
        return found

    def fill(self, seqs, value) -> None:
        """`setdefault(seq, value)` for every seq in `seqs` (one call for a transaction's messages)."""
        items = self._items
        for seq in seqs:
            if seq >= len(items):
                items.extend([None] * (seq + 1 - len(items)))
            if items[seq] is None:
                items[seq] = value
                self._count += 1

    def items(self):
        return ((seq, v) for seq, v in enumerate(self._items) if v is not None)

    def __len__(self) -> int:
        return self._count

    def __iter__(self):
        return (seq for seq, v in enumerate(self._items) if v is not None)


class OriginMap:
    """A mapping from Origin to one message, first one kept (`setdefault`), for the messages a
    finding cites: per input, the frame (or line) numbers in one array and the messages in a
    list beside it, about 16 bytes a message instead of a dictionary entry keyed by an Origin
    (about 50). The numbers come in ascending order nearly always (a capture's frames, a log's
    lines); one that does not (timestamps out of order in the capture), and an origin with
    neither or both numbers, goes to a plain dictionary beside them. Reads as a dict does for
    what rules and reports ask: `get`, `[]`, `in`, `len`."""

    __slots__ = ("_inputs", "_other")

    def __init__(self) -> None:
        self._inputs: dict[str, tuple[array, list]] = {}
        """source → (ascending numbers, the message at each)."""
        self._other: dict = {}

    @staticmethod
    def _number(origin) -> int | None:
        frame, line = origin.frame, origin.line
        if line is None:
            return None if frame is None else frame * 2
        return line * 2 + 1 if frame is None else None

    def setdefault(self, origin, msg):
        number = self._number(origin)
        entry = None if number is None else self._inputs.get(origin.source)
        if number is not None and entry is None:
            entry = self._inputs[origin.source] = (array("q"), [])
        if entry is not None:
            numbers = entry[0]
            if not numbers or number > numbers[-1]:  # the usual case: the next frame or line
                # (never in _other: what went there was at most the last number of its time)
                numbers.append(number)
                entry[1].append(msg)
                return msg
            found = self._in(entry, number)
            if found is not None:
                return found
        return self._other.setdefault(origin, msg)

    __setitem__ = setdefault  # tests build small maps by assignment; the first one is kept

    @staticmethod
    def _in(entry: tuple[array, list], number: int):
        numbers = entry[0]
        i = bisect_left(numbers, number)
        if i < len(numbers) and numbers[i] == number:
            return entry[1][i]
        return None

    def get(self, origin, default=None):
        number = self._number(origin)
        if number is not None:
            entry = self._inputs.get(origin.source)
            found = None if entry is None else self._in(entry, number)
            if found is not None:
                return found
        return self._other.get(origin, default)

    def __getitem__(self, origin):
        found = self.get(origin)
        if found is None:
            raise KeyError(origin)
        return found

    def __contains__(self, origin) -> bool:
        return self.get(origin) is not None

    def __len__(self) -> int:
        return sum(len(numbers) for numbers, _ in self._inputs.values()) + len(self._other)


@dataclass
class AnalysisIndex:
    """Dictionaries over messages, transactions and flows (see the module docstring)."""

    transaction_of: SeqMap = field(default_factory=SeqMap)
    """`seq` of a message → the transaction it belongs to (requests, responses, ACK of a non-2xx)."""
    flow_of: SeqMap = field(default_factory=SeqMap)
    """`seq` of a message → its flow."""
    flows_by_kind: dict[str, list[Flow]] = field(default_factory=dict)
    requests_to: dict[tuple, list[SipMessage]] = field(default_factory=dict)
    """(dst ip, dst port) → requests sent there, in trace order."""
    first_to_ip: dict[str, SipMessage] = field(default_factory=dict)
    """dst ip → the first message sent to it."""
    copies: dict[tuple, SipMessage | list[SipMessage]] = field(default_factory=dict)
    """(method, Call-ID, CSeq) → every copy of that request (retransmissions, proxied copies) in
    trace order: the request itself while it is the only one (most requests), else a list."""
    registered: dict[str, list[Flow]] = field(default_factory=dict)
    """user part of the AOR → registration flows of that user that ended registered."""
    marked_response: dict[tuple, SipMessage] = field(default_factory=dict)
    """(dst ip, dst port, top Via host) → first response whose top Via has received= or rport=."""
    nat_response: dict[tuple, SipMessage] = field(default_factory=dict)
    """(dst ip, dst port) → first response whose top Via received= is not its destination."""
    sent_from: dict[tuple, list[int]] = field(default_factory=dict)
    """(src ip, src port) → `seq` of every message sent from there, ascending."""
    flows_by_ip: dict[str, list[Flow]] = field(default_factory=dict)
    """ip → flows with a transaction sent from or to it, in flow order."""
    advertised: set[str] = field(default_factory=set)
    """Every address some host advertises (the keys of all `Host.advertised`)."""
    log_facts_by_kind: dict[str, list] = field(default_factory=dict)
    """PBX log facts by kind, in log order."""
    rtp_to: dict[tuple, int] = field(default_factory=dict)
    """(dst ip, dst port) → RTP packets sent there (two captures of one event: the larger count, not the sum)."""
    rtp_from: dict[str, int] = field(default_factory=dict)
    """src ip → RTP packets sent from it (same rule for two captures)."""
    message_at: OriginMap = field(default_factory=OriginMap)
    """Origin (file + frame or line) → the message seen there, in any input of the event."""
    flow_by_id: dict[str, Flow] = field(default_factory=dict)
    legs: dict[str, list[Flow]] = field(default_factory=dict)
    """id of a call's first leg → the legs a B2BUA started for it (legs.py)."""
    call_of: dict[str, str] = field(default_factory=dict)
    forks: list = field(default_factory=list)
    """Forked INVITEs (forks.Fork), in flow order."""
    fork_of: dict[int, object] = field(default_factory=dict)
    """id() of an INVITE transaction that is a fork's branch → its Fork."""
    """id of a call flow that is a B2BUA's outgoing leg → id of the call's first leg."""
    asterisk: bool = False
    """An Asterisk PBX is in the trace: a host names it in Server/User-Agent, or a log line comes from res_pjsip."""

    _bindings: dict = field(default_factory=dict, repr=False)

    def binding_evidence(self, flow: Flow, ip: str | None, port: int | None) -> tuple | None:
        """How the registrar of `flow` shows it bound the UA seen at (ip, port), first in flow order:
        ('received', 2xx, received) — a Contact of its 2xx to REGISTER carries received= naming ip
        (Kamailio fix_nated_register, OpenSIPS); ('rewritten', 2xx, None) — a Contact is ip:port
        itself; ('path', REGISTER, None) — the REGISTER carried Path (RFC 3327). None if nothing.
        Worked out once per (flow, address): a registration flow can hold thousands of refreshes."""
        key = (id(flow), ip, port)
        if key in self._bindings:
            return self._bindings[key]
        found = None
        needle = ip.encode() if ip else None
        for t in flow.transactions:
            final = t.final
            if t.method != "REGISTER" or final is None or not final.status or not 200 <= final.status < 300:
                continue  # a 2xx to INVITE carries the answerer's own Contact, not a stored binding
            # both kinds of Contact below name `ip` as it is written (ASCII), so in bytes that do
            # not hold it there is no Contact to parse (a phone's thousand refreshes, unrewritten)
            for c in final.contacts if needle is None or needle in final.raw else ():
                received = c.params.get("received")
                if received and ip and ip in received:
                    found = ("received", final, received)
                    break
                if c.uri is not None and c.uri.bare_host == ip and (c.uri.port or 5060) == port:
                    found = ("rewritten", final, None)
                    break
            if found is None and t.request.header("Path"):
                found = ("path", t.request, None)
            if found is not None:
                break
        self._bindings[key] = found
        return found

    def flow_of_transaction(self, t: Transaction) -> Flow | None:
        """The flow transaction `t` is in (the flow of its request)."""
        return self.flow_of.get(t.request.seq)

    def next_copy(self, msg: SipMessage, sender_ip: str | None) -> SipMessage | None:
        """The first later copy of request `msg` sent by `sender_ip` (a proxy passing it on)."""
        copies = self.copies.get((msg.method, msg.call_id, msg.cseq), ())
        for other in (copies,) if type(copies) is SipMessage else copies:
            if other.seq > msg.seq and other.src.ip == sender_ip:
                return other
        return None

    def sends_after(self, ip: str | None, port: int | None, seq: int) -> bool:
        """Did (ip, port) send any message after position `seq`?"""
        seqs = self.sent_from.get((ip, port))
        return bool(seqs) and bisect_right(seqs, seq) < len(seqs)


def _seqs(t: Transaction) -> list[int]:
    """`seq` of every message of `t`: its requests, its responses, the ACK of a non-2xx."""
    out = [msg.seq for msg in t.requests]
    out += [msg.seq for msg in t.responses]
    if t.ack is not None:
        out.append(t.ack.seq)
    return out


def build_index(analysis: Analysis) -> AnalysisIndex:
    idx = AnalysisIndex()
    idx.legs = link_legs(analysis.flows, analysis.hosts)
    idx.call_of = {leg.id: first for first, legs in idx.legs.items() for leg in legs}
    idx.forks = find_forks(analysis.flows)
    idx.fork_of = {id(t): fork for fork in idx.forks for t in fork.branches}
    transaction_of = idx.transaction_of
    for flow in analysis.flows:
        idx.flow_by_id[flow.id] = flow
        idx.flows_by_kind.setdefault(flow.kind, []).append(flow)
        ips: dict[str, None] = {}
        for t in flow.transactions:
            seqs = _seqs(t)
            transaction_of.fill(seqs, t)  # a message is in one transaction: any order gives the same map
            idx.flow_of.fill(seqs, flow)
            ips[t.client.ip] = ips[t.server.ip] = None
        for ip in ips:
            if ip is not None:
                idx.flows_by_ip.setdefault(ip, []).append(flow)
        if flow.kind == "registration" and flow.outcome == m.REGISTERED and flow.aor:
            user = flow.aor.split(":", 1)[-1].split("@", 1)[0]
            idx.registered.setdefault(user, []).append(flow)
    for t in analysis.transactions:
        if transaction_of.get(t.request.seq) is None:  # in no flow
            transaction_of.fill(_seqs(t), t)
    copies = idx.copies
    for msg in analysis.messages:
        idx.message_at.setdefault(msg.origin, msg)
        for origin in analysis.also_seen.get(msg.seq, ()):
            idx.message_at.setdefault(origin, msg)
        for origin in analysis.duplicates.get(msg.seq, ()):
            idx.message_at.setdefault(origin, msg)
        dst = msg.dst
        key = (dst.ip, dst.port)
        idx.sent_from.setdefault((msg.src.ip, msg.src.port), []).append(msg.seq)
        if dst.ip is not None and dst.ip not in idx.first_to_ip:
            idx.first_to_ip[dst.ip] = msg
        if msg.method is not None:
            idx.requests_to.setdefault(key, []).append(msg)
            copy_key = (msg.method, msg.call_id, msg.cseq)
            before = copies.get(copy_key)
            if before is None:
                copies[copy_key] = msg
            elif type(before) is list:
                before.append(msg)
            else:
                copies[copy_key] = [before, msg]
            continue
        facts = msg.facts
        received = facts.received
        if facts.via_host is None or not (received or facts.rport):
            continue
        idx.marked_response.setdefault((*key, facts.via_host), msg)
        if received and normalise_ip(received) != dst.ip:
            idx.nat_response.setdefault(key, msg)
    for host in analysis.hosts.values():
        idx.advertised.update(host.advertised)
        if any("asterisk" in ua.lower() for ua in host.user_agents):
            idx.asterisk = True
    idx.asterisk = idx.asterisk or any("res_pjsip" in (e.module or "") for e in analysis.log_events)
    for fact in analysis.log_facts:
        idx.log_facts_by_kind.setdefault(fact.kind, []).append(fact)
    for summary in analysis.inputs:
        sent: dict[str, int] = {}
        for (src, _sp, d, dp), n in summary.rtp_flows.items():
            idx.rtp_to[(d, dp)] = max(idx.rtp_to.get((d, dp), 0), n)
            sent[src] = sent.get(src, 0) + n
        for src, n in sent.items():
            idx.rtp_from[src] = max(idx.rtp_from.get(src, 0), n)
    return idx
