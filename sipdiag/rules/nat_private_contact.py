"""SD304 nat-private-contact: Contact/Via host differs from the address the packets come from.

One finding per UA (its source address and the address it believes it has, see
`nat.phone_key`), whatever the number of requests and bindings it advertised. Two shapes:

* capture on the server's side of the NAT: the Contact or Via host differs from the source;
  severity follows the server's handling (`facts._compensation`);
* capture on the LAN side: the Contact agrees with the (private) source, and the NAT shows in
  the server's responses (top Via received=/rport=, RFC 3581) or in a private source talking to
  a public server. Info when the server honours rport and the phone's calls (or, with no call,
  its registration) complete; a warning otherwise.
"""

from __future__ import annotations

from ..flow import model as m
from .base import ConfigEdit, Rule, register
from ..addresses import is_global_ip
from .nat import handling_sentence, nat_fix, phone_views, severity_for


@register
class NatPrivateContact(Rule):
    code = "SD304"
    slug = "nat-private-contact"
    severity = "warning"
    name = "UA advertises an address (Contact/Via) other than the one it is seen from: NAT"
    role = "cause"
    short = "private Contact behind NAT"
    pbx_checks = ("pjsip show endpoint {endpoint}", "pjsip show contacts", "pjsip show transports")
    fix_marker = "rewrite_contact"
    verify = (
        ("pjsip show contacts", "the phone's contact with its public address and port (the one its packets "
                                "come from), not the private one it advertises, and Status Avail"),
        ("pjsip show endpoint {endpoint}", "rewrite_contact: true, force_rport: true, rtp_symmetric: true"),
    )
    next_capture = ("requests from the PBX to the phone (OPTIONS, INVITE) go to its public address and are "
                    "answered; RTP flows both ways")

    def edits(self, analysis, finding):
        note = "the phone is behind NAT"
        return [ConfigEdit("endpoint", "", "rewrite_contact", "yes", note),
                ConfigEdit("endpoint", "", "force_rport", "yes", note),
                ConfigEdit("endpoint", "", "rtp_symmetric", "yes", note),
                ConfigEdit("endpoint", "", "direct_media", "no", note)]
    explains = {
        "contact-port-mismatch": "same-address",
        "no-response": "same-address",
        "call-failed": "same-address",
        "retransmissions": "same-address",
    }

    def check(self, analysis):
        for views, flow in phone_views(analysis):
            server_side = [v for v in views if not v.private_to_public and (v.contact_ip_differs or v.via_host_differs)]
            lan_side = [v for v in views if v.private_to_public]
            if server_side:
                yield self._server_side(analysis, server_side, flow)
            elif lan_side:
                yield self._lan_side(analysis, lan_side, flow)

    def _server_side(self, analysis, views, flow):
        view = next((v for v in views if v.contact_ip_differs), views[0])
        handled = next((v for v in [view] + views if v.compensated is not None), view)
        msg = view.message
        observations = []
        shown: set[tuple] = set()
        for v in views:
            if (v.contact, v.via) in shown:
                continue
            shown.add((v.contact, v.via))
            observations.append((f"{v.message.method} from {v.seen} advertises {_advertised(v)}.", [v.message.origin]))
        response = view.public_response
        if response is not None:
            via = response.top_via
            observations.append((f"The server's response Via carries received={via.received} rport={via.rport} "
                                 f"(RFC 3581): it saw the real source.", [response.origin]))
        if handled.evidence:
            observations.append((handled.how[0].upper() + handled.how[1:] + ".", handled.evidence))
        ua = analysis.hosts.get(msg.src.ip)
        private = _private_part(view)
        return self.finding(
            f"{ua.label if ua else view.seen} advertises {_differing(view)} but is seen from {view.seen} (NAT)",
            f"The device puts its private/LAN address into {private} but its packets arrive from {view.seen}, "
            f"the NAT's public side. Requests sent to the advertised Contact (calls, OPTIONS, NOTIFY) cannot reach "
            f"it unless the server uses the observed address instead"
            + (", and responses sent to the Via address need rport (RFC 3581)" if view.via_host_differs else "")
            + ". " + handling_sentence(handled),
            nat_fix(analysis, handled),
            [msg.origin] + ([response.origin] if response is not None else []) + handled.evidence,
            severity=severity_for(handled), flow=flow.id if flow else None, observations=observations,
            details={"seen": view.seen, "contact": view.contact, "via": view.via,
                     "compensated": handled.compensated, "requests": len(views)},
        )

    def _lan_side(self, analysis, views, flow):
        view = next((v for v in views if v.nat_proven), views[0])
        msg = view.message
        ua = analysis.hosts.get(msg.src.ip)
        servers = list(dict.fromkeys(str(v.message.dst) for v in views))
        public_servers = all(is_global_ip(v.message.dst.ip or "") for v in views)
        where = (("the public server " if public_servers else "the server ") + servers[0] if len(servers) == 1
                 else ("the public servers " if public_servers else "the servers ") + ", ".join(servers))
        response = view.public_response if view.nat_proven else None
        via = response.top_via if response is not None else None
        completed, how_far = _completed(analysis, msg.src.ip)
        observations = [(f"{msg.method} from {view.seen} to {msg.dst} advertises Contact {view.contact}.",
                         [msg.origin])]
        if response is not None:
            seen_as = (f"The server's response Via says received={via.received}"
                       + (f";rport={via.rport}" if via.rport else "") + f" (RFC 3581): it sees the phone as "
                       f"{view.public}.")
            observations.append((seen_as, [response.origin]))
            nat_text = (f"Between it and the server sits a NAT: the responses carry Via "
                        f"received={via.received}" + (f";rport={via.rport}" if via.rport else "")
                        + f" (RFC 3581), so the server sees it as {view.public}, not {view.seen}. ")
        else:
            nat_text = ("The responses it gets carry no received= that would show a NAT; if one sits in between, "
                        "the server sees another address and port. ")
        if view.rport_honoured and response is not None:
            rport_text = (f"The server honours rport: its responses go back to {view.public}, through the NAT "
                          f"binding. Requests to the phone (incoming calls, OPTIONS, NOTIFY) still need the server to "
                          f"use that address instead of the Contact. ")
        elif msg.top_via is not None and msg.top_via.has_rport:
            rport_text = ("Its Via asks for rport (RFC 3581), so responses can find their way back, but requests to "
                          "it still depend on the server. ")
        else:
            rport_text = "Its Via has no rport (RFC 3581) either, so even responses may go to the wrong port. "
        observations.append((how_far[0].upper() + how_far[1:] + ".", []))
        handled = view.compensated is True or (view.nat_proven and view.rport_honoured and completed)
        if view.compensated is True:
            observations.append((view.how[0].upper() + view.how[1:] + ".", view.evidence))
        cause = (f"This capture is on the LAN side: the device at private address {msg.src.ip} talks to {where} and "
                 f"advertises Contact {view.contact}. " + nat_text + rport_text
                 + f"In this trace {how_far}"
                 + (": the server copes with the NAT for what the trace shows"
                   + (f" ({view.how})." if view.compensated is True else ".") if handled else
                    ", so it does not show the NAT path working; unless the server handles NAT (or the router's "
                    "SIP ALG rewrites the messages), requests to the phone and media towards it get lost."))
        return self.finding(
            f"{ua.label if ua else view.seen} sends its private address {view.contact} to {where}"
            + (f", which {'sees' if len(servers) == 1 else 'see'} it as {view.public}" if response is not None else ""),
            cause,
            nat_fix(analysis, view) + " On the phone: enable rport (RFC 3581) / NAT keep-alives or STUN.",
            [msg.origin] + ([response.origin] if response is not None else []) + (
                view.evidence if view.compensated is True else []),
            severity="info" if handled else "warning", flow=flow.id if flow else None, observations=observations,
            details={"contact": view.contact, "server": servers[0], "servers": servers, "lan_side": True,
                     "public": view.public if response is not None else None, "completed": completed},
        )


