"""What the NAT rules share: the UA bindings worth judging, and the fix text per server."""

from __future__ import annotations

from .facts import advertised, flow_of, is_asterisk, judge_advertised
from .memo import shared


def originated_views(analysis) -> list[tuple]:
    """(NatView, flow) per (source, advertised contact/Via) of requests a UA originated, in trace order.

    Worked out once per analysis and shared by the rules that judge them (SD303, SD304): read only.
    """
    return shared(analysis, _originated_views)


def _originated_views(analysis) -> list[tuple]:
    out = []
    seen: set[tuple] = set()
    claims: dict[tuple, tuple | None] = {}
    """What `advertised` said of the requests with the same source, transport, Contact and Via:
    the claim's key, or None when there is none or it says nothing (a phone repeats the same
    REGISTER and OPTIONS thousands of times)."""
    for msg in analysis.messages:
        if not msg.is_request or msg.method in ("ACK", "CANCEL", "BYE"):
            continue
        facts = msg.facts
        src = msg.src
        same = (src.ip, src.port, msg.transport, facts.contact_host, facts.contact_port, facts.via_host,
                facts.via_port)  # all advertised() reads (the sent-by is made of the last two)
        if same in claims:
            key = claims[same]
            if key is None or key in seen or facts.via_count != 1:
                continue  # nothing to judge, or the view's (seen, contact, via) already judged
        claim = advertised(msg)
        claims[same] = None if claim is None or claim.says_nothing else claim.key
        if claim is None or claim.key in seen or msg.via_count != 1:
            continue  # the view's (seen, contact, via) already judged: a later request adds nothing
        flow = flow_of(analysis, msg)
        view = judge_advertised(analysis, claim, flow)
        if view is None:
            continue
        seen.add(claim.key)
        out.append((view, flow))
    return out


def phone_key(view) -> tuple:
    """One UA: the address its packets come from and the address it thinks it has.

    Behind one NAT each phone has its own private address; one phone keeps it while its Contact
    changes (e.g. to the public address it learned from rport) and across its requests.
    """
    msg = view.message
    if view.contact_ip_differs:
        own = view.contact.rsplit(":", 1)[0]
    elif view.via_host_differs:
        own = msg.facts.via_host
    else:
        own = msg.src.ip
    return msg.src.ip, own.strip("[]")


def phone_views(analysis):
    """(views, flow of the first) per UA, in trace order: every binding one phone advertised."""
    groups: dict[tuple, list] = {}
    flows: dict[tuple, object] = {}
    for view, flow in originated_views(analysis):
        key = phone_key(view)
        groups.setdefault(key, []).append(view)
        flows.setdefault(key, flow)
    for key, views in groups.items():
        yield views, flows[key]


def severity_for(view) -> str:
    if view.compensated is True:
        return "info"
    if view.compensated is False:
        return "error"
    return "warning"


def handling_sentence(view) -> str:
    if view.compensated is True:
        return f"The server handles it: {view.how}."
    if view.compensated is False:
        return f"The server does not handle it: {view.how}."
    return ("Nothing in the trace shows the server compensating (no rewritten Contact, no received= in the "
            "200 OK, no requests sent back to the observed address).")


def nat_fix(analysis, view) -> str:
    if is_asterisk(analysis):
        return ("On the Asterisk endpoint (pjsip.conf, type=endpoint):\nrewrite_contact=yes\nforce_rport=yes\n"
                "rtp_symmetric=yes\ndirect_media=no\n\nand on the transport local_net= / "
                "external_signaling_address= / external_media_address= when Asterisk itself is behind NAT. "
                "Keep the registration interval (or qualify_frequency) shorter than the NAT's UDP timeout.")
    return ("On the registrar/proxy: detect NAT and store the observed source as the contact "
            "(Kamailio: nat_uac_test + fix_nated_register / set_contact_alias; OpenSIPS: nat_traversal or "
            "fix_nated_register), add rport/received (RFC 3581), keep NAT pings. On the phone: enable "
            "rport and keep-alives (RFC 5626 outbound / STUN), and disable the router's SIP ALG.")
