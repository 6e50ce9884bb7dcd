"""SD503 one-sided-capture: the trace shows only one direction, or responses without requests."""

from __future__ import annotations

from .base import Rule, register


@register
class OneSidedCapture(Rule):
    code = "SD503"
    slug = "one-sided-capture"
    severity = "warning"
    name = "Capture shows only part of the conversation"
    role = "capture"
    short = "one-sided capture"

    def check(self, analysis):
        orphans = analysis.orphan_responses
        silent = [h for h in analysis.hosts.values() if h.sent == 0 and h.received >= 2]
        if not orphans and not silent:
            return
        parts = []
        evidence = []
        if orphans:
            parts.append(f"{len(orphans)} response(s) whose request is not in the trace (the capture started "
                         "late, or requests took another path/interface)")
            evidence += [o.origin for o in orphans[:3]]
        if silent:
            parts.append("no packet at all from " + ", ".join(h.address for h in silent[:5])
                         + " although requests were sent there (host down/unreachable, or only one direction "
                         "was captured)")
            first = analysis.index.first_to_ip.get(silent[0].address)
            if first is not None:
                evidence.append(first.origin)
        yield self.finding(
            "The trace may not show the whole conversation",
            "The trace has " + "; and ".join(parts) + ". Conclusions about the missing side are uncertain.",
            "Capture on the interface that sees both directions (tcpdump -i any, or on the PBX itself), start "
            "the capture before reproducing, and capture all SIP ports (e.g. `port 5060 or port 5061`).",
            evidence, details={"orphan_responses": len(orphans), "silent_hosts": [h.address for h in silent]},
        )
