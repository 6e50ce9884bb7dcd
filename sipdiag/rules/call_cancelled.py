"""SD204 call-cancelled: the caller sent CANCEL before the call was answered."""

from __future__ import annotations

from ..flow import model as m
from .base import Rule, register


@register
class CallCancelled(Rule):
    code = "SD204"
    slug = "call-cancelled"
    severity = "info"
    name = "Call cancelled by the caller before answer (CANCEL / 487)"
    role = "outcome"
    explains = {"call-failed": "same-call"}

    def check(self, analysis):
        for flow in analysis.flows_of("call"):
            if flow.outcome != m.CANCELLED:
                continue
            cancels = [t for t in flow.transactions if t.method == "CANCEL"]
            ev = [t.request.origin for t in cancels[:1]]
            if flow.outcome_message is not None:
                ev.append(flow.outcome_message.origin)
            rang = any(r.status == 180 or r.status == 183 for t in flow.transactions for r in t.responses)
            yield self.finding(
                f"Call to {flow.aor} cancelled before answer",
                "The caller hung up (CANCEL) before the callee answered"
                + (" while it was ringing" if rang else ", before any ringing was signalled")
                + (". No provisional response at all usually means the INVITE never reached a live device."
                   if not rang else "."),
                "Nothing to fix if the caller gave up; if calls are cancelled by a timer, check ring "
                "timeouts (Asterisk Dial() timeout, provider's no-answer timer).",
                ev, flow=flow.id,
            )