def _differing(view) -> str:
    """What the UA advertises that differs from its source: 'Contact X', 'Via Y', or both."""
    contact = view.contact if view.contact_ip_differs else None
    via = view.via if view.via_host_differs else None
    if contact and via:
        return f"{contact} in Contact and Via" if contact == via else f"Contact {contact} and Via {via}"
    return f"Contact {contact}" if contact else f"Via {via}"


def _private_part(view) -> str:
    contact = view.contact if view.contact_ip_differs else None
    via = view.via if view.via_host_differs else None
    if contact and via:
        return f"Contact and Via ({contact})" if contact == via else f"Contact ({contact}) and Via ({via})"
    return f"Contact ({contact})" if contact else f"Via ({via}; its Contact has the public address)"


def _advertised(view) -> str:
    if view.contact is None:
        return f"no Contact and Via {view.via or '-'}"
    if not view.contact_ip_differs:
        return f"Contact {view.contact} (the address it is seen from) and Via {view.via or '-'}"
    return f"Contact {view.contact} and Via {view.via or '-'}"


def _completed(analysis, ip: str) -> tuple[bool, str]:
    """Did the phone's calls (or, with no call, its registrations) complete? With a phrase saying so."""
    flows = analysis.index.flows_by_ip.get(ip, [])
    calls = [f for f in flows if f.kind == "call"]
    if calls:
        ok = [f for f in calls if f.outcome == m.ANSWERED]
        if ok:
            return True, f"its call was answered ({ok[0].outcome_detail})"
        return False, f"none of its {len(calls)} call(s) was answered"
    regs = [f for f in flows if f.kind == "registration"]
    if any(f.outcome in (m.REGISTERED, m.UNREGISTERED) for f in regs):
        return True, "it registered successfully"
    if regs:
        return False, "its registration did not succeed"
    return False, "no call or registration of it completed"
