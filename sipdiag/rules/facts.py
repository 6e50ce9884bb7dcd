"""Questions several rules ask of the flow model, answered once, in one place.

* Is the server an Asterisk PJSIP PBX (so the fix can name pjsip.conf options)?
* Which address did a registering UA really come from, and what does it advertise?
* Did the server compensate for NAT (rewrite_contact / received / Path / requests sent
  back to the observed address), and what is the evidence?
* Which PBX log lines belong to a flow (same address, close in time)?
* Did a B2BUA generate a call's final answer itself, its own legs unanswered?
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..addresses import is_global_ip, is_private_ip
from ..flow import model as m
from ..flow.logfacts import LogFact
from ..flow.model import Analysis, Flow, Host
from ..sip.grammar import is_ip_literal, normalise_ip
from ..sip.message import SipMessage
from ..sources.frame import Origin

LOG_MATCH_WINDOW = 5.0
"""Seconds between a log line and a message for them to be about the same event."""


def is_asterisk(analysis: Analysis, host: Host | None = None) -> bool:
    if host is None:
        return analysis.index.asterisk
    if any("asterisk" in ua.lower() for ua in host.user_agents):
        return True
    return any("res_pjsip" in (e.module or "") for e in analysis.log_events)


def host_of(analysis: Analysis, ip: str | None) -> Host | None:
    return analysis.hosts.get(ip) if ip else None


@dataclass
class NatView:
    """What a UA advertises vs. where its packets come from, and how the server coped."""

    seen: str
    """ip:port the packets come from."""
    contact: str | None
    via: str | None
    contact_ip_differs: bool
    contact_port_differs: bool
    via_differs: bool
    message: SipMessage
    private_to_public: bool = False
    """Seen from the address it advertises (LAN-side capture) while a NAT sits between it and
    the server: the server's Via received= says so, or it talks from a private to a public address."""
    compensated: bool | None = None
    """True: the server handles it (evidence below); False: shown not to; None: unknown."""
    how: str = ""
    evidence: list[Origin] = field(default_factory=list)
    public: str | None = None
    """ip:port the server saw the UA as (its response's top Via received=/rport=, RFC 3581)."""
    public_response: SipMessage | None = None
    """The response whose Via says `public`."""
    rport_honoured: bool = False
    """The server filled in rport= (RFC 3581 §4): it answers to the port the packets came from."""

    @property
    def via_host_differs(self) -> bool:
        host = self.message.facts.via_host
        return self.via_differs and host is not None and normalise_ip(host) != self.message.src.ip

    @property
    def nat_proven(self) -> bool:
        """The server saw another address than the packets' source here: a NAT in between."""
        return self.public is not None and self.public.rsplit(":", 1)[0].strip("[]") != self.message.src.ip


def _hostport(host: str | None, port: int | None, default: int = 5060) -> str:
    if host is None:
        return "?"
    h = f"[{host}]" if ":" in host else host
    return f"{h}:{port or default}"


@dataclass(slots=True)
class Advertised:
    """What an originated request says about its sender's address, read from the message alone."""

    message: SipMessage
    seen: str
    """ip:port the packet comes from."""
    contact: str | None
    """ip:port of the first Contact when its host is an IP address."""
    via: str | None
    """The top Via's sent-by as written."""
    contact_ip: str | None
    contact_port: int | None
    """Its port (5060 when none is written), when `contact_ip` is set."""
    contact_ip_differs: bool
    contact_port_differs: bool
    via_differs: bool

    @property
    def key(self) -> tuple:
        """(seen, contact, via): one UA binding, whatever the number of requests advertising it."""
        return self.seen, self.contact, self.via

    @property
    def says_nothing(self) -> bool:
        """Nothing differs from the source, and a Contact other than the source cannot be the LAN
        side: `judge_advertised` has nothing to judge, whatever the other messages say."""
        return not (self.contact_ip_differs or self.contact_port_differs or self.via_differs) and (
            self.contact_ip is None or self.contact_ip != self.message.src.ip)


def nat_view(analysis: Analysis, msg: SipMessage, flow: Flow | None = None) -> NatView | None:
    """Compare an originated request's Via/Contact with its real source; None if they agree.

    WebSocket clients are skipped: RFC 7118 has them put '.invalid' hosts in Via/Contact. So is a
    host advertising a global address while sending from a non-global one: it knows its public
    address (a server behind 1:1 NAT with advertised_address / external_signaling_address, a
    phone using STUN), which is the correct setup, not a leaked private address.

    On a LAN-side capture the Contact agrees with the source; the server's responses then tell
    the public side (Via received=/rport=, RFC 3581), and the Contact port is compared with rport.
    """
    if msg.via_count > 1:
        return None  # not originated here: a proxy passed it on
    claim = advertised(msg)
    return None if claim is None else judge_advertised(analysis, claim, flow)


