"""SD306 nat-binding-expired: requests to a registered NAT binding stop getting through."""

from __future__ import annotations

from ..flow import model as m
from .base import Rule, register
from .facts import is_asterisk


@register
class NatBindingExpired(Rule):
    code = "SD306"
    slug = "nat-binding-expired"
    severity = "error"
    name = "Requests to a registered phone's NAT binding go unanswered"
    role = "cause"
    short = "NAT binding expired"
    explains = {
        "no-response": "same-address",
        "retransmissions": "same-address",
        "call-failed": "same-address",
    }

    def check(self, analysis):
        bindings = {}
        for flow in analysis.flows_of("registration"):
            for t in flow.transactions:
                if t.status and 200 <= t.status < 300 and t.request.src.ip:
                    bindings.setdefault((t.request.src.ip, t.request.src.port), (flow, t))
        for t in analysis.transactions:
            if t.final is not None or not t.request_retransmissions or t.method == "ACK":
                continue
            key = (t.request.dst.ip, t.request.dst.port)
            if key not in bindings:
                continue
            flow, reg = bindings[key]
            if reg.request.seq > t.request.seq:
                continue
            ua_later = analysis.index.sends_after(key[0], key[1], t.request.seq)
            idle = (t.request.time - reg.final.time) if t.request.time and reg.final.time else None
            yield self.finding(
                f"{t.method} to {flow.aor} at its NAT binding {t.request.dst} got no answer",
                f"{flow.aor} registered from {t.request.dst} (the NAT's public side) and that worked, but "
                f"the {t.method} sent there {len(t.requests)} times got no response"
                + (f", {idle:.0f} s after the last successful REGISTER" if idle is not None else "")
                + ". The NAT forgot the mapping (UDP timeout shorter than the re-registration/keep-alive "
                "interval) or a firewall drops unsolicited inbound packets."
                + (" The phone itself sent again later from the same address." if ua_later else ""),
                ("Keep the binding alive: Asterisk qualify_frequency=30 on the AOR (OPTIONS pings) "
                 "or a shorter registration expiry; " if is_asterisk(analysis) else
                 "Keep the binding alive: NAT pings from the registrar (Kamailio nathelper natping), ")
                + "CRLF/OPTIONS keep-alives on the phone (RFC 5626), or SIP over TCP/TLS with a persistent "
                "connection; raise the router's UDP timeout; disable SIP ALG.",
                [t.requests[0].origin, t.requests[-1].origin, reg.final.origin],
                flow=flow.id, details={"binding": str(t.request.dst), "method": t.method, "outcome": m.NO_RESPONSE},
            )
