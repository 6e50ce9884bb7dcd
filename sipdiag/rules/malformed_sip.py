"""SD504 malformed-sip: the trace contains SIP that breaks the grammar (anomalies)."""

from __future__ import annotations

from collections import Counter

from .base import Rule, register

SERIOUS = {"malformed-start-line", "missing-header", "bad-cseq", "truncated-body", "content-length-mismatch",
           "bad-content-length", "stream-gap", "incomplete-message"}


@register
class MalformedSip(Rule):
    code = "SD504"
    slug = "malformed-sip"
    severity = "warning"
    name = "Malformed or damaged SIP in the trace"
    role = "cause"
    short = "malformed SIP"
    explains = {"no-response": "same-flow", "request-failed": "same-flow", "call-failed": "same-flow"}

    def check(self, analysis):
        anomalies = list(analysis.anomalies)
        for msg in analysis.messages:
            anomalies.extend(msg.anomalies)
        if not anomalies:
            return
        counts = Counter(a.name for a in anomalies)
        serious = any(name in SERIOUS for name in counts)
        examples = {}
        for a in anomalies:
            examples.setdefault(a.name, a)
        yield self.finding(
            f"{len(anomalies)} malformed or odd SIP element(s): "
            + ", ".join(f"{n}×{c}" for n, c in counts.most_common(5)),
            "Parts of the trace break the SIP grammar: " + "; ".join(
                f"{name}: {examples[name].detail}" for name, _c in counts.most_common(5))
            + ". A peer may reject such messages (400 Bad Request) or misread them; damaged captures "
            "(cut packets, missing TCP segments) also show up here.",
            "If a device sends them, update its firmware or fix the header it mangles; if the capture is "
            "damaged, capture again with a full snap length (tcpdump -s 0).",
            [examples[name].origin for name, _c in counts.most_common(5)],
            severity="warning" if serious else "info", details=dict(counts),
        )
