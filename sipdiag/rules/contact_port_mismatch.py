"""SD303 contact-port-mismatch: Contact/Via port differs from the real UDP source port."""

from __future__ import annotations

from .base import Rule, register
from .nat import handling_sentence, nat_fix, originated_views, severity_for


@register
class ContactPortMismatch(Rule):
    code = "SD303"
    slug = "contact-port-mismatch"
    severity = "warning"
    name = "Contact or Via port differs from the source port the packets use"
    role = "cause"
    short = "Contact port ≠ source port"
    explains = {
        "no-response": "same-address",
        "call-failed": "same-address",
        "retransmissions": "same-address",
    }

    def check(self, analysis):
        for view, flow in originated_views(analysis):
            msg = view.message
            if not view.contact_port_differs:
                continue
            contact_port = view.contact.rsplit(":", 1)[-1]
            if view.private_to_public and view.public_response is not None:
                yield self._lan_side(analysis, view, flow, contact_port)
                continue
            # (LAN side with no server response yet: only the packets' own port is known)
            port = msg.src.port
            response = view.public_response
            observations = [(f"Contact {view.contact}, but the packets come from port {port} ({view.seen}).",
                             [msg.origin])]
            if response is not None and view.rport_honoured:
                observations.append((f"The server answered to the source port (Via rport={response.top_via.rport}, "
                                     f"RFC 3581).", [response.origin]))
            yield self.finding(
                f"Contact port {contact_port} ≠ source port {port} for {view.seen}",
                f"The NAT (or the phone's socket use) maps the phone's port {contact_port} to {port}. Requests sent "
                f"to the Contact's port miss the NAT binding and are dropped. Responses still work when the server "
                f"honours rport. " + handling_sentence(view),
                nat_fix(analysis, view),
                [msg.origin] + view.evidence,
                # with a private Contact address too, nat-private-contact carries the weight
                severity="info" if view.contact_ip_differs else severity_for(view), flow=flow.id if flow else None,
                observations=observations,
                details={"seen": view.seen, "contact": view.contact, "compensated": view.compensated},
            )

    def _lan_side(self, analysis, view, flow, contact_port):
        """LAN-side capture: the public port is the rport= the server filled in, not the packet's."""
        msg, response = view.message, view.public_response
        public_port = view.public.rsplit(":", 1)[-1]
        return self.finding(
            f"Contact port {contact_port} ≠ public port {public_port} the server sees ({view.public})",
            f"Captured on the LAN side: the phone sends from {view.seen} and advertises that in its Contact, but "
            f"the NAT maps it to {view.public}, as the server's Via rport={public_port} (RFC 3581) shows. Responses "
            f"follow rport; requests sent to the Contact's port {contact_port} at the NAT's address would miss the "
            f"binding unless the server uses the observed port.",
            nat_fix(analysis, view),
            [msg.origin, response.origin],
            # the Contact address is private as well: nat-private-contact carries the weight
            severity="info", flow=flow.id if flow else None,
            observations=[(f"Contact {view.contact}, sent from {view.seen}.", [msg.origin]),
                          (f"The server's response Via: received={response.top_via.received} "
                           f"rport={response.top_via.rport}.", [response.origin])],
            details={"seen": view.seen, "contact": view.contact, "public": view.public, "lan_side": True},
        )
