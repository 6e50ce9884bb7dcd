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

    def check(self, analysis):
        for view, flow in originated_views(analysis):
            msg = view.message
            if not view.contact_port_differs:
                continue
            port = msg.src.port
            rport = next((r.top_via.rport for t in analysis.transactions if msg in t.requests
                          for r in t.responses if r.top_via is not None and r.top_via.rport), None)
            observations = [(f"Contact {view.contact}, but the packets come from port {port} ({view.seen}).",
                             [msg.origin])]
            if rport:
                observations.append((f"The server answered to the source port (Via rport={rport}, RFC 3581).",
                                     [msg.origin]))
            yield self.finding(
                f"Contact port {view.contact.rsplit(':', 1)[-1]} ≠ source port {port} for {view.seen}",
                f"The NAT (or the phone's socket use) maps the phone's port "
                f"{view.contact.rsplit(':', 1)[-1]} to {port}. Requests sent to the Contact's port miss the NAT "
                f"binding and are dropped. Responses still work when the server honours rport. "
                + handling_sentence(view),
                nat_fix(analysis, view),
                [msg.origin] + view.evidence,
                # with a private Contact address too, nat-private-contact carries the weight
                severity="info" if view.contact_ip_differs else severity_for(view), flow=flow.id if flow else None,
                observations=observations,
                details={"seen": view.seen, "contact": view.contact, "compensated": view.compensated},
            )
