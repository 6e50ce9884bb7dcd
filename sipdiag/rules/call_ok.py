"""SD206 call-ok: a call was answered (healthy outcome)."""

from __future__ import annotations

from ..flow import model as m
from .base import Rule, register


@register
class CallOk(Rule):
    code = "SD206"
    slug = "call-ok"
    severity = "info"
    name = "Call answered"
    role = "outcome"

    verify = (("core show channels", "during a call: the call's channels, both up"),)
    next_capture = "INVITE → 100/180 → 200 OK → ACK, RTP both ways, BYE → 200 OK"

    def check(self, analysis):
        for flow in analysis.flows_of("call"):
            if flow.outcome != m.ANSWERED:
                continue
            msg = flow.outcome_message
            methods = {t.method for t in flow.transactions}
            duration = None
            bye = next((t for t in flow.transactions if t.method == "BYE"), None)
            if bye is not None and bye.request.time is not None and msg.time is not None:
                duration = bye.request.time - msg.time
            ended = "ended with BYE" if bye else "no BYE in the trace (capture ended during the call)"
            yield self.finding(
                f"Call to {flow.aor} answered ({flow.outcome_detail})",
                f"The INVITE was answered with {msg.start_line[8:]}"
                + ("; ACK seen" if "ACK" in methods else "; no ACK in the trace")
                + f"; {ended}" + (f" after {duration:.1f} s" if duration is not None else "") + ".",
                "Nothing to fix.",
                analysis.origins_of(msg), flow=flow.id,
                details={"duration": duration, "span": flow.time_span},
            )
