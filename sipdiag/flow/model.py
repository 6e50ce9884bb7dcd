"""What happened, as facts: transactions, flows (registrations, calls, exchanges), hosts.

These objects are built by the other modules of `flow/` and read by `rules/` and `report/`.
They hold no judgement: a flow's `outcome` is a fact from the vocabulary below, not a
severity. Messages are referenced, never copied.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..sip.message import Anomaly, SipMessage
from ..sources.frame import Endpoint, InputSummary, LogEvent, Origin

if TYPE_CHECKING:
    from .index import AnalysisIndex

# Outcome vocabulary: what happened to a flow, never why (JSON uses exactly these strings).
# Beside it the flow keeps the facts a diagnosis needs (`final_status`, `credentials`); only
# rules/ turn "rejected, 404, credentials sent" into "the registrar has no AOR for it".
REGISTERED = "registered"
"""A REGISTER adding a binding was answered 2xx."""
UNREGISTERED = "unregistered"
"""Only un-REGISTERs (expires=0) were answered 2xx."""
ANSWERED = "answered"
"""The flow's request was answered 2xx (a call connected, an OPTIONS answered)."""
REJECTED = "rejected"
"""The decisive final response was >= 300 (a challenge answered with credentials and issued again counts)."""
CHALLENGE_UNANSWERED = "challenge-unanswered"
"""A 401/407 challenge, and no request with credentials followed."""
CANCELLED = "cancelled"
"""The caller sent CANCEL before any final response (the INVITE ended 487 or not at all)."""
NO_RESPONSE = "no-response"
"""No final response, and the request was retransmitted or timer B (32 s) ran out in the trace."""
IN_PROGRESS = "in-progress"
"""No final response yet when the trace ends."""

ENDED_WELL = frozenset({REGISTERED, UNREGISTERED, ANSWERED})
"""Outcomes of a flow that did what it was for."""
NOT_FAILED = frozenset({CANCELLED, IN_PROGRESS})
"""Outcomes that are neither success nor failure."""


@dataclass(eq=False, slots=True)
class Transaction:
    """One SIP transaction (RFC 3261 §17): a request, its retransmissions and responses."""

    id: str
    method: str
    request: SipMessage
    """The first copy of the request seen."""
    requests: list[SipMessage] = field(default_factory=list)
    """Every copy of the request, the first included (retransmissions after it)."""
    responses: list[SipMessage] = field(default_factory=list)
    """Every response, retransmissions included, in order."""
    ack: SipMessage | None = None
    """The ACK of a non-2xx final response (part of the INVITE transaction)."""
    state: str = "calling"
    """Last state reached in the RFC 3261 §17 client state machine (see transactions.py)."""

    @property
    def client(self) -> Endpoint:
        return self.request.src

    @property
    def server(self) -> Endpoint:
        return self.request.dst

    _final: tuple = field(default=(0, None), init=False, repr=False, compare=False)
    """(len(responses) when `final` was last looked for, what it found): responses only grow."""

    @property
    def final(self) -> SipMessage | None:
        """The first final (>= 200) response."""
        seen, found = self._final
        if found is not None or seen == len(self.responses):
            return found
        found = next((r for r in self.responses[seen:] if r.status and r.status >= 200), None)
        self._final = (len(self.responses), found)
        return found

    def add_response(self, msg: SipMessage) -> None:
        """Append a response, keeping `final`'s answer current (no rescan when it is asked)."""
        self.responses.append(msg)
        if self._final[1] is None and self._final[0] == len(self.responses) - 1:
            self._final = (len(self.responses), msg if msg.status and msg.status >= 200 else None)

    @property
    def provisional(self) -> list[SipMessage]:
        return [r for r in self.responses if r.status and r.status < 200]

    @property
    def status(self) -> int | None:
        f = self.final
        return f.status if f else None

    @property
    def retransmitted(self) -> list[SipMessage]:
        """The copies that are retransmissions: a request sent again by the same sender to the same
        destination, a response (same status and To tag) sent again on the same path. A copy on
        another path (the message captured on both sides of a NAT, or relayed) is not one."""
        out = []
        first = self.request
        for r in self.requests[1:]:
            if r.src == first.src and r.dst == first.dst:
                out.append(r)
        seen: set[tuple] = set()
        for r in self.responses:
            k = (r.status, r.facts.to_tag, r.src, r.dst)
            if k in seen:
                out.append(r)
            seen.add(k)
        return out

    @property
    def request_retransmissions(self) -> int:
        first = self.request
        return sum(1 for r in self.requests[1:] if r.src == first.src and r.dst == first.dst)

    @property
    def response_retransmissions(self) -> int:
        return len(self.retransmitted) - self.request_retransmissions

    @property
    def has_credentials(self) -> bool:
        """The request carries Authorization or Proxy-Authorization (`request.authorization` is
        not None), found without parsing the digest parameters (one of the key facts)."""
        return self.request.facts.credentials

    @property
    def is_challenge(self) -> bool:
        return self.status in (401, 407)

    @property
    def is_initial_invite(self) -> bool:
        """An INVITE outside a dialog (its To has no tag yet): a call attempt, not a re-INVITE."""
        return self.method == "INVITE" and not self.request.facts.to_tag

    @property
    def messages(self) -> list[SipMessage]:
        out = list(self.requests) + list(self.responses)
        if self.ack is not None:
            out.append(self.ack)
        return sorted(out, key=_order)

    @property
    def time(self) -> float | None:
        return self.request.time