def advertised(msg: SipMessage) -> Advertised | None:
    """The message-only half of `nat_view` (whose caller checks the request has one Via): None
    when it is not a request judged there."""
    src_ip, src_port = msg.src.ip, msg.src.port
    transport = msg.transport
    if src_ip is None or not msg.is_request or transport in ("WS", "WSS"):
        return None
    facts = msg.facts  # the first Contact's host and port, the top Via (sip/keyfacts.py)
    contact_host, via_host = facts.contact_host, facts.via_host
    c_ip = normalise_ip(contact_host.strip("[]")) if is_ip_literal(contact_host) else None
    c_port = (facts.contact_port or 5060) if c_ip is not None else None
    v_ip = normalise_ip(via_host) if is_ip_literal(via_host) else None
    if not is_global_ip(src_ip) and (_other_global(c_ip, src_ip) or _other_global(v_ip, src_ip)):
        return None
    udp = transport == "UDP"
    return Advertised(
        message=msg,
        seen=_hostport(src_ip, src_port),
        contact=_hostport(c_ip, c_port) if c_ip else None,
        via=facts.sent_by,
        contact_ip=c_ip,
        contact_port=c_port,
        contact_ip_differs=c_ip is not None and c_ip != src_ip,
        contact_port_differs=c_ip is not None and udp and c_port != src_port,
        via_differs=v_ip is not None and (v_ip != src_ip or (udp and (facts.via_port or 5060) != src_port)),
    )


def _other_global(ip: str | None, src_ip: str) -> bool:
    return ip is not None and ip != src_ip and is_global_ip(ip)


def judge_advertised(analysis: Analysis, claim: Advertised, flow: Flow | None = None) -> NatView | None:
    """The half of `nat_view` that asks the other messages: the server's responses and handling."""
    msg = claim.message
    src_ip, src_port = msg.src.ip, msg.src.port
    c_ip = claim.contact_ip
    contact_port_differs = claim.contact_port_differs
    if claim.says_nothing:
        return None
    saw = server_saw(analysis, msg)
    public = public_response = None
    rport_honoured = False
    if saw is not None:
        received, rport, public_response = saw
        public = _hostport(received or src_ip, rport or src_port)
        rport_honoured = rport is not None
    behind_nat = saw is not None and saw[0] is not None and saw[0] != src_ip
    private_to_public = c_ip is not None and c_ip == src_ip and (
        behind_nat or (is_private_ip(src_ip) and msg.dst.ip is not None and is_global_ip(msg.dst.ip)))
    if private_to_public and behind_nat and msg.transport == "UDP" and rport_honoured:
        contact_port_differs = claim.contact_port != saw[1]
    if not (claim.contact_ip_differs or contact_port_differs or claim.via_differs or private_to_public):
        return None
    view = NatView(
        seen=claim.seen,
        contact=claim.contact,
        via=claim.via,
        contact_ip_differs=claim.contact_ip_differs,
        contact_port_differs=contact_port_differs,
        via_differs=claim.via_differs,
        message=msg,
        private_to_public=private_to_public,
        public=public,
        public_response=public_response,
        rport_honoured=rport_honoured,
    )
    _compensation(analysis, view, flow)
    return view


def server_saw(analysis: Analysis, msg: SipMessage) -> tuple[str | None, int | None, SipMessage] | None:
    """(received, rport, response) from the top Via of a response to `msg`'s sender, or None.

    RFC 3581: a server adds received= (the source IP it saw) and fills rport= (the source port)
    in the top Via of its responses. The response to `msg` itself is preferred; otherwise any
    response sent back to the same address and port for the same Via sent-by host.
    """
    idx = analysis.index
    t = idx.transaction_of.get(msg.seq)
    if t is not None and any(m is msg for m in t.requests):
        for r in t.responses:
            v = r.facts
            if v.via_host is not None and (v.received or v.rport):
                return (normalise_ip(v.received) if v.received else None), v.rport, r
    via_host = msg.facts.via_host
    if via_host is None:
        return None
    r = idx.marked_response.get((msg.src.ip, msg.src.port, via_host))
    if r is not None:
        v = r.facts
        return (normalise_ip(v.received) if v.received else None), v.rport, r
    return None


