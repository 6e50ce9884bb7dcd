"""Questions several rules ask of the flow model, answered once, in one place.

* Is the server an Asterisk PJSIP PBX (so the fix can name pjsip.conf options)?
* Which address did a registering UA really come from, and what does it advertise?
* Did the server compensate for NAT (rewrite_contact / received / Path / requests sent
  back to the observed address), and what is the evidence?
* Which PBX log lines belong to a flow (same address, close in time)?
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from ..flow.logfacts import LogFact
from ..flow.model import Analysis, Flow, Host
from ..sip.grammar import is_ip_literal, normalise_ip
from ..sip.message import SipMessage
from ..sources.frame import Origin

LOG_MATCH_WINDOW = 5.0
"""Seconds between a log line and a message for them to be about the same event."""


def is_asterisk(analysis: Analysis, host: Host | None = None) -> bool:
    hosts = [host] if host is not None else list(analysis.hosts.values())
    for h in hosts:
        if any("asterisk" in ua.lower() for ua in h.user_agents):
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
    """Seen from its own private address (LAN-side capture) while talking to a public server."""
    compensated: bool | None = None
    """True: the server handles it (evidence below); False: shown not to; None: unknown."""
    how: str = ""
    evidence: list[Origin] = field(default_factory=list)


def _hostport(host: str | None, port: int | None, default: int = 5060) -> str:
    if host is None:
        return "?"
    h = f"[{host}]" if ":" in host else host
    return f"{h}:{port or default}"


def nat_view(analysis: Analysis, msg: SipMessage, flow: Flow | None = None) -> NatView | None:
    """Compare an originated request's Via/Contact with its real source; None if they agree.

    WebSocket clients are skipped: RFC 7118 has them put '.invalid' hosts in Via/Contact.
    """
    if msg.src.ip is None or not msg.is_request or len(msg.vias) > 1 or msg.transport in ("WS", "WSS"):
        return None
    src_ip, src_port = msg.src.ip, msg.src.port
    contact = msg.contacts[0].uri if msg.contacts and msg.contacts[0].uri is not None else None
    via = msg.top_via
    c_ip = normalise_ip(contact.bare_host) if contact is not None and contact.host_is_ip else None
    c_port = (contact.port or 5060) if contact is not None else None
    contact_ip_differs = c_ip is not None and c_ip != src_ip
    contact_port_differs = c_ip is not None and msg.transport == "UDP" and c_port != src_port
    via_differs = False
    if via is not None and is_ip_literal(via.host):
        v_ip = normalise_ip(via.host)
        via_differs = v_ip != src_ip or (msg.transport == "UDP" and (via.port or 5060) != src_port)
    private_to_public = (c_ip is not None and c_ip == src_ip and _private(src_ip) and msg.dst.ip is not None
                         and _global(msg.dst.ip))
    if not (contact_ip_differs or contact_port_differs or via_differs or private_to_public):
        return None
    view = NatView(
        seen=_hostport(src_ip, src_port),
        contact=_hostport(c_ip, c_port) if c_ip else None,
        via=via.sent_by if via is not None else None,
        contact_ip_differs=contact_ip_differs,
        contact_port_differs=contact_port_differs,
        via_differs=via_differs,
        message=msg,
        private_to_public=private_to_public,
    )
    _compensation(analysis, view, flow)
    return view


def _private(ip: str) -> bool:
    try:
        return ipaddress.ip_address(ip).is_private
    except ValueError:
        return False


def _global(ip: str) -> bool:
    try:
        return ipaddress.ip_address(ip).is_global
    except ValueError:
        return False


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
        for t in flow.transactions:
            final = t.final
            if final is None or not final.status or not 200 <= final.status < 300:
                continue
            for c in final.contacts:
                received = c.params.get("received")
                if received and seen_ip in received:
                    view.compensated = True
                    view.how = f"the registrar recorded the NAT binding (200 OK Contact received=\"{received}\")"
                    view.evidence = [final.origin]
                    return
                if c.uri is not None and c.uri.bare_host == seen_ip and (c.uri.port or 5060) == seen_port:
                    view.compensated = True
                    view.how = "the registrar rewrote the Contact to the observed address (200 OK)"
                    view.evidence = [final.origin]
                    return
            if t.request.header("Path"):
                view.compensated = True
                view.how = "an edge proxy added a Path header (RFC 3327), so requests return through it"
                view.evidence = [t.request.origin]
                return
    # 3. Requests sent back to the UA later go to the observed address and are answered.
    for other in analysis.messages:
        if (other.is_request and other.dst.ip == seen_ip and other.dst.port == seen_port
                and other.seq > msg.seq and other.method in ("INVITE", "OPTIONS", "NOTIFY", "MESSAGE")):
            view.compensated = True
            view.how = (f"requests for this UA are sent to the observed address {view.seen} "
                        f"({other.method}, {other.origin})")
            view.evidence = [other.origin]
            return


def facts_near(analysis: Analysis, kind: str, msg: SipMessage) -> list[LogFact]:
    """PBX log facts of `kind` about the same remote address as `msg`, close to it in time."""
    out = []
    remote = {str(msg.src), str(msg.dst)}
    for fact in analysis.log_facts:
        if fact.kind != kind:
            continue
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
    for flow in analysis.flows:
        for t in flow.transactions:
            if msg in t.requests or msg in t.responses or msg is t.ack:
                return flow
    return None


def user_of(msg: SipMessage) -> str | None:
    """The user the request is about: To user for REGISTER, else Request-URI user."""
    if msg.cseq_method == "REGISTER":
        return msg.to.uri.user if msg.to and msg.to.uri else None
    return msg.ruri.user if msg.ruri else None