def _order(m: SipMessage):
    return m.seq


@dataclass(eq=False)
class Flow:
    """A unit a support engineer thinks in: a registration, a call, an OPTIONS exchange."""

    id: str
    kind: str
    """'registration', 'call', 'options', 'subscription', 'notify', 'message', 'publish', 'other'."""
    call_id: str | None
    aor: str | None
    """Address-of-record (registrations) or the called/target URI (calls, other requests)."""
    transactions: list[Transaction] = field(default_factory=list)
    outcome: str = IN_PROGRESS
    outcome_detail: str = ""
    """One line that explains the outcome, e.g. '404 Not Found to authenticated REGISTER'."""
    outcome_message: SipMessage | None = None
    """The message that decided the outcome (e.g. the final response)."""
    final_status: int | None = None
    """Status of the decisive final response (None without one)."""
    credentials: bool = False
    """The decisive request carried credentials (Authorization / Proxy-Authorization)."""
    call_ids: list[str] = field(default_factory=list)
    """All Call-IDs in the flow (registrations may change Call-ID across refreshes)."""
    orphan_responses: list[SipMessage] = field(default_factory=list)
    """Final responses of this flow whose request is not in the trace (lost in a capture gap)."""

    def _members(self):
        """Every message of the flow once (its transactions' and its orphan responses), unordered."""
        seen: dict[int, SipMessage] = {}
        for t in self.transactions:
            for m in t.requests:
                seen[id(m)] = m
            for m in t.responses:
                seen[id(m)] = m
            if t.ack is not None:
                seen[id(t.ack)] = t.ack
        for m in self.orphan_responses:
            seen[id(m)] = m
        return seen.values()

    @property
    def messages(self) -> list[SipMessage]:
        return sorted(self._members(), key=_order)

    @property
    def message_count(self) -> int:
        """len(self.messages), without sorting them."""
        return len(self._members())

    @property
    def time_span(self) -> tuple[float, float] | None:
        """(first, last) time of its messages, None when none has a time."""
        times = [m.time for m in self._members() if m.time is not None]
        return (min(times), max(times)) if times else None

    @property
    def first_time(self) -> float | None:
        times = [t.request.time for t in self.transactions if t.request.time is not None]
        return min(times) if times else None

    @property
    def evidence(self) -> list[Origin]:
        """The message that decided the outcome (`Analysis.origins_of` adds its other inputs)."""
        if self.outcome_message is not None:
            return [self.outcome_message.origin]
        return [self.transactions[0].request.origin] if self.transactions else []


@dataclass(eq=False)
class Host:
    """One IP address in the trace and what it did."""

    address: str
    role: str = "endpoint"
    """'pbx', 'registrar', 'proxy/sbc', 'phone', 'trunk', 'endpoint', or 'pbx (this log)'."""
    role_reason: str = ""
    ports: set[int] = field(default_factory=set)
    user_agents: list[str] = field(default_factory=list)
    """User-Agent and Server strings it sent, in order of first appearance."""
    advertised: dict[str, Origin] = field(default_factory=dict)
    """Addresses it puts in Via/Contact/SDP that differ from where it is seen: 'host:port' → first origin."""
    behind_nat: bool = False
    is_logging_host: bool = False
    sent: int = 0
    received: int = 0

    @property
    def label(self) -> str:
        ua = self.user_agents[0] if self.user_agents else ""
        return f"{ua} ({self.address})" if ua else self.address


@dataclass(eq=False)
class Analysis:
    """Everything the flow layer knows about one set of inputs."""

    inputs: list[InputSummary]
    messages: list[SipMessage]
    anomalies: list[Anomaly]
    log_events: list[LogEvent]
    transactions: list[Transaction]
    flows: list[Flow]
    hosts: dict[str, Host]
    log_facts: list = field(default_factory=list)
    """Structured facts recognised in PBX log lines (see logfacts.py)."""
    orphan_responses: list[SipMessage] = field(default_factory=list)
    """Responses whose request is not in the trace (one-sided or late-started capture)."""
    config: object | None = None
    """The PBX configuration given with the trace (`config.PbxConfig`), if any."""
    forwarded: set[int] = field(default_factory=set)
    """`seq` of the messages a proxy passed on: copies of a request/response its sender had
    received before (their Contact/Via/SDP were written by someone else)."""
    also_seen: dict[int, list[Origin]] = field(default_factory=dict)
    """`seq` of a message → where the other inputs of the event have the same message (the log
    line of a captured packet)."""
    duplicates: dict[int, list[Origin]] = field(default_factory=dict)
    """`seq` of a message → the frames where the capture has the same packet again within 2 ms
    (captured twice, or sent twice at once: not a retransmission; see flow/__init__.py)."""
    index: "AnalysisIndex | None" = None
    """Lookups by message, transaction, flow kind, address and user (flow/index.py), built once."""

    def origins_of(self, msg: SipMessage) -> list[Origin]:
        """Everywhere `msg` was seen: its own origin first, then the other inputs'."""
        return [msg.origin] + self.also_seen.get(msg.seq, [])

    def flow(self, flow_id: str) -> Flow | None:
        return self.index.flow_by_id.get(flow_id)

    def flows_of(self, kind: str) -> list[Flow]:
        return self.index.flows_by_kind.get(kind, [])

    @property
    def time_span(self) -> tuple[float, float] | None:
        times = [m.time for m in self.messages if m.time is not None]
        return (min(times), max(times)) if times else None
