"""SD502 ip-fragmented: SIP messages that arrived as IP fragments (reassembled)."""

from __future__ import annotations

from .base import Rule, register


@register
class IpFragmented(Rule):
    code = "SD502"
    slug = "ip-fragmented"
    severity = "warning"
    name = "SIP over UDP larger than the MTU: IP-fragmented"
    role = "capture"
    short = "IP-fragmented SIP"
    explains = {"no-response": "same-flow", "call-failed": "same-flow", "retransmissions": "same-flow"}

    def check(self, analysis):
        msgs = [m for m in analysis.messages if m.ip_fragments > 1]
        if not msgs:
            return
        udp = [m for m in msgs if m.transport == "UDP"]
        biggest = max(msgs, key=lambda m: len(m.raw))
        yield self.finding(
            f"{len(msgs)} SIP message(s) were IP-fragmented (largest {len(biggest.raw)} bytes, {biggest.label})",
            f"{biggest.label} is {len(biggest.raw)} bytes, more than fits in one packet, so it travelled as "
            f"{biggest.ip_fragments} IP fragments. It worked here, but fragmented UDP is fragile: many NATs, "
            "firewalls and SBCs drop fragments, which shows up as INVITEs that time out for some users only. "
            "RFC 3261 §18.1.1 says a request within 200 bytes of the path MTU (or over 1300 bytes) must go over "
            "TCP.",
            "If calls fail in the field: use SIP over TCP/TLS for this peer, or make messages smaller (fewer "
            "codecs and headers, no ICE candidates to non-WebRTC peers, compact headers).",
            [m.origin for m in msgs[:5]], severity="warning" if udp else "info",
            details={"messages": len(msgs), "largest": len(biggest.raw)},
        )
