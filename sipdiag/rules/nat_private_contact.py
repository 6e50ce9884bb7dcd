"""SD304 nat-private-contact: Contact/Via host differs from the address the packets come from."""

from __future__ import annotations

from ..sip.grammar import normalise_ip
from .base import Rule, register
from .nat import handling_sentence, nat_fix, originated_views, severity_for


@register
class NatPrivateContact(Rule):
    code = "SD304"
    slug = "nat-private-contact"
    severity = "warning"
    name = "UA advertises an address (Contact/Via) other than the one it is seen from: NAT"

    def check(self, analysis):
        for view, flow in originated_views(analysis):
            msg = view.message
            via_host_differs = view.via_differs and msg.top_via is not None and \
                normalise_ip(msg.top_via.host) != msg.src.ip
            if view.private_to_public:
                yield self._lan_side(analysis, view, flow)
                continue
            if not (view.contact_ip_differs or via_host_differs):
                continue
            resp_via = _response_via(analysis, msg)
            observations = [(f"{msg.method} from {view.seen} advertises Contact {view.contact or '-'} and "
                             f"Via {view.via or '-'}.", [msg.origin])]
            if resp_via is not None:
                observations.append((f"The server's response Via carries received={resp_via[1].received} "
                                     f"rport={resp_via[1].rport} (RFC 3581): it saw the real source.",
                                     [resp_via[0].origin]))
            if view.evidence:
                observations.append((view.how[0].upper() + view.how[1:] + ".", view.evidence))
            ua = analysis.hosts.get(msg.src.ip)
            yield self.finding(
                f"{ua.label if ua else view.seen} advertises {view.contact or view.via} but is seen from "
                f"{view.seen} (NAT)",
                f"The device puts its private/LAN address into Contact/Via ({view.contact or view.via}) but "
                f"its packets arrive from {view.seen}, the NAT's public side. Requests sent to the "
                f"advertised Contact (calls, OPTIONS, NOTIFY) cannot reach it unless the server uses the "
                f"observed address instead. " + handling_sentence(view),
                nat_fix(analysis, view),
                [msg.origin] + ([resp_via[0].origin] if resp_via else []) + view.evidence,
                severity=severity_for(view), flow=flow.id if flow else None, observations=observations,
                details={"seen": view.seen, "contact": view.contact, "via": view.via,
                         "compensated": view.compensated},
            )

    def _lan_side(self, analysis, view, flow):
        msg = view.message
        ua = analysis.hosts.get(msg.src.ip)
        rport = msg.top_via is not None and msg.top_via.has_rport
        rport_text = ("Its Via asks for rport (RFC 3581), so responses will find their way back, but requests "
                      "to it still depend on the server." if rport else
                      "Its Via has no rport (RFC 3581) either, so even responses may go to the wrong port.")
        return self.finding(
            f"{ua.label if ua else view.seen} sends its private address {view.contact} to the public server "
            f"{msg.dst}",
            f"This capture is on the LAN side: the device at private address {msg.src.ip} talks to a public "
            f"server ({msg.dst}) and advertises Contact {view.contact}. After the router's NAT the server sees "
            f"another address and port; unless the server handles NAT (or the router's SIP ALG rewrites the "
            f"messages), requests to the phone and media towards it get lost. " + rport_text,
            nat_fix(analysis, view) + " On the phone: enable rport (RFC 3581) / NAT keep-alives or STUN.",
            [msg.origin], severity="warning", flow=flow.id if flow else None,
            details={"contact": view.contact, "server": str(msg.dst), "lan_side": True},
        )


def _response_via(analysis, msg):
    for t in analysis.transactions:
        if msg in t.requests:
            for r in t.responses:
                v = r.top_via
                if v is not None and (v.received or v.rport):
                    return r, v
    return None