def nat_seen_as(analysis: Analysis, endpoint) -> tuple[str, SipMessage] | None:
    """('ip:port' the servers see `endpoint` as, response saying so) when a NAT is in between.

    From the first response sent to `endpoint` whose top Via received= names another address
    (RFC 3581): on a LAN-side capture, the NAT's public side.
    """
    r = analysis.index.nat_response.get((endpoint.ip, endpoint.port))
    if r is None:
        return None
    v = r.facts
    return _hostport(normalise_ip(v.received), v.rport or endpoint.port), r


def _compensation(analysis: Analysis, view: NatView, flow: Flow | None) -> None:
    msg = view.message
    seen_ip, seen_port = msg.src.ip, msg.src.port
    # 1. PBX log: Asterisk stored the observed address (rewrite_contact=yes) — x-ast-orig-host.
    for fact in facts_near(analysis, "contact-added", msg):
        contact = fact.fields.get("contact", "")
        if "x-ast-orig-host" in contact or f"@{seen_ip}:{seen_port}" in contact:
            view.compensated = True
            view.how = (f"the PBX stored the observed address instead of the advertised one "
                        f"(log: Added contact '{contact}')")
            view.evidence = [fact.origin]
            return
        if view.contact and view.contact in contact:
            view.compensated = False
            view.how = f"the PBX stored the advertised, unreachable contact (log: Added contact '{contact}')"
            view.evidence = [fact.origin]
    if view.compensated is False:
        return
    # 2. Registrar's 200 OK: Contact carries received= (Kamailio fix_nated_register, OpenSIPS)
    #    or the Contact was rewritten to the observed address; Path in the request (RFC 3327).
    if flow is not None:
        found = analysis.index.binding_evidence(flow, seen_ip, seen_port)
        if found is not None:
            kind, message, received = found
            view.compensated = True
            view.how = {
                "received": f"the registrar recorded the NAT binding (200 OK Contact received=\"{received}\")",
                "rewritten": "the registrar rewrote the Contact to the observed address (200 OK)",
                "path": "an edge proxy added a Path header (RFC 3327), so requests return through it",
            }[kind]
            view.evidence = [message.origin]
            return
    # 3. Requests sent back to the UA later go to the observed address and are answered.
    for other in analysis.index.requests_to.get((seen_ip, seen_port), []):
        if other.seq > msg.seq and other.method in ("INVITE", "OPTIONS", "NOTIFY", "MESSAGE"):
            view.compensated = True
            view.how = (f"requests for this UA are sent to the observed address {view.seen} "
                        f"({other.method}, {other.origin})")
            view.evidence = [other.origin]
            return


def facts_near(analysis: Analysis, kind: str, msg: SipMessage) -> list[LogFact]:
    """PBX log facts of `kind` about the same remote address as `msg`, close to it in time."""
    out = []
    remote = {str(msg.src), str(msg.dst)}
    for fact in analysis.index.log_facts_by_kind.get(kind, ()):
        address = fact.fields.get("address")
        contact = fact.fields.get("contact", "")
        if address and address not in remote:
            continue
        t_fact, t_msg = fact.event.time, msg.time
        if t_fact is not None and t_msg is not None and abs(t_fact - t_msg) > LOG_MATCH_WINDOW:
            continue
        if not address and kind.startswith("contact") and msg.src.ip and msg.src.ip not in contact and \
                not (msg.contacts and msg.contacts[0].uri and (msg.contacts[0].uri.user or "") in contact):
            continue
        out.append(fact)
    return out


def flow_of(analysis: Analysis, msg: SipMessage) -> Flow | None:
    return analysis.index.flow_of.get(msg.seq)


UNANSWERED = (m.NO_RESPONSE, m.IN_PROGRESS, m.CANCELLED)
"""Outcomes of a B2BUA's outgoing leg that got no final answer from the far end."""


def legs_of(analysis: Analysis, flow: Flow) -> list[Flow]:
    """The calls a B2BUA placed for `flow` (flow/legs.py), in order; [] when none is seen."""
    return analysis.index.legs.get(flow.id, [])


def generated_by_b2bua(analysis: Analysis, flow: Flow) -> bool:
    """The B2BUA answered this call itself: it placed legs for it and none of them was answered, so
    a final response to the caller (a 486, a 480) was the B2BUA's, not the callee's."""
    legs = legs_of(analysis, flow)
    return bool(legs) and all(leg.outcome in UNANSWERED for leg in legs)


def user_of(msg: SipMessage) -> str | None:
    """The user the request is about: To user for REGISTER, else Request-URI user."""
    if msg.cseq_method == "REGISTER":
        return msg.to.uri.user if msg.to and msg.to.uri else None
    return msg.ruri.user if msg.ruri else None
